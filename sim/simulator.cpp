#include "sim/simulator.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <stdexcept>

#include "sim/simulator_impl.hpp"

namespace qsanfwd::sim {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> live_loop(std::shared_ptr<simulator::impl> self) {
  auto last = std::chrono::steady_clock::now();
  double carry = 0;
  for (;;) {
    self->live_timer.expires_after(std::chrono::milliseconds(100));
    co_await self->live_timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::lock_guard lock(self->mu);
    if (self->stopped) {
      co_return;
    }
    const auto now = std::chrono::steady_clock::now();
    const auto elapsed = std::chrono::duration<double>(now - last).count();
    last = now;
    if (self->paused || self->live_rate <= 0) {
      carry = 0;
      continue;
    }
    // Lines of one tick share the array's current second, as on a busy array.
    carry += self->live_rate * elapsed;
    const auto n = static_cast<std::size_t>(carry);
    carry -= static_cast<double>(n);
    self->add_logs_locked(n);
  }
}

}  // namespace

void start_live_loop(const std::shared_ptr<simulator::impl>& self) {
  asio::co_spawn(self->io_, live_loop(self), asio::detached);
}

simulator::simulator(asio::io_context& io, options o) {
  if (o.cert_file.empty() != o.key_file.empty()) {
    throw std::invalid_argument("cert_file and key_file go together");
  }
  if (o.access_token_lifetime_s < 1 || o.max_refresh_tokens < 1 || o.backlog_per_second <= 0) {
    throw std::invalid_argument(
        "access token lifetime, refresh token limit and backlog density must be positive");
  }
  check_hostile(o.hostile);
  impl_ = std::make_shared<impl>(io, std::move(o));
  impl_->set_hostile_locked(impl_->opts.hostile);  // nothing else holds impl_ yet
  if (impl_->opts.backlog > 0) {
    const auto now = impl_->now();
    const auto span = static_cast<double>(impl_->opts.backlog - 1) / impl_->opts.backlog_per_second;
    impl_->book.generate(impl_->opts.backlog, now - static_cast<std::int64_t>(span), now);
  }
}

simulator::~simulator() {
  stop();
}

void simulator::start() {
  start_server(impl_);
  start_live_loop(impl_);
  impl_->log->info("{}: simulated array listening on {}", impl_->opts.name, base_url());
}

void simulator::stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) {
      return;
    }
    impl_->stopped = true;
  }
  asio::post(impl_->io_, [self = impl_] { self->close_all(); });
}

std::uint16_t simulator::port() const {
  std::lock_guard lock(impl_->mu);
  return impl_->port;
}

std::string simulator::base_url() const {
  return std::string(impl_->opts.cert_file.empty() ? "http://" : "https://") +
         impl_->opts.listen_address + ":" + std::to_string(port());
}

std::int64_t simulator::array_now() const {
  return impl_->now();
}

void simulator::set_clock_offset(std::int64_t seconds) {
  impl_->clock_offset_s = seconds;
}

void simulator::add_logs(std::size_t n) {
  std::lock_guard lock(impl_->mu);
  impl_->add_logs_locked(n);
}

bool simulator::add_log(const log_line& line) {
  std::lock_guard lock(impl_->mu);
  return impl_->add_log_locked(line);
}

void simulator::pause_live(bool paused) {
  std::lock_guard lock(impl_->mu);
  impl_->paused = paused;
}

void simulator::set_live_rate(double lines_per_second) {
  std::lock_guard lock(impl_->mu);
  impl_->live_rate = lines_per_second;
}

std::vector<log_line> simulator::ledger() const {
  std::lock_guard lock(impl_->mu);
  return impl_->book.ledger();
}

std::vector<log_line> simulator::dropped() const {
  std::lock_guard lock(impl_->mu);
  return impl_->book.dropped();
}

void simulator::clear_log() {
  std::lock_guard lock(impl_->mu);
  impl_->book.clear();
}

std::size_t simulator::log_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->book.size();
}

void simulator::forget_tokens() {
  std::lock_guard lock(impl_->mu);
  impl_->forget_tokens_locked();
}

void simulator::set_faults(const fault_settings& f) {
  std::lock_guard lock(impl_->mu);
  impl_->faults = f;
}

void simulator::fail_next(fault kind, std::size_t n) {
  std::lock_guard lock(impl_->mu);
  if (n > 0) {
    impl_->forced.emplace_back(kind, n);
  }
}

void simulator::set_hostile(const hostile_settings& h) {
  std::lock_guard lock(impl_->mu);
  impl_->set_hostile_locked(h);
}

hostile_settings simulator::hostile() const {
  std::lock_guard lock(impl_->mu);
  return impl_->hostile;
}

void simulator::send_next(hostile_body kind, std::size_t n) {
  std::lock_guard lock(impl_->mu);
  impl_->next_bodies[static_cast<std::size_t>(kind)] += n;
}

counters simulator::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats_locked();
}

bool simulator::set_disk_health(std::string_view id, std::string health, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_disk_health(id, std::move(health), std::move(status));
}

bool simulator::fail_disk(std::string_view id) {
  return set_disk_health(id, "Failed", "Offline");
}

bool simulator::restore_disk(std::string_view id) {
  return set_disk_health(id, "Good", "Online");
}

bool simulator::pull_disk(std::string_view id) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_disk_present(id, false);
}

bool simulator::insert_disk(std::string_view id) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_disk_present(id, true);
}

bool simulator::set_disk_temperature(std::string_view id, int celsius) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_disk_temperature(id, celsius);
}

bool simulator::set_ssd_life(std::string_view id, int percent) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_ssd_life(id, percent);
}

bool simulator::set_psu_status(int enc, std::string_view name, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_psu_status(enc, name, std::move(status));
}

bool simulator::set_fan(int enc, std::string_view name, int rpm, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_fan(enc, name, rpm, std::move(status));
}

bool simulator::set_temperature(int enc, std::string_view name, int celsius, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_temperature(enc, name, celsius, std::move(status));
}

bool simulator::set_voltage(int enc, std::string_view name, double volts, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_voltage(enc, name, volts, std::move(status));
}

bool simulator::set_cache_to_flash(int enc, std::string_view name, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_cache_to_flash(enc, name, std::move(status));
}

bool simulator::detach_enclosure(int enc) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_enclosure_present(enc, false);
}

bool simulator::attach_enclosure(int enc) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_enclosure_present(enc, true);
}

bool simulator::set_pool_used(std::string_view name, double percent) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_pool_used(name, percent);
}

bool simulator::set_pool_health(std::string_view name, std::string health, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_pool_health(name, std::move(health), std::move(status));
}

bool simulator::set_raidset_health(std::string_view pool, int id, std::string health,
                                   std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_raidset_health(pool, id, std::move(health), std::move(status));
}

bool simulator::set_volume_health(std::string_view name, std::string health, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_volume_health(name, std::move(health), std::move(status));
}

bool simulator::drop_iscsi_session(std::string_view initiator) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_iscsi_session_present(initiator, false);
}

bool simulator::restore_iscsi_session(std::string_view initiator) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_iscsi_session_present(initiator, true);
}

bool simulator::set_replication_status(std::string_view task_id, std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_replication_status(task_id, std::move(status));
}

bool simulator::set_replication_destination_status(std::string_view task_id, int no,
                                                   std::string status) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_replication_line_status(task_id, no, std::move(status));
}

bool simulator::set_snapshot_used(std::string_view task_id, double percent) {
  std::lock_guard lock(impl_->mu);
  return impl_->array.set_snapshot_used(task_id, percent);
}

running_simulator::running_simulator(options o)
    : work_(io_.get_executor()), sim_(io_, std::move(o)) {
  sim_.start();
  thread_ = std::thread([this] { io_.run(); });
}

running_simulator::~running_simulator() {
  sim_.stop();
  // Handlers run in order on the one thread, and the work guard keeps it running: once this
  // marker runs, the closing has too. What is still in flight (a TLS shutdown) is dropped.
  std::promise<void> closed;
  asio::post(io_, [&closed] { closed.set_value(); });
  closed.get_future().wait();
  work_.reset();
  io_.stop();
  thread_.join();
}

}  // namespace qsanfwd::sim

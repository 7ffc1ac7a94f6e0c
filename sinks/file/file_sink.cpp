#include "sinks/file/file_sink.hpp"

#include <algorithm>
#include <stdexcept>

#include "agent/core/ids.hpp"
#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"

namespace qsanfwd::sinks {
namespace {

/// The batch buffer is kept up to this size (a batch is 1 MiB by default).
constexpr std::size_t max_kept_buffer = 8 << 20;
/// Groups (and their vectors) kept from batch to batch.
constexpr std::size_t max_kept_groups = 64;
/// A value put into a path is cut to this many bytes, below any file system's name limit.
constexpr std::size_t max_value_bytes = 100;

// `value` as part of one file name: no `/` (a new component), no control byte, not too long.
void make_name_safe(std::string& value) {
  for (auto& c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || u < 0x20 || u == 0x7f) {
      c = '_';
    }
  }
  if (value.size() > max_value_bytes) {
    std::size_t n = max_value_bytes;
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) {
      --n;  // not inside a UTF-8 sequence
    }
    value.resize(n);
  }
}

// The event's values a path template may name, made safe. The message and the health values
// are not template fields.
void make_fields_safe(event& e) {
  for (auto* s : {&e.device, &e.host, &e.type, &e.component, &e.model, &e.serial}) {
    make_name_safe(*s);
  }
  for (auto& field : e.fields) {
    make_name_safe(field.second);
  }
}

// Each name of `path` from `from` on that is empty, "." or ".." becomes "_": what the values
// left can no longer climb out of the directory before `from`.
void fill_odd_names(std::string& path, std::size_t from, std::string& scratch) {
  scratch.assign(path, 0, from);
  for (std::size_t at = from;;) {
    const auto slash = path.find('/', at);
    const auto end = slash == std::string::npos ? path.size() : slash;
    const std::string_view name(path.data() + at, end - at);
    scratch += name.empty() || name == "." || name == ".." ? "_" : name;
    if (slash == std::string::npos) {
      break;
    }
    scratch += '/';
    at = slash + 1;
  }
  path.swap(scratch);
}

// The length of the template's text up to and with the last `/` before its first placeholder.
std::size_t fixed_directory(const std::string& text) {
  const auto first = text.find_first_of("{%");
  const auto slash = text.rfind('/', first);
  return slash == std::string::npos ? 0 : slash + 1;
}

event seal_event(std::string_view sink, const seal& s) {
  event e;
  e.kind = event_kind::agent;
  e.timestamp = unix_now();
  e.type = "archive_seal";
  e.severity = severity::info;
  e.message = seal_message(s);
  const auto seq = std::to_string(s.seq);
  e.fields = {{"sink", std::string(sink)},
              {"file", s.file},
              {"chain_seq", seq},
              {s.keyed ? "chain_hmac" : "chain", s.hash}};
  e.id = stable_id({"agent", e.type, sink, s.file, seq});
  return e;
}

}  // namespace

file_sink::file_sink(std::string name, file_options options,
                     std::optional<boost::asio::any_io_executor> ex)
    : name_(std::move(name)), options_(std::move(options)), log_(get_logger("sink." + name_)) {
  if (ex && options_.hash_chain && options_.seal_every > duration{0}) {
    seal_timer_.emplace(*ex);
  }
  if (options_.path_template) {
    fixed_prefix_ = fixed_directory(options_.path_template->text());
  }
  if (!options_.key_file.empty()) {
    key_ = read_chain_key(options_.key_file);
    if (readable_by_others(options_.key_file)) {
      log_->warn(
          "the key file {} can be read by its group or others: whoever reads it can "
          "recompute the hash chain (chmod 0400 it)",
          options_.key_file.string());
    }
  }
}

file_sink::~file_sink() = default;

boost::asio::awaitable<delivery> file_sink::deliver(std::span<const queued_event> batch) {
  co_return write_batch(batch);
}

delivery file_sink::write_batch(std::span<const queued_event> batch) {
  group_by_path(batch);
  for (std::size_t i = 0; i < groups_used_; ++i) {
    if (auto err = write_group(groups_[i])) {
      settled_ = false;
      report_seals();  // of what was rotated before the failure
      return failed(*err);
    }
  }
  settled_ = true;
  report_seals();
  arm_seal_timer();
  if (batch_buf_.capacity() > max_kept_buffer) {
    batch_buf_ = std::string();  // an outsized batch: not kept for the life of the sink
  }
  if (groups_.size() > max_kept_groups) {
    groups_.resize(max_kept_groups);
  }
  if (std::exchange(failing_, false)) {
    log_->info("writing {} again", options_.path.string());
  }
  return delivery::delivered();
}

delivery file_sink::failed(std::string why) {
  ++counters_.write_failures;
  if (!std::exchange(failing_, true)) {
    log_->warn("{}; will retry", why);
  }
  return delivery::retry(std::move(why));
}

void file_sink::group_by_path(std::span<const queued_event> batch) {
  groups_used_ = 0;
  if (!options_.path_template) {
    auto& g = next_group(options_.path.native());
    for (const auto& e : batch) {
      g.events.push_back(&e);
    }
    return;
  }
  group_of_.clear();
  for (const auto& e : batch) {
    render_path(e);
    const auto [at, added] = group_of_.try_emplace(rendered_, groups_used_);
    auto& g = added ? next_group(rendered_) : groups_[at->second];
    g.events.push_back(&e);
  }
}

file_sink::group& file_sink::next_group(const std::string& path) {
  if (groups_used_ == groups_.size()) {
    groups_.emplace_back();
  }
  auto& g = groups_[groups_used_++];
  g.path = path;
  g.events.clear();
  return g;
}

void file_sink::render_path(const queued_event& e) {
  try {
    if (e.fields_known()) {
      read_ = e.fields();
    } else {
      event_from_json(e.body, read_);
    }
  } catch (const std::invalid_argument& err) {
    // Not from the queue's own writer; the event still goes somewhere, with empty fields.
    log_->warn("an event that is not canonical JSON goes to the file of empty fields: {}",
               err.what());
    clear_keeping_buffers(read_);
  }
  make_fields_safe(read_);
  rendered_.clear();
  options_.path_template->render(read_, rendered_);
  fill_odd_names(rendered_, fixed_prefix_, scratch_);
}

std::optional<std::string> file_sink::write_group(const group& g) {
  auto& target = target_for(g.path);
  if (auto err = target.open()) {
    return err;
  }
  std::span<const queued_event* const> events(g.events);
  if (!settled_) {
    events = events.subspan(skip_written(target, events));
  }
  if (events.empty()) {
    return std::nullopt;
  }
  auto err = target.write(events, batch_buf_);
  if (!err) {
    target.seal_if_due();
  }
  return err;
}

std::size_t file_sink::skip_written(const file_target& target,
                                    std::span<const queued_event* const> events) {
  const auto n = target.already_written(events);
  if (n > 0) {
    counters_.already_written += n;
    log_->info("{}: {} event(s) sent again are in the file already; not written twice",
               target.path().string(), n);
  }
  return n;
}

file_target& file_sink::target_for(const std::string& path) {
  if (const auto it = by_path_.find(path); it != by_path_.end()) {
    targets_.splice(targets_.begin(), targets_, it->second);
    return targets_.front();
  }
  if (targets_.size() >= options_.max_open_files) {
    auto& oldest = targets_.back();
    oldest.close();
    by_path_.erase(oldest.path().native());
    targets_.pop_back();
    ++counters_.files_closed;
  }
  targets_.emplace_front(path, options_, key_ ? &*key_ : nullptr, seals_, *log_, counters_);
  by_path_.emplace(path, targets_.begin());
  return targets_.front();
}

void file_sink::report_seals() {
  for (const auto& s : seals_) {
    report(seal_event(name_, s));
  }
  seals_.clear();
}

void file_sink::arm_seal_timer() {
  if (!seal_timer_ || seal_timer_armed_ ||
      std::none_of(targets_.begin(), targets_.end(),
                   [](const file_target& t) { return t.unsealed(); })) {
    return;
  }
  seal_timer_armed_ = true;
  // Each file seals when its own seal.every has passed: a timer this long finds the first due.
  seal_timer_->expires_after(options_.seal_every);
  seal_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) {
      return;  // cancelled: by close(), or with the sink (`this` may be gone)
    }
    on_seal_timer();
  });
}

void file_sink::on_seal_timer() {
  seal_timer_armed_ = false;
  for (auto& target : targets_) {
    target.seal_if_due();
  }
  report_seals();
  arm_seal_timer();
}

void file_sink::reopen() {
  for (auto& target : targets_) {
    target.close();
  }
  report_seals();
  log_->info("reopening {}", options_.path.string());
}

boost::asio::awaitable<void> file_sink::close() {
  if (seal_timer_) {
    seal_timer_->cancel();
    seal_timer_armed_ = false;
  }
  for (auto& target : targets_) {
    target.close();
  }
  report_seals();
  co_return;
}

}  // namespace qsanfwd::sinks

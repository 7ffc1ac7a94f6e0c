#include "sinks/kafka/kafka_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <climits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>

#include "agent/core/logging.hpp"
#include "sinks/http/formats.hpp"

namespace qsanfwd::sinks {
namespace asio = boost::asio;

namespace {

/// How much longer than `timeout` a batch's reports may take before the sink gives up on them:
/// librdkafka fails a message at message.timeout.ms itself, so this only bounds a stuck client.
constexpr duration report_grace{5000};
/// The longest header value sent: ids and device names are far shorter.
constexpr std::size_t max_header_value = 256;

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

std::string_view acks_value(kafka_acks acks) {
  switch (acks) {
    case kafka_acks::leader:
      return "1";
    case kafka_acks::none:
      return "0";
    case kafka_acks::all:
      break;
  }
  return "all";
}

std::string security_protocol(const kafka_options& o) {
  const bool sasl = !o.sasl.mechanism.empty();
  if (o.tls_enabled) {
    return sasl ? "sasl_ssl" : "ssl";
  }
  return sasl ? "sasl_plaintext" : "plaintext";
}

/// librdkafka's properties for the options, in the order set; the SASL password is set apart
/// (set() never quotes it).
std::vector<std::pair<std::string, std::string>> properties(const kafka_options& o,
                                                            const config::batch_options& batch) {
  const auto ms = [](duration d) { return std::to_string(d.count()); };
  std::vector<std::pair<std::string, std::string>> p{
      {"bootstrap.servers", joined(o.brokers)},
      {"acks", std::string(acks_value(o.acks))},
      {"enable.idempotence", o.idempotent ? "true" : "false"},
      {"compression.codec", o.compression},
      {"linger.ms", ms(o.linger)},
      {"message.timeout.ms", ms(o.timeout)},
      {"message.max.bytes", std::to_string(o.message_max_bytes)},
      {"batch.num.messages", std::to_string(std::min<std::size_t>(batch.max_events, 1'000'000))},
      {"batch.size", std::to_string(std::min<std::size_t>(batch.max_bytes, INT_MAX))},
      // A whole batch is produced at once: the producer's queue takes it.
      {"queue.buffering.max.messages",
       std::to_string(std::clamp<std::size_t>(batch.max_events, 100'000, 10'000'000))},
      {"statistics.interval.ms", ms(o.statistics_interval)},
      {"log.queue", "true"},
      {"security.protocol", security_protocol(o)},
  };
  if (o.tls_enabled) {
    if (!o.tls.ca_file.empty()) {
      p.emplace_back("ssl.ca.location", o.tls.ca_file);
    }
    if (!o.tls.cert_file.empty()) {
      p.emplace_back("ssl.certificate.location", o.tls.cert_file);
      p.emplace_back("ssl.key.location", o.tls.key_file);
    }
    p.emplace_back("enable.ssl.certificate.verification", o.tls.verify ? "true" : "false");
    p.emplace_back("ssl.endpoint.identification.algorithm", o.tls.verify ? "https" : "none");
  }
  if (!o.sasl.mechanism.empty()) {
    p.emplace_back("sasl.mechanisms", o.sasl.mechanism);
    p.emplace_back("sasl.username", o.sasl.username);
  }
  p.insert(p.end(), o.librdkafka.begin(), o.librdkafka.end());
  return p;
}

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
         bool is_secret = false) {
  std::array<char, 512> err{};
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err.data(), err.size()) !=
      RD_KAFKA_CONF_OK) {
    throw std::runtime_error("kafka: " + key + ": " +
                             (is_secret ? std::string("refused") : std::string(err.data())));
  }
}

/// Whether a report's error is the message's own fault: sending it again cannot help.
bool is_permanent(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return true;
    default:
      return false;
  }
}

/// `value` fit for a header: bounded, control bytes replaced (it may come from the array).
std::string header_value(std::string_view value) {
  std::string out(value.substr(0, max_header_value));
  std::replace_if(
      out.begin(), out.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
  return out;
}

spdlog::level::level_enum spdlog_level(int syslog_level) {
  if (syslog_level <= 2) {
    return spdlog::level::critical;
  }
  if (syslog_level == 3) {
    return spdlog::level::err;
  }
  if (syslog_level == 4) {
    return spdlog::level::warn;
  }
  return syslog_level <= 6 ? spdlog::level::info : spdlog::level::debug;
}

std::uintptr_t opaque_of(std::uint32_t generation, std::size_t index) {
  return (static_cast<std::uintptr_t>(generation) << 32U) | static_cast<std::uint32_t>(index);
}

}  // namespace

void kafka_sink::handle_deleter::operator()(rd_kafka_t* rk) const {
  // Nothing may be reported after the sink is gone: what is left is dropped (it stays queued in
  // the agent's own queue, and is sent again next time).
  rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_destroy(rk);
}

kafka_sink::kafka_sink(std::string name, kafka_options options, const config::batch_options& batch,
                       asio::any_io_executor ex)
    : name_(std::move(name)),
      options_(std::move(options)),
      batch_(batch),
      log_(get_logger("sink." + name_)),
      wake_(ex),
      done_(ex) {
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "kafka sink " + name_ + ": pipe");
  }
  wake_.assign(fds[0]);
  wake_.non_blocking(true);  // serve() drains it without waiting
  wake_write_ = fds[1];
  make_producer();
  watch();
}

kafka_sink::~kafka_sink() {
  *alive_ = false;
  drop_producer();
  ::close(wake_write_);
}

void kafka_sink::make_producer() {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          &rd_kafka_conf_destroy);
  for (const auto& [key, value] : properties(options_, batch_)) {
    set(conf.get(), key, value);
  }
  if (!options_.sasl.mechanism.empty()) {
    set(conf.get(), "sasl.password", options_.sasl.password.reveal(), true);
  }
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &kafka_sink::delivery_cb);
  rd_kafka_conf_set_log_cb(conf.get(), &kafka_sink::log_cb);
  rd_kafka_conf_set_stats_cb(conf.get(), &kafka_sink::stats_cb);
  rd_kafka_conf_set_error_cb(conf.get(), &kafka_sink::error_cb);
  std::array<char, 512> err{};
  rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err.data(), err.size()));
  if (!rk_) {
    throw std::runtime_error("kafka sink " + name_ + ": " + err.data());
  }
  conf.release();  // rd_kafka_new took it
  // Log lines wait on the main queue, so they are served on this thread with the reports.
  rd_kafka_set_log_queue(rk_.get(), nullptr);
  rd_kafka_queue_t* main = rd_kafka_queue_get_main(rk_.get());
  rd_kafka_queue_io_event_enable(main, wake_write_, "1", 1);
  rd_kafka_queue_destroy(main);
}

void kafka_sink::drop_producer() {
  if (!rk_) {
    return;
  }
  rd_kafka_queue_t* main = rd_kafka_queue_get_main(rk_.get());
  rd_kafka_queue_io_event_enable(main, -1, nullptr, 0);
  rd_kafka_queue_destroy(main);
  ++flight_.generation;
  rk_.reset();
}

void kafka_sink::watch() {
  wake_.async_wait(asio::posix::descriptor_base::wait_read,
                   [this, alive = alive_](const boost::system::error_code& ec) {
                     if (!*alive || ec == asio::error::operation_aborted) {
                       return;
                     }
                     if (ec) {
                       // A batch still ends at its bound; nothing else can fail here.
                       log_->error("waiting for librdkafka's queue: {}", ec.message());
                       return;
                     }
                     serve();
                     watch();
                   });
}

void kafka_sink::serve() {
  boost::system::error_code ec;
  while (wake_.read_some(asio::buffer(scratch_), ec) > 0) {
  }
  // Every report, log line and statistics now queued, on this thread.
  if (rk_) {
    rd_kafka_poll(rk_.get(), 0);
  }
  if (flight_.pending == 0) {
    done_.cancel();
  }
}

void kafka_sink::delivery_cb(rd_kafka_t* /*rk*/, const rd_kafka_message_t* m, void* opaque) {
  static_cast<kafka_sink*>(opaque)->on_delivery(*m);
}

void kafka_sink::on_delivery(const rd_kafka_message_t& m) {
  const auto tag = reinterpret_cast<std::uintptr_t>(m._private);
  const auto index = static_cast<std::size_t>(tag & 0xffffffffU);
  // A report of a batch that ended already (purged) is stale.
  if ((tag >> 32U) != flight_.generation || index >= flight_.reported.size() ||
      flight_.reported[index]) {
    return;
  }
  flight_.reported[index] = true;
  --flight_.pending;
  if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    settle(index, m.err, {});
    return;
  }
  settle(index, m.err,
         std::string("topic ") + rd_kafka_topic_name(m.rkt) + ", " + std::to_string(m.len) +
             " bytes: " + rd_kafka_err2str(m.err));
}

void kafka_sink::settle(std::size_t index, rd_kafka_resp_err_t err, std::string_view why) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    flight_.outcomes[index] = outcome::delivered;
    return;
  }
  const bool permanent = is_permanent(err);
  flight_.outcomes[index] = permanent ? outcome::rejected : outcome::retry;
  if (flight_.reason.empty() || (permanent && !flight_.reason_rejects)) {
    flight_.reason = why;
    flight_.reason_rejects = permanent;
  }
}

void kafka_sink::log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  auto* self = static_cast<kafka_sink*>(rd_kafka_opaque(rk));
  self->log_->log(spdlog_level(level), "librdkafka {}: {}", facility, text);
}

void kafka_sink::error_cb(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  auto* self = static_cast<kafka_sink*>(opaque);
  // Most are transient (brokers down): deliveries answer retry and the dispatcher says so.
  const bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;
  self->log_->log(fatal ? spdlog::level::err : spdlog::level::warn, "librdkafka: {}", reason);
}

int kafka_sink::stats_cb(rd_kafka_t* /*rk*/, char* json, size_t size, void* opaque) {
  static_cast<kafka_sink*>(opaque)->on_stats(std::string_view(json, size));
  return 0;  // librdkafka frees the text
}

void kafka_sink::on_stats(std::string_view json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) {
    return;
  }
  kafka_stats s;
  s.reports = stats_.reports + 1;
  s.queued_messages = doc.value("msg_cnt", 0.0);
  const auto brokers = doc.find("brokers");
  if (brokers != doc.end() && brokers->is_object()) {
    for (const auto& [id, b] : brokers->items()) {
      if (!b.is_object()) {
        continue;
      }
      s.retries += b.value("txretries", 0.0);
      const auto rtt = b.find("rtt");
      if (rtt != b.end() && rtt->is_object()) {
        s.rtt_avg_seconds = std::max(s.rtt_avg_seconds, rtt->value("avg", 0.0) / 1e6);
      }
    }
  }
  stats_ = s;
}

std::vector<sink_gauge> kafka_sink::gauges() const {
  return {
      {"kafka_queue_messages", "Messages the Kafka producer holds, not yet acknowledged.",
       stats_.queued_messages},
      {"kafka_request_rtt_seconds",
       "Average round trip of the Kafka producer's requests, to its slowest broker.",
       stats_.rtt_avg_seconds},
      {"kafka_request_retries_total", "Requests the Kafka producer sent again, since start.",
       stats_.retries, true},
  };
}

rd_kafka_resp_err_t kafka_sink::produce_one(const queued_event& e, std::size_t index,
                                            std::string& why) {
  const event* ev = nullptr;
  try {
    ev = &e.fields();
  } catch (const std::invalid_argument& x) {
    why = std::string("not canonical JSON: ") + x.what();
    return RD_KAFKA_RESP_ERR__INVALID_ARG;
  }
  topic_.clear();
  options_.topic.render(*ev, topic_);
  sanitize_topic_name(topic_);
  if (topic_.empty()) {
    why = "the topic \"" + options_.topic.text() + "\" renders empty for this event";
    return RD_KAFKA_RESP_ERR__INVALID_ARG;
  }
  const std::string* payload = &e.body;
  if (!options_.canonical) {
    payload_ = encode_batch(std::span(&e, 1), options_.encoding);
    payload = &payload_;
  }
  std::string_view key;
  if (options_.key == kafka_key::device) {
    key = ev->device;
  } else if (options_.key == kafka_key::id) {
    key = ev->id;
  }
  // Values are copied by librdkafka before produceva returns.
  std::array<rd_kafka_vu_t, 8> vu{};
  std::size_t n = 0;
  const auto next = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
    vu[n].vtype = type;
    return vu[n++];
  };
  next(RD_KAFKA_VTYPE_TOPIC).u.cstr = topic_.c_str();
  next(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
  auto& value = next(RD_KAFKA_VTYPE_VALUE);
  value.u.mem.ptr = const_cast<char*>(payload->data());
  value.u.mem.size = payload->size();
  if (!key.empty()) {
    auto& k = next(RD_KAFKA_VTYPE_KEY);
    k.u.mem.ptr = const_cast<char*>(key.data());
    k.u.mem.size = key.size();
  }
  next(RD_KAFKA_VTYPE_OPAQUE).u.ptr = reinterpret_cast<void*>(opaque_of(flight_.generation, index));
  std::array<std::string, 3> header_values;
  if (options_.headers) {
    const std::array<std::pair<const char*, std::string_view>, 3> fields{
        {{"id", ev->id}, {"device", ev->device}, {"kind", to_string(ev->kind)}}};
    for (std::size_t i = 0; i < fields.size(); ++i) {
      header_values[i] = header_value(fields[i].second);
      auto& h = next(RD_KAFKA_VTYPE_HEADER);
      h.u.header = {fields[i].first, header_values[i].data(),
                    static_cast<ssize_t>(header_values[i].size())};
    }
  }
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (rd_kafka_error_t* failed = rd_kafka_produceva(rk_.get(), vu.data(), n)) {
    err = rd_kafka_error_code(failed);
    rd_kafka_error_destroy(failed);
    why = "topic " + topic_ + ", " + std::to_string(payload->size()) +
          " bytes: " + rd_kafka_err2str(err);
  }
  return err;
}

void kafka_sink::produce(std::span<const queued_event> batch) {
  std::string why;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    why.clear();
    const auto err = produce_one(batch[i], i, why);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++flight_.pending;
      continue;
    }
    flight_.reported[i] = true;
    settle(i, err, why);
  }
}

void kafka_sink::purge() {
  rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  // Their reports (purged) come with this generation's tag: make them stale now.
  ++flight_.generation;
}

asio::awaitable<bool> kafka_sink::wait_for_reports(duration bound) {
  if (flight_.pending > 0) {
    done_.expires_after(bound);
    boost::system::error_code ec;
    co_await done_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  const auto cs = co_await asio::this_coro::cancellation_state;
  if (cs.cancelled() != asio::cancellation_type::none) {
    purge();
    throw boost::system::system_error(asio::error::operation_aborted);
  }
  co_return flight_.pending == 0;
}

asio::awaitable<delivery> kafka_sink::deliver(std::span<const queued_event> batch) {
  std::array<char, 256> fatal{};
  if (!rk_ ||
      rd_kafka_fatal_error(rk_.get(), fatal.data(), fatal.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // An idempotent producer that lost track of its sequence can produce no more.
    if (rk_) {
      log_->error("the Kafka producer failed ({}): starting a new one", fatal.data());
    }
    drop_producer();
    try {
      make_producer();
    } catch (const std::exception& e) {
      co_return delivery::retry(e.what());
    }
  }
  flight_.generation += 1;
  flight_.outcomes.assign(batch.size(), outcome::retry);
  flight_.reported.assign(batch.size(), false);
  flight_.pending = 0;
  flight_.reason.clear();
  flight_.reason_rejects = false;
  produce(batch);
  if (!co_await wait_for_reports(options_.timeout + report_grace)) {
    flight_.reason = std::to_string(flight_.pending) + " of " + std::to_string(batch.size()) +
                     " messages not acknowledged in time";
    purge();
  }
  delivery d;
  d.reason = std::move(flight_.reason);
  d.per_event = std::move(flight_.outcomes);
  co_return d;
}

asio::awaitable<void> kafka_sink::close() {
  // deliver() leaves nothing in flight unless it was cancelled; what is left is not waited for
  // long: it is still in the agent's queue.
  if (rk_) {
    purge();
    rd_kafka_poll(rk_.get(), 0);
  }
  // Nothing more to serve: the executor may run out of work.
  wake_.cancel();
  co_return;
}

}  // namespace qsanfwd::sinks

#include "sinks/syslog/syslog_sink.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <optional>
#include <stdexcept>

#include "agent/core/logging.hpp"
#include "agent/net/tls.hpp"
#include "agent/net/tls_stream.hpp"

namespace qsanfwd::sinks {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto truncation_warning_interval = std::chrono::seconds(60);

std::string scheme_of(syslog_transport t) {
  switch (t) {
    case syslog_transport::tcp:
      return "tcp";
    case syslog_transport::tls:
      return "tls";
    case syslog_transport::udp:
      break;
  }
  return "udp";
}

std::shared_ptr<ssl::context> tls_context_for(const syslog_options& o) {
  if (o.transport != syslog_transport::tls) {
    return nullptr;
  }
  return net::client_tls_context(o.tls);
}

// Whether the receiver has closed a connection we only ever write to: the socket reports the
// peer's FIN (POLLRDHUP), a reset (POLLERR) or a hang-up, without waiting. Pending readable
// data (a TLS session ticket) does not hide a FIN behind it: POLLRDHUP is set regardless.
bool peer_closed(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) {
    return false;  // nothing to report (or EINTR): the write that follows will tell
  }
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

std::string describe(const std::string& step, const boost::system::error_code& ec,
                     duration timeout) {
  const auto cause =
      ec == beast::error::timeout ? "timed out after " + format_duration(timeout) : ec.message();
  return step + ": " + cause;
}

}  // namespace

struct syslog_sink::transport {
  asio::any_io_executor ex;
  std::shared_ptr<ssl::context> tls;
  std::optional<udp::socket> datagram;
  std::optional<beast::tcp_stream> plain;
  std::optional<net::tls_stream> secure;

  bool open() const { return datagram || plain || secure; }

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  void close() {
    boost::system::error_code ignored;
    if (datagram) {
      datagram->close(ignored);
    }
    if (plain || secure) {
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }
    datagram.reset();
    plain.reset();
    secure.reset();
  }

  // Opens a UDP socket connected to the receiver, so ICMP "port unreachable" comes back as an
  // error of a later send instead of vanishing.
  asio::awaitable<std::optional<std::string>> open_datagram(const syslog_options& o) {
    udp::resolver resolver(ex);
    auto [rec, results] =
        co_await resolver.async_resolve(o.host, std::to_string(o.port), use_tuple);
    if (rec || results.empty()) {
      co_return describe("resolving " + o.host, rec, o.timeout);
    }
    datagram.emplace(ex);
    boost::system::error_code ec;
    const auto target = results.begin()->endpoint();
    datagram->open(target.protocol(), ec);
    if (!ec) {
      datagram->connect(target, ec);
    }
    if (ec) {
      close();
      co_return describe("opening a UDP socket", ec, o.timeout);
    }
    co_return std::nullopt;
  }

  asio::awaitable<std::optional<std::string>> open_stream(const syslog_options& o) {
    tcp::resolver resolver(ex);
    auto [rec, results] =
        co_await resolver.async_resolve(o.host, std::to_string(o.port), use_tuple);
    if (rec) {
      co_return describe("resolving " + o.host, rec, o.timeout);
    }
    plain.emplace(ex);
    plain->expires_after(o.timeout);
    auto [cec, connected] = co_await plain->async_connect(results, use_tuple);
    if (cec) {
      close();
      co_return describe("connecting", cec, o.timeout);
    }
    if (tls) {
      secure.emplace(std::move(*plain), *tls);
      plain.reset();
      net::name_the_peer(secure->native_handle(), o.server_name);
      lowest().expires_after(o.timeout);
      auto [hec] = co_await secure->async_handshake(use_tuple);
      if (hec) {
        close();
        co_return describe("TLS handshake", hec, o.timeout);
      }
    }
    co_return std::nullopt;
  }

  asio::awaitable<boost::system::error_code> write(const std::string& payload, duration timeout) {
    lowest().expires_after(timeout);
    const auto buffer = asio::buffer(payload);
    if (secure) {
      auto [ec, n] = co_await asio::async_write(*secure, buffer, use_tuple);
      co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(*plain, buffer, use_tuple);
    co_return ec;
  }
};

syslog_sink::syslog_sink(std::string name, syslog_options options, asio::any_io_executor ex)
    : name_(std::move(name)),
      options_(std::move(options)),
      log_(get_logger("sink." + name_)),
      transport_(std::make_unique<transport>()),
      messages_(options_.format) {
  transport_->ex = std::move(ex);
  transport_->tls = tls_context_for(options_);
}

syslog_sink::~syslog_sink() = default;

asio::awaitable<delivery> syslog_sink::deliver(std::span<const queued_event> batch) {
  messages_.clear();
  if (auto bad = messages_.add_all(batch)) {
    co_return delivery::rejected(std::move(*bad));
  }
  delivery answer;
  if (options_.transport == syslog_transport::udp) {
    answer = co_await send_datagrams();
  } else {
    answer = co_await send_stream();
  }
  if (answer.result == outcome::delivered) {
    counters_.messages += messages_.size();
    if (failing_) {
      failing_ = false;
      log_->info("sending to {} again", peer());
    }
  } else {
    note_failure(answer.reason);
  }
  co_return answer;
}

asio::awaitable<delivery> syslog_sink::send_datagrams() {
  if (!transport_->open()) {
    const auto opened = co_await transport_->open_datagram(options_);
    if (opened) {
      co_return delivery::retry(peer() + ": " + *opened);
    }
    ++counters_.connects;
  }
  for (std::size_t i = 0; i < messages_.size(); ++i) {
    const auto message = messages_[i];
    const auto cut = syslog::truncate_utf8(message, options_.max_message_size);
    if (cut.size() < message.size()) {
      note_truncated();
    }
    auto [ec, n] = co_await transport_->datagram->async_send(asio::buffer(cut), use_tuple);
    if (ec) {
      transport_->close();
      co_return delivery::retry(peer() + ": " + describe("sending", ec, options_.timeout));
    }
  }
  co_return delivery::delivered();
}

asio::awaitable<delivery> syslog_sink::send_stream() {
  syslog::release_if_large(payload_);
  payload_.clear();
  messages_.frame_into(payload_, options_.framing == syslog_framing::lf);
  if (transport_->open() && peer_closed(transport_->lowest().socket().native_handle())) {
    ++counters_.stale;
    log_->info("{} closed the connection; reconnecting", peer());
    transport_->close();
  }
  if (!transport_->open()) {
    const auto opened = co_await transport_->open_stream(options_);
    if (opened) {
      co_return delivery::retry(peer() + ": " + *opened);
    }
    ++counters_.connects;
    log_->info("connected to {}", peer());
  }
  const auto ec = co_await transport_->write(payload_, options_.timeout);
  if (ec) {
    // Part of the batch may have reached the receiver: the retry sends all of it again.
    transport_->close();
    co_return delivery::retry(peer() + ": " + describe("writing", ec, options_.timeout));
  }
  co_return delivery::delivered();
}

void syslog_sink::note_failure(const std::string& reason) {
  ++counters_.failures;
  if (!failing_) {
    failing_ = true;
    log_->warn("cannot send: {}", reason);
  }
}

void syslog_sink::note_truncated() {
  ++counters_.truncated;
  const auto now = std::chrono::steady_clock::now();
  if (truncated_reported_ == 0 || now - truncation_warned_ >= truncation_warning_interval) {
    log_->warn("{} message(s) longer than max_message_size {} truncated (UDP); {} in total",
               counters_.truncated - truncated_reported_, options_.max_message_size,
               counters_.truncated);
    truncated_reported_ = counters_.truncated;
    truncation_warned_ = now;
  }
}

void syslog_sink::reopen() {
  transport_->close();
  try {
    transport_->tls = tls_context_for(options_);
  } catch (const std::exception& e) {
    log_->error("keeping the previous TLS settings: {}", e.what());
  }
}

asio::awaitable<void> syslog_sink::close() {
  transport_->close();
  co_return;
}

std::string syslog_sink::peer() const {
  return scheme_of(options_.transport) + "://" + options_.host + ":" +
         std::to_string(options_.port);
}

}  // namespace qsanfwd::sinks

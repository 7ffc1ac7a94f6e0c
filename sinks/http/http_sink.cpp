#include "sinks/http/http_sink.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/beast/http/verb.hpp>

#include "agent/core/http_status.hpp"
#include "agent/core/logging.hpp"
#include "agent/net/tls.hpp"

namespace qsanfwd::sinks {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t max_body_in_reason = 512;
constexpr std::size_t max_reason = 2048;

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string authorization(const http_auth& auth) {
  switch (auth.scheme) {
    case http_auth::kind::basic:
      return "Basic " + base64(auth.user + ":" + auth.credential.reveal());
    case http_auth::kind::bearer:
      return "Bearer " + auth.credential.reveal();
    case http_auth::kind::splunk:
      return "Splunk " + auth.credential.reveal();
    case http_auth::kind::none:
      break;
  }
  return {};
}

net::request_headers make_headers(const http_options& o) {
  net::request_headers h;
  h.authorization = authorization(o.auth);
  h.content_type = std::string(content_type(o.encoding.format));
  if (o.gzip) {
    h.content_encoding = "gzip";
  }
  if (!o.channel.empty()) {
    h.extra.emplace_back("X-Splunk-Request-Channel", o.channel);
  }
  for (const auto& [field, value] : o.headers) {
    h.extra.emplace_back(field, value);
  }
  return h;
}

// The start of an answer's body, on one line and without terminal escapes, for a reason.
std::string body_excerpt(std::string_view body) {
  std::string out(body.substr(0, max_body_in_reason));
  std::replace_if(
      out.begin(), out.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, ' ');
  if (body.size() > max_body_in_reason) {
    out += "...";
  }
  return out.empty() ? "(empty body)" : out;
}

std::string status_reason(const net::http_reply& reply) {
  std::string what = "HTTP " + std::to_string(reply.status);
  switch (reply.status) {
    case 401:
      what += " (unauthorized: check the sink's credentials)";
      break;
    case 403:
      what += " (forbidden: check the sink's credentials and their permissions)";
      break;
    case 404:
      what += " (not found: check the sink's url path)";
      break;
    default:
      break;
  }
  return what + ": " + body_excerpt(reply.body);
}

/// Whether a status refuses the sender rather than the events: a token, a permission or a path
/// the operator fixes, after which the same events are welcome. Such batches stay queued and are
/// retried with backoff; dead-lettering them would take every event until the fix out of the
/// receiver's reach.
bool refuses_the_sender(int status) {
  return status == 401 || status == 403 || status == 404;
}

// Adds `why` to `reasons` unless it is there already, keeping the whole short.
void add_reason(std::string& reasons, const std::string& why) {
  if (why.empty() || reasons.find(why) != std::string::npos || reasons.size() >= max_reason) {
    return;
  }
  reasons += reasons.empty() ? why : "; " + why;
  if (reasons.size() > max_reason) {
    reasons.resize(max_reason);
    reasons += "...";
  }
}

}  // namespace

http_sink::http_sink(std::string name, http_options options, std::size_t max_bytes,
                     asio::any_io_executor ex)
    : name_(std::move(name)),
      options_(std::move(options)),
      max_bytes_(max_bytes),
      ex_(std::move(ex)),
      headers_(make_headers(options_)),
      connection_(connect()),
      log_(get_logger("sink." + name_)) {}

http_sink::~http_sink() = default;

std::unique_ptr<net::http_connection> http_sink::connect() {
  const auto& ep = options_.endpoint;
  std::shared_ptr<asio::ssl::context> tls;
  if (ep.tls()) {
    tls = net::client_tls_context(options_.tls);
  }
  // The URL's path is the whole target: the connection's base path stays empty.
  net::endpoint peer{ep.host, ep.port, ep.tls(), "", options_.proxy};
  return std::make_unique<net::http_connection>(ex_, std::move(peer), std::move(tls),
                                                options_.timeout);
}

asio::awaitable<delivery> http_sink::deliver(std::span<const queued_event> batch) {
  if (reopen_requested_) {
    // Replaced here, between requests, never under a request in flight.
    try {
      connection_ = connect();
      reopen_requested_ = false;
    } catch (const std::exception& e) {
      co_return delivery::retry(std::string("reopening: ") + e.what());
    }
  }
  const auto pieces = split_batch(batch, options_.encoding, max_bytes_);
  std::vector<outcome> outcomes;
  outcomes.reserve(batch.size());
  std::string reasons;
  std::optional<duration> retry_after;
  for (const auto& piece : pieces) {
    piece_result r;
    if (piece.too_large) {
      const auto bytes = encode_batch(piece.events, options_.encoding).size();
      r = {{outcome::rejected},
           "an event of " + std::to_string(bytes) + " bytes as sent exceeds batch.max_bytes (" +
               std::to_string(max_bytes_) + ")",
           std::nullopt};
    } else {
      r = co_await send(piece);
    }
    add_reason(reasons, r.reason);
    retry_after = r.retry_after;
    outcomes.insert(outcomes.end(), r.outcomes.begin(), r.outcomes.end());
    if (std::find(r.outcomes.begin(), r.outcomes.end(), outcome::retry) != r.outcomes.end()) {
      // What follows would be sent again with the retry: do not send it twice.
      outcomes.resize(batch.size(), outcome::retry);
      break;
    }
  }
  const auto rejected = std::count(outcomes.begin(), outcomes.end(), outcome::rejected);
  counters_.rejected += static_cast<std::uint64_t>(rejected);
  if (rejected > 0) {
    log_->debug("{} event(s) rejected: {}", rejected, reasons);
  }
  if (std::adjacent_find(outcomes.begin(), outcomes.end(), std::not_equal_to<>()) !=
      outcomes.end()) {
    delivery d{outcome::retry, std::move(reasons), retry_after, std::move(outcomes)};
    co_return d;
  }
  switch (outcomes.front()) {
    case outcome::delivered:
      co_return delivery::delivered();
    case outcome::retry:
      co_return delivery::retry(std::move(reasons), retry_after);
    case outcome::rejected:
      break;
  }
  co_return delivery::rejected(std::move(reasons));
}

asio::awaitable<http_sink::piece_result> http_sink::send(const request_piece& piece) {
  const auto method = options_.method == "PUT" ? http::verb::put : http::verb::post;
  std::string body = options_.gzip ? gzip(piece.body) : piece.body;
  const auto size = body.size();
  std::string target = options_.endpoint.base_path;
  if (!options_.endpoint.query.empty()) {
    target += "?" + options_.endpoint.query;
  }
  auto reply = co_await connection_->request(method, std::move(target), std::move(body), headers_);
  if (!reply) {
    ++counters_.transport_failures;
    ++counters_.retried;
    if (!std::exchange(failing_, true)) {
      log_->debug("{}", reply.error().message);
    }
    co_return piece_result{std::vector<outcome>(piece.events.size(), outcome::retry),
                           reply.error().message, std::nullopt};
  }
  failing_ = false;
  ++counters_.requests;
  counters_.bytes_sent += size;
  co_return answer(piece, *reply);
}

http_sink::piece_result http_sink::answer(const request_piece& piece,
                                          const net::http_reply& reply) {
  const auto n = piece.events.size();
  const auto cls = classify_status(reply.status);
  if (cls == status_class::retry || refuses_the_sender(reply.status)) {
    ++counters_.retried;
    return {std::vector<outcome>(n, outcome::retry), status_reason(reply), reply.retry_after};
  }
  if (cls != status_class::success) {
    return {std::vector<outcome>(n, outcome::rejected), status_reason(reply), std::nullopt};
  }
  if (options_.encoding.format != http_format::elasticsearch) {
    return {std::vector<outcome>(n, outcome::delivered), {}, std::nullopt};
  }
  auto items = read_bulk_response(reply.body, n);
  if (!items) {
    // A 2xx whose body is not a bulk answer (a proxy's page, another service at that URL):
    // retrying would send the batch for as long as the receiver answers so, holding the sink.
    // Rejected instead, the events wait in the dead-letter file with the answer's start.
    return {std::vector<outcome>(n, outcome::rejected),
            items.error().message + ": " + body_excerpt(reply.body), std::nullopt};
  }
  piece_result r;
  for (auto& item : *items) {
    r.outcomes.push_back(item.result);
    add_reason(r.reason, item.reason);
  }
  if (std::find(r.outcomes.begin(), r.outcomes.end(), outcome::retry) != r.outcomes.end()) {
    ++counters_.retried;
  }
  return r;
}

void http_sink::reopen() {
  log_->info("reopening the connection to {}:{} before the next batch", options_.endpoint.host,
             options_.endpoint.port);
  reopen_requested_ = true;
}

asio::awaitable<void> http_sink::close() {
  connection_->close();
  co_return;
}

}  // namespace qsanfwd::sinks

#include "agent/ops/http_api.hpp"

#include "agent/net/http_server.hpp"

namespace qsanfwd::ops {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

net::http_response answer(const routes& table, const net::http_request& req) {
  reply out;
  const std::string_view target = req.target();
  const auto path = target.substr(0, target.find('?'));
  const auto route = table.find(path);
  if (route == table.end()) {
    out = {404, "text/plain; charset=utf-8",
           "not found; try /, /api/status, /metrics or /healthz\n"};
  } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
    out = {405, "text/plain; charset=utf-8", "only GET\n"};
  } else {
    out = route->second();
  }
  net::http_response res{static_cast<http::status>(out.status), req.version()};
  res.set(http::field::content_type, out.content_type);
  res.set(http::field::cache_control, "no-store");
  if (out.status == 405) {
    res.set(http::field::allow, "GET, HEAD");
  }
  for (const auto& [name, value] : out.headers) {
    res.set(name, value);
  }
  res.body() = req.method() == http::verb::head ? std::string() : std::move(out.body);
  return res;
}

net::http_server_options options_for(const config::host_port& where) {
  net::http_server_options o;
  // Errors name the configuration key: "http_api.listen 0.0.0.0:9100: cannot bind".
  o.name = "http_api.listen";
  o.host = where.host;
  o.port = where.port;
  o.max_connections = http_api::max_connections;
  return o;
}

/// Made ready at once: a route answers synchronously.
asio::awaitable<net::handler_result> ready(net::http_response res) {
  co_return res;
}

}  // namespace

struct http_api::impl {
  impl(asio::any_io_executor ex, const config::host_port& where, routes r)
      : server(std::move(ex), options_for(where),
               // Shared with the sessions, which may outlive this object by a moment.
               [table = std::make_shared<const routes>(std::move(r))](net::http_request& req,
                                                                      net::server_stream&) {
                 return ready(answer(*table, req));
               }) {}

  net::http_server server;
};

http_api::http_api(asio::any_io_executor ex, const config::host_port& where, routes r)
    : impl_(std::make_shared<impl>(std::move(ex), where, std::move(r))) {}

http_api::~http_api() = default;

void http_api::start() {
  impl_->server.start();
}

void http_api::stop() {
  impl_->server.stop();
}

std::uint16_t http_api::port() const {
  return impl_->server.port();
}

}  // namespace qsanfwd::ops

#include <boost/asio/buffer.hpp>
#include <chrono>

#include "sim/simulator_impl.hpp"

// The wire: the shared HTTP server (agent/net/http_server.hpp) carries the connections; this
// writes what the routes answer, or fails as the answer's fault asks, on the raw stream.

namespace qsanfwd::sim {

namespace asio = boost::asio;

namespace {

using impl_ptr = std::shared_ptr<simulator::impl>;

asio::awaitable<net::handler_result> answer(impl_ptr self, net::http_request& req,
                                            net::server_stream& stream) {
  if (!self) {
    co_return std::nullopt;  // the simulator is gone; its server closes with it
  }
  auto r = self->handle(req);
  if (r.injected == fault::reset) {
    stream.reset();
    co_return std::nullopt;
  }
  if (r.injected == fault::delay && !co_await stream.wait(r.delay)) {
    co_return std::nullopt;
  }
  if (r.endless) {
    co_await send_endless(*self, stream);
    co_return std::nullopt;
  }
  net::http_response res{r.status, req.version()};
  res.set(http::field::server, "qsan-sim");
  res.set(http::field::date, http_date(self->now()));
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(r.body);
  co_return res;
}

}  // namespace

void start_server(const impl_ptr& self) {
  auto& s = *self;
  net::http_server_options o;
  o.name = "qsan-sim";
  o.host = s.opts.listen_address;
  o.port = s.opts.port;
  o.cert_file = s.opts.cert_file;
  o.key_file = s.opts.key_file;
  o.body_limit = 64U * 1024U * 1024U;
  // A client may hold a keep-alive connection between polls.
  o.read_timeout = std::chrono::minutes(5);
  o.write_timeout = std::chrono::seconds(30);
  // The server lives in the simulator: a handler holding it strongly would keep both alive.
  std::weak_ptr<simulator::impl> weak = self;
  s.server.emplace(s.io_.get_executor(), std::move(o),
                   [weak](net::http_request& req, net::server_stream& stream) {
                     return answer(weak.lock(), req, stream);
                   });
  {
    std::lock_guard lock(s.mu);
    s.port = s.server->port();
  }
  s.server->start();
}

void simulator::impl::close_all() {
  live_timer.cancel();
  if (server) {
    server->stop();
  }
}

}  // namespace qsanfwd::sim

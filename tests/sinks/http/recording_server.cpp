#include "tests/sinks/http/recording_server.hpp"

#include <zlib.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cctype>
#include <stdexcept>
#include <thread>

#include "agent/net/http_server.hpp"

namespace qsanfwd::test {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

recorded_request record(net::http_request& req, int connection) {
  recorded_request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    r.headers[name] = std::string(field.value());
  }
  r.body = std::move(req.body());
  r.connection = connection;
  r.at = std::chrono::steady_clock::now();
  return r;
}

net::http_response response_of(const scripted_response& scripted) {
  net::http_response res{static_cast<http::status>(scripted.status), 11};
  for (const auto& [name, value] : scripted.headers) {
    res.set(name, value);
  }
  res.body() = scripted.body;
  if (scripted.close) {
    res.keep_alive(false);
  }
  return res;
}

asio::awaitable<net::handler_result> ready(net::http_response res) {
  co_return res;
}

}  // namespace

struct recording_server::impl {
  asio::io_context io;
  std::optional<net::http_server> server;
  answer_fn answer;
  mutable std::mutex mutex;
  std::deque<scripted_response> script;
  std::vector<recorded_request> requests;
  int connections = 0;
  std::thread thread;

  scripted_response respond(recorded_request& req) {
    std::lock_guard lock(mutex);
    scripted_response r;
    if (!script.empty()) {
      r = std::move(script.front());
      script.pop_front();
    } else if (answer) {
      r = answer(req);
    }
    req.status = r.status;
    requests.push_back(req);
    return r;
  }

  int number_of(const net::server_stream& stream) {
    const auto n = static_cast<int>(stream.id());
    std::lock_guard lock(mutex);
    connections = std::max(connections, n);
    return n;
  }
};

recording_server::recording_server(std::optional<tls_cert> tls, answer_fn answer)
    : impl_(std::make_unique<impl>()) {
  impl_->answer = std::move(answer);
  net::http_server_options o;
  o.name = "recording_server";
  if (tls) {
    o.cert_file = tls->cert_file.string();
    o.key_file = tls->key_file.string();
  }
  o.body_limit = 1U << 30U;
  // Tests hold connections open as long as they like.
  o.read_timeout = std::chrono::hours(1);
  auto* self = impl_.get();  // outlives the server: the destructor stops the io thread first
  impl_->server.emplace(impl_->io.get_executor(), std::move(o),
                        [self](net::http_request& req, net::server_stream& stream) {
                          auto r = record(req, self->number_of(stream));
                          return ready(response_of(self->respond(r)));
                        });
  impl_->server->start();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

recording_server::~recording_server() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t recording_server::port() const {
  return impl_->server->port();
}

std::string recording_server::url(const std::string& path) const {
  return std::string(impl_->server->tls() ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(port()) + path;
}

void recording_server::script(scripted_response r) {
  std::lock_guard lock(impl_->mutex);
  impl_->script.push_back(std::move(r));
}

std::vector<recorded_request> recording_server::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

int recording_server::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections;
}

std::string gunzip(const std::string& data) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    throw std::runtime_error("inflateInit2 failed");
  }
  std::string out;
  char chunk[16384];
  // zlib's API is not const-correct: it never writes through next_in.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    throw std::runtime_error("not a complete gzip stream");
  }
  return out;
}

}  // namespace qsanfwd::test

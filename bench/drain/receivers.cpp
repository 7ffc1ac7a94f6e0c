#include "bench/drain/receivers.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>

#include "agent/net/http_server.hpp"

namespace qsanfwd::bench {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace net = qsanfwd::net;
using tcp = asio::ip::tcp;

namespace {

/// The mock cluster and a client of it that asks for the partition's high watermark.
class kafka_receiver final : public counting_receiver {
 public:
  kafka_receiver() {
    std::array<char, 256> err{};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err.data(), err.size());
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
    if (owner_ == nullptr) {
      throw std::runtime_error(std::string("rd_kafka_new: ") + err.data());
    }
    cluster_ = rd_kafka_mock_cluster_new(owner_, 1);
    if (cluster_ == nullptr ||
        rd_kafka_mock_topic_create(cluster_, "qsan", 1, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("cannot start librdkafka's mock cluster");
    }
    const std::string bootstraps = rd_kafka_mock_cluster_bootstraps(cluster_);
    port_ = static_cast<std::uint16_t>(std::stoi(bootstraps.substr(bootstraps.rfind(':') + 1)));
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err.data(), err.size());
    rd_kafka_conf_set(conf, "log_level", "3", err.data(), err.size());
    client_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
    if (client_ == nullptr) {
      throw std::runtime_error(std::string("rd_kafka_new: ") + err.data());
    }
  }
  ~kafka_receiver() override {
    rd_kafka_destroy(client_);
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
  }
  kafka_receiver(const kafka_receiver&) = delete;
  kafka_receiver& operator=(const kafka_receiver&) = delete;

  std::uint16_t port() const override { return port_; }
  std::uint64_t count() override {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_query_watermark_offsets(client_, "qsan", 0, &low, &high, 1000) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return last_;
    }
    last_ = static_cast<std::uint64_t>(high);
    return last_;
  }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  rd_kafka_t* client_ = nullptr;
  std::uint16_t port_ = 0;
  std::uint64_t last_ = 0;
};

/// Accepts on 127.0.0.1:0 and serves each connection on a thread of its own with `serve`.
/// Threads are detached: a benchmark process exits with them still blocked in a read.
template <typename Serve>
class threaded_receiver final : public counting_receiver {
 public:
  explicit threaded_receiver(Serve serve)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        serve_(std::move(serve)) {
    std::thread([this] { accept_loop(); }).detach();
  }
  std::uint16_t port() const override { return acceptor_.local_endpoint().port(); }
  std::uint64_t count() override { return count_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec) {
        return;
      }
      std::thread([this, socket] { serve_(*socket, count_); }).detach();
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  Serve serve_;
  std::atomic<std::uint64_t> count_{0};
};

template <typename Serve>
std::unique_ptr<counting_receiver> make_receiver(Serve serve) {
  return std::make_unique<threaded_receiver<Serve>>(std::move(serve));
}

/// Octet counting: "LEN SP MSG" repeated; the frame is counted once all of MSG has arrived.
void count_syslog_frames(tcp::socket& socket, std::atomic<std::uint64_t>& count) {
  std::vector<char> buffer(1 << 16);
  std::uint64_t length = 0;
  std::uint64_t left = 0;  // bytes of the current message still to come
  bool in_message = false;
  for (;;) {
    boost::system::error_code ec;
    const auto n = socket.read_some(asio::buffer(buffer), ec);
    if (ec) {
      return;
    }
    std::uint64_t frames = 0;
    for (std::size_t i = 0; i < n;) {
      if (in_message) {
        const auto take = std::min<std::uint64_t>(left, n - i);
        left -= take;
        i += take;
        if (left == 0) {
          in_message = false;
          ++frames;
        }
      } else if (buffer[i] == ' ') {
        in_message = length > 0;
        left = length;
        length = 0;
        ++i;
      } else {
        length = length * 10 + static_cast<std::uint64_t>(buffer[i] - '0');
        ++i;
      }
    }
    count += frames;
  }
}

asio::awaitable<net::handler_result> ok(unsigned version) {
  co_return net::http_response{http::status::ok, version};
}

/// The HTTP receiver: the agent's HTTP sink posts to it, one connection a sink, on a thread of
/// its own.
class http_receiver final : public counting_receiver {
 public:
  http_receiver()
      : server_(io_.get_executor(), options(), [this](net::http_request& req, net::server_stream&) {
          const auto& body = req.body();
          auto lines = static_cast<std::uint64_t>(std::count(body.begin(), body.end(), '\n'));
          if (!body.empty() && body.back() != '\n') {
            ++lines;
          }
          count_ += lines;
          return ok(req.version());
        }) {
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~http_receiver() override {
    io_.stop();
    thread_.join();
  }
  http_receiver(const http_receiver&) = delete;
  http_receiver& operator=(const http_receiver&) = delete;
  std::uint16_t port() const override { return server_.port(); }
  std::uint64_t count() override { return count_.load(); }

 private:
  static net::http_server_options options() {
    net::http_server_options o;
    o.name = "bench_http_receiver";
    o.body_limit = 1ULL << 30U;
    // A sink holds its connection between batches however long the run's pauses are.
    o.read_timeout = std::chrono::hours(1);
    return o;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::atomic<std::uint64_t> count_{0};
  net::http_server server_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<counting_receiver> start_kafka_receiver() {
  return std::make_unique<kafka_receiver>();
}

std::unique_ptr<counting_receiver> start_syslog_receiver() {
  return make_receiver(count_syslog_frames);
}

std::unique_ptr<counting_receiver> start_http_receiver() {
  return std::make_unique<http_receiver>();
}

std::uint64_t file_line_counter::count() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    return lines_;
  }
  in.seekg(static_cast<std::streamoff>(offset_));
  std::vector<char> buffer(1 << 20);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    offset_ += n;
    lines_ += static_cast<std::uint64_t>(
        std::count(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n), '\n'));
  }
  return lines_;
}

}  // namespace qsanfwd::bench

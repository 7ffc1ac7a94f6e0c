#include "bench/drain/receivers.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <mutex>

namespace qsanfwd::bench {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

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

void count_ndjson_lines(tcp::socket& socket, std::atomic<std::uint64_t>& count) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1ULL << 30);
    boost::system::error_code ec;
    http::read(socket, buffer, parser, ec);
    if (ec) {
      return;
    }
    const auto& body = parser.get().body();
    auto lines = static_cast<std::uint64_t>(std::count(body.begin(), body.end(), '\n'));
    if (!body.empty() && body.back() != '\n') {
      ++lines;
    }
    count += lines;
    http::response<http::empty_body> answer{http::status::ok, 11};
    answer.keep_alive(parser.get().keep_alive());
    answer.prepare_payload();
    http::write(socket, answer, ec);
    if (ec || !answer.keep_alive()) {
      return;
    }
  }
}

}  // namespace

std::unique_ptr<counting_receiver> start_syslog_receiver() {
  return make_receiver(count_syslog_frames);
}

std::unique_ptr<counting_receiver> start_http_receiver() {
  return make_receiver(count_ndjson_lines);
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

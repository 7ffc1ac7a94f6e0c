// The device client against a hostile array over loopback (issue 23): answers too large, endless,
// nested, too long, not UTF-8, or with tokens no header may carry. Each is a failure naming the
// endpoint and the field or the limit, or a repair; never a crash, and bounded memory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <thread>

#include "agent/device/device_client.hpp"
#include "tests/support/capture_log.hpp"
#include "tests/support/run_coroutine.hpp"

namespace qsanfwd::device {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t limit = 1024 * 1024;  // the client's max_response_bytes here

/// How the hostile array answers one request.
struct answer {
  std::string body;              ///< sent with its Content-Length, unless one of these is set
  std::size_t claimed_length = 0;  ///< a Content-Length to claim, then filler sent until it is
  bool endless_chunks = false;   ///< chunked filler until the client goes away
};

/// An HTTP/1.1 server on 127.0.0.1, port 0, on a thread of its own, that answers each request
/// with raw bytes from `script` (given the request target), and counts the bytes it sends.
class hostile_array {
 public:
  using script_fn = std::function<answer(const std::string& target)>;

  explicit hostile_array(script_fn script) : script_(std::move(script)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(io_, listen(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~hostile_array() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::size_t bytes_sent() const { return sent_; }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mutex_);
    return targets_;
  }

 private:
  asio::awaitable<void> listen() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) {
        co_return;
      }
      asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(socket, buffer, req, use_tuple);
      if (ec) {
        co_return;
      }
      const std::string target(req.target());
      {
        std::lock_guard lock(mutex_);
        targets_.push_back(target);
      }
      if (!co_await send(socket, script_(target))) {
        co_return;
      }
    }
  }

  asio::awaitable<bool> write(tcp::socket& socket, std::string_view bytes) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes), use_tuple);
    sent_ += n;
    co_return !ec;
  }

  asio::awaitable<bool> send(tcp::socket& socket, const answer& a) {
    const std::string filler(64 * 1024, 'x');
    if (a.endless_chunks) {
      if (!co_await write(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) {
        co_return false;
      }
      while (co_await write(socket, "10000\r\n" + filler + "\r\n")) {
      }
      co_return false;
    }
    const auto length = a.claimed_length != 0 ? a.claimed_length : a.body.size();
    if (!co_await write(socket, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                "Content-Length: " +
                                    std::to_string(length) + "\r\n\r\n")) {
      co_return false;
    }
    if (a.claimed_length == 0) {
      co_return co_await write(socket, a.body);
    }
    for (std::size_t left = length; left > 0; left -= std::min(left, filler.size())) {
      if (!co_await write(socket, std::string_view(filler).substr(0, left))) {
        co_return false;
      }
    }
    co_return true;
  }

  script_fn script_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::atomic<std::size_t> sent_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> targets_;
};

class no_vault final : public token_vault {
 public:
  std::optional<std::string> load(const std::string&) override { return std::nullopt; }
  void save(const std::string&, const std::string&) override {}
  void forget(const std::string&) override {}
};

const answer login{R"({"accessToken":"tok-1","expireTime":0,"refreshToken":"ref-1"})"};

/// The array answers the login, and `data` to everything else.
hostile_array::script_fn serving(answer data) {
  return [data = std::move(data)](const std::string& target) {
    return target.starts_with("/auth/") ? login : data;
  };
}

struct fixture {
  explicit fixture(hostile_array::script_fn script) : array(std::move(script)) {}
  hostile_array array;
  asio::io_context io;
  no_vault vault;

  device_client make() {
    client_settings s;
    s.name = "array-01";
    s.peer = net::endpoint{"127.0.0.1", array.port(), false, "", {}};
    s.username = "admin";
    s.password = secret("pw");
    s.timeout = 5s;
    s.max_attempts = 1;
    s.max_response_bytes = limit;
    return device_client(io.get_executor(), std::move(s), vault, nullptr);
  }

  result<log_page> page(device_client& client, int page_size = 5) {
    return test::run(io, client.log_list({.start_time = 0, .types = {}, .page_number = 1,
                                          .page_size = page_size}));
  }
};

std::string page_of(const std::vector<std::string>& messages) {
  std::string body = R"({"total":)" + std::to_string(messages.size()) + R"(,"logs":[)";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    body += (i == 0 ? "" : ",") + std::string(R"({"type":"info","timestamp":1700000000,"message":")") +
            messages[i] + R"("})";
  }
  return body + "]}";
}

void expect_failure_names(const auto& r, std::initializer_list<std::string_view> words) {
  ASSERT_FALSE(r);
  for (const auto w : words) {
    EXPECT_NE(r.error().message.find(w), std::string::npos) << r.error().message;
  }
}

/// Nested arrays, `count` of them of two values each: ~6 bytes apiece.
std::string junk_of(std::size_t count) {
  std::string junk = "[";
  for (std::size_t i = 0; i < count; ++i) {
    junk += (i == 0 ? "" : ",") + std::string("[1,[]]");
  }
  return junk + "]";
}

TEST(hostile_array, an_endless_chunked_answer_is_cut_at_the_limit) {
  fixture f(serving(answer{.body = {}, .claimed_length = 0, .endless_chunks = true}));
  auto client = f.make();
  const auto page = f.page(client);
  const auto peer = "127.0.0.1:" + std::to_string(f.array.port());
  expect_failure_names(page, {peer, "larger than the limit of 1048576 bytes"});
  // Socket buffers hold a few MiB at most; the client read no more than its limit of it.
  EXPECT_LT(f.array.bytes_sent(), 16 * limit);
}

TEST(hostile_array, a_content_length_over_the_limit_is_refused_before_the_body) {
  fixture f(serving(answer{.body = {}, .claimed_length = 1024 * limit, .endless_chunks = false}));
  auto client = f.make();
  const auto page = f.page(client);
  expect_failure_names(page, {"127.0.0.1:", "larger than the limit of 1048576 bytes"});
  EXPECT_LT(f.array.bytes_sent(), 16 * limit);
}

TEST(hostile_array, an_answer_just_within_the_limit_is_read) {
  fixture f(serving(answer{page_of({std::string(limit - 200, 'm')})}));
  auto client = f.make();
  const auto page = f.page(client);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->logs.at(0).message.size(), limit - 200);
}

TEST(hostile_array, deep_nesting_is_a_failure_and_the_client_goes_on) {
  const std::string bomb = std::string(75'000, '[') + std::string(75'000, ']');
  fixture f([&](const std::string& target) {
    if (target.starts_with("/auth/")) {
      return login;
    }
    if (target.starts_with("/rest/v1/hardware/all/info")) {
      return answer{R"([{"encId":0,"info":{"sysHealth":"Good","junk":)" + bomb + "}}]"};
    }
    return answer{R"({"logs":[{"type":"info","message":"m","timestamp":)" + bomb + "}]}"};
  });
  auto client = f.make();
  expect_failure_names(f.page(client), {"/rest/v1/log/list", "nests deeper than 64 levels"});
  expect_failure_names(test::run(f.io, client.enclosures()),
                       {"/rest/v1/hardware/all/info", "nests deeper than 64 levels"});
}

TEST(hostile_array, a_page_longer_than_its_page_size_is_refused) {
  fixture f(serving(answer{page_of(std::vector<std::string>(1000, "line"))}));
  auto client = f.make();
  expect_failure_names(f.page(client, 5), {"/rest/v1/log/list", "field logs",
                                           "more than 5 lines, the pageSize asked for"});
  ASSERT_TRUE(f.page(client, 1000));
}

TEST(hostile_array, invalid_utf8_is_repaired_counted_and_warned_once) {
  test::capture_log log;
  fixture f(serving(answer{page_of({"User M\xFCller logged in", "ok", "two \xE9\xE9"})}));
  auto client = f.make();
  const auto first = f.page(client);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->logs.at(0).message, "User M\xEF\xBF\xBDller logged in");
  EXPECT_EQ(first->logs.at(2).message, "two \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(client.counters().invalid_utf8, 3U);
  const auto second = f.page(client);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->logs, first->logs) << "the same bytes repair to the same text";
  EXPECT_EQ(client.counters().invalid_utf8, 6U);
  const auto text = log.text();
  const auto warning = text.find("invalid UTF-8");
  ASSERT_NE(warning, std::string::npos) << text;
  EXPECT_EQ(text.find("invalid UTF-8", warning + 1), std::string::npos) << "warned once: " << text;
}

TEST(hostile_array, a_token_with_crlf_never_reaches_a_header) {
  test::capture_log log;
  fixture f([](const std::string& target) {
    if (target.starts_with("/auth/")) {
      return answer{R"({"accessToken":"tok\r\nX-Evil: 1","refreshToken":"ref"})"};
    }
    return answer{page_of({"x"})};
  });
  auto client = f.make();
  expect_failure_names(f.page(client), {"/auth/get", "field accessToken", "HTTP header"});
  for (const auto& t : f.array.targets()) {
    EXPECT_TRUE(t.starts_with("/auth/")) << "asked " << t << " with a token it must not send";
  }
  EXPECT_EQ(log.text().find("X-Evil"), std::string::npos);
}

TEST(hostile_array, junk_in_an_ignored_health_field_costs_no_memory) {
  // ~0.6 MiB of nested junk (300,000 values) beside what is read.
  const auto junk = junk_of(100'000);
  fixture f(serving(answer{R"({"disks":[{"id":"d1","health":"Good","junk":)" + junk + "}]}"}));
  auto client = f.make();
  const auto disks = test::run(f.io, client.disks());
  ASSERT_TRUE(disks) << disks.error().message;
  EXPECT_EQ(disks->at(0).health, "Good");
}

/// Runs a hostile_array in a child process while it lives, so that what the server holds is not
/// in this process's peak RSS.
class array_process {
 public:
  explicit array_process(hostile_array::script_fn script) {
    int port_pipe[2];
    int stop_pipe[2];
    if (pipe(port_pipe) != 0 || pipe(stop_pipe) != 0) {
      throw std::runtime_error("pipe failed");
    }
    pid_ = fork();
    if (pid_ == 0) {
      close(stop_pipe[1]);
      {
        hostile_array array(std::move(script));
        const auto port = array.port();
        (void)!::write(port_pipe[1], &port, sizeof port);
        char c = 0;
        (void)!::read(stop_pipe[0], &c, 1);  // EOF when the parent is done
      }
      _exit(0);
    }
    close(port_pipe[1]);
    close(stop_pipe[0]);
    stop_ = stop_pipe[1];
    if (::read(port_pipe[0], &port_, sizeof port_) != sizeof port_) {
      throw std::runtime_error("the array process did not start");
    }
    close(port_pipe[0]);
  }
  ~array_process() {
    close(stop_);
    waitpid(pid_, nullptr, 0);
  }
  array_process(const array_process&) = delete;
  array_process& operator=(const array_process&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int stop_ = -1;
  std::uint16_t port_ = 0;
};

// Every fault of issue 23 in one process (ctest runs each test in a process of its own), at the
// default max_response_bytes, one answer after another from one array in a child process: this
// process's peak RSS, the client's, must stay well under 64 MiB. Before: the 62 MB health
// answer peaked at 2.3 GB, the million-line page at 823 MB, the endless chunked body at 161 MB,
// and the nesting crashed.
TEST(hostile_array, every_fault_in_one_process_peaks_under_64_mib) {
  constexpr std::size_t mib = 1024 * 1024;
  const std::vector<std::function<answer()>> faults{
      [] { return answer{.body = {}, .claimed_length = 0, .endless_chunks = true}; },
      [] { return answer{.body = {}, .claimed_length = 62 * mib, .endless_chunks = false}; },
      [] {
        return answer{R"({"disks":[{"id":"d1","health":"Good","junk":)" + junk_of(mib) + "}]}"};
      },
      [] { return answer{R"({"disks":[{"id":"d1","health":)" + junk_of(mib) + "}]}"}; },
      [] {
        return answer{R"({"disks":[{"id":"d1","junk":)" + std::string(50'000, '[') + "}]}"};
      },
      [] { return answer{page_of(std::vector<std::string>(mib / 8, "a line of some bytes"))}; },
      [] { return answer{page_of({std::string(8 * mib / 3 - 100, '\xFF')})}; },
      [] { return answer{page_of({std::string(4 * mib, '\xFF')})}; },
  };
  std::size_t next = 0;  // the child's copy counts
  array_process array([&](const std::string& target) {
    return target.starts_with("/auth/") ? login : faults.at(next++ % faults.size())();
  });
  asio::io_context io;
  no_vault vault;
  client_settings s;
  s.name = "array-01";
  s.peer = net::endpoint{"127.0.0.1", array.port(), false, "", {}};
  s.username = "admin";
  s.password = secret("pw");
  s.max_attempts = 1;  // and the default max_response_bytes: 8 MiB
  device_client client(io.get_executor(), std::move(s), vault, nullptr);
  std::vector<std::string> outcomes;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto ok = i >= 2 && i <= 4
                        ? test::run(io, client.disks()).ok()
                        : test::run(io, client.log_list({.start_time = 0, .types = {},
                                                         .page_number = 1, .page_size = 1000}))
                              .ok();
    outcomes.push_back(ok ? "read" : "refused");
  }
  EXPECT_EQ(outcomes, (std::vector<std::string>{"refused", "refused", "read", "refused", "refused",
                                                "refused", "read", "refused"}));
  rusage usage{};
  ASSERT_EQ(getrusage(RUSAGE_SELF, &usage), 0);
  std::printf("peak RSS of the client over every hostile answer: %ld KiB\n", usage.ru_maxrss);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's shadow memory and quarantine are in the RSS";
#endif
  EXPECT_LT(usage.ru_maxrss, 48 * 1024);
}

}  // namespace
}  // namespace qsanfwd::device

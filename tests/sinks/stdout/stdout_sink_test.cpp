// The stdout sink writing into a pipe, as a container's log collector reads it.
#include "sinks/stdout/stdout_sink.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "config/config_error.hpp"
#include "tests/support/run_coroutine.hpp"

namespace qsanfwd::sinks {
namespace {

using namespace std::chrono_literals;

/// A pipe the sink writes into and the test reads from.
struct pipe_pair {
  int read = -1, write = -1;
  pipe_pair() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read = fds[0];
    write = fds[1];
    ::fcntl(read, F_SETFL, O_NONBLOCK);
  }
  ~pipe_pair() {
    close_read();
    ::close(write);
  }
  void close_read() {
    if (read >= 0) {
      ::close(read);
      read = -1;
    }
  }
  /// What is in the pipe now.
  std::string drain() const {
    std::string out;
    char buf[65536];
    for (ssize_t n; (n = ::read(read, buf, sizeof buf)) > 0;) {
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
};

event warning_event(int i) {
  event e;
  e.id = "e" + std::to_string(i);
  e.device = "array-01";
  e.timestamp = 1795915304;  // 2026-11-29T01:21:44Z
  e.type = "warning";
  e.severity = severity::warning;
  e.message = "Fan " + std::to_string(i) + " speed low\nsee the manual";
  return e;
}

std::vector<queued_event> batch_of(int n) {
  std::vector<queued_event> out;
  for (int i = 0; i < n; ++i) {
    out.emplace_back(i + 1, to_json(warning_event(i)));
  }
  return out;
}

delivery deliver(stdout_sink& sink, const std::vector<queued_event>& batch) {
  boost::asio::io_context io;
  return test::run(io, sink.deliver(batch));
}

stdout_options parse(const std::string& text) {
  auto r = config::object_reader::open(
      nlohmann::json::parse(text), [](const std::string&) { return std::optional<std::string>(); });
  auto o = parse_stdout_options(r);
  r.finish();
  return o;
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "";
}

TEST(stdout_sink, each_format_writes_one_exact_line_per_event) {
  const auto batch = batch_of(2);
  syslog::format_settings cef;
  cef.format = syslog::message_format::cef;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({})", batch[0].body + "\n" + batch[1].body + "\n"},
      {R"({"format": "rfc5424"})",
       "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning [qsan@32473 device=\"array-01\" "
       "event_id=\"e0\" kind=\"log\" type=\"warning\"] Fan 0 speed low\\nsee the manual\n"
       "<132>1 2026-11-29T01:21:44Z array-01 qsan - warning [qsan@32473 device=\"array-01\" "
       "event_id=\"e1\" kind=\"log\" type=\"warning\"] Fan 1 speed low\\nsee the manual\n"},
      {R"({"format": "rfc3164", "facility": "local7", "app_name": "qsanfwd"})",
       "<188>Nov 29 01:21:44 array-01 qsanfwd: Fan 0 speed low\\nsee the manual\n"
       "<188>Nov 29 01:21:44 array-01 qsanfwd: Fan 1 speed low\\nsee the manual\n"},
      {R"({"format": "cef"})", syslog::frame_lf(syslog::format_cef(warning_event(0), cef)) +
                                   syslog::frame_lf(syslog::format_cef(warning_event(1), cef))},
  };
  for (const auto& [options, expected] : cases) {
    SCOPED_TRACE(options);
    pipe_pair p;
    stdout_sink sink("console", parse(options), p.write);
    EXPECT_EQ(sink.name(), "console");
    EXPECT_EQ(deliver(sink, batch).result, outcome::delivered);
    const auto text = p.drain();
    EXPECT_EQ(text, expected);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
    EXPECT_EQ(sink.counters().lines, 2U);
  }
}

// A reader that stops reading: what fitted is delivered, the rest is a retry, and no line is
// cut; read, the rest follows.
TEST(stdout_sink, a_stalled_reader_gets_whole_lines_and_the_rest_is_retried) {
  pipe_pair p;
  ASSERT_GT(::fcntl(p.write, F_SETPIPE_SZ, 4096), 0);
  stdout_sink sink("console", {}, p.write, 0ms);
  const auto batch = batch_of(40);  // ~8 KB: twice the pipe
  const auto d = deliver(sink, batch);
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_NE(d.reason.find("not being read"), std::string::npos) << d.reason;
  ASSERT_EQ(d.per_event.size(), batch.size());
  const auto written = static_cast<std::size_t>(
      std::count(d.per_event.begin(), d.per_event.end(), outcome::delivered));
  EXPECT_GT(written, 0U);
  EXPECT_LT(written, batch.size());
  EXPECT_TRUE(std::is_partitioned(d.per_event.begin(), d.per_event.end(),
                                  [](outcome o) { return o == outcome::delivered; }));
  std::string expected;
  for (std::size_t i = 0; i < written; ++i) {
    expected += batch[i].body + "\n";
  }
  EXPECT_EQ(p.drain(), expected);
  const std::vector<queued_event> rest(batch.begin() + static_cast<std::ptrdiff_t>(written),
                                       batch.end());
  EXPECT_EQ(deliver(sink, rest).result, outcome::delivered);
  EXPECT_EQ(p.drain().size() + expected.size(), [&] {
    std::size_t bytes = 0;
    for (const auto& e : batch) {
      bytes += e.body.size() + 1;
    }
    return bytes;
  }());
  EXPECT_EQ(sink.counters().lines, batch.size());
}

TEST(stdout_sink, a_closed_reader_is_a_retry_and_no_sigpipe) {
  pipe_pair p;
  p.close_read();
  stdout_sink sink("console", {}, p.write);
  const auto d = deliver(sink, batch_of(3));  // SIGPIPE's default would end this test
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_NE(d.reason.find("EPIPE"), std::string::npos) << d.reason;
  EXPECT_TRUE(d.per_event.empty());
  EXPECT_EQ(sink.counters().write_failures, 1U);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE)) << "left pending";
}

TEST(stdout_sink, options) {
  EXPECT_EQ(parse("{}").format, stdout_format::json);
  const auto o = parse(R"({"format": "rfc5424", "facility": "daemon"})");
  EXPECT_EQ(o.format, stdout_format::rfc5424);
  EXPECT_EQ(o.syslog.facility, 3);
  EXPECT_EQ(o.syslog.app_name, "qsan");
  EXPECT_NE(error_of(R"({"format": "xml"})").find("/format"), std::string::npos);
  EXPECT_NE(error_of(R"({"facility": "local0"})").find("/facility: applies to formats"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"format": "cef", "facility": "local9"})").find("/facility"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"format": "cef", "app_name": "a b"})").find("/app_name"),
            std::string::npos);
}

}  // namespace
}  // namespace qsanfwd::sinks

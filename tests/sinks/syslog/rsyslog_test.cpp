#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "agent/core/time.hpp"
#include "agent/pipeline/dispatcher.hpp"
#include "sinks/registry.hpp"
#include "sinks/syslog/syslog_sink.hpp"
#include "tests/agent/pipeline/helpers.hpp"
#include "tests/sinks/syslog/rsyslog_fixture.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::sinks {
namespace {

using nlohmann::json;

event make_event(std::string id, std::string message) {
  event e;
  e.id = std::move(id);
  e.device = "array-01";
  e.timestamp = 1795915304;  // 2026-11-29T01:21:44Z
  e.type = "warning";
  e.severity = severity::warning;
  e.message = std::move(message);
  e.model = "XS3224";
  e.serial = "QS123";
  return e;
}

/// What the issue asks rsyslog to parse exactly as sent.
std::vector<event> awkward_events() {
  return {
      make_event("plain", "Fan 2 speed low"),
      make_event("multi", "first line\nsecond line\n\tindented third"),
      make_event("utf8", "Lüfter 2 — 温度 zu hoch ✓ 🙂"),
      make_event("quotes", R"(a "quoted" [bracketed] back\slash ] \" end\)"),
  };
}

std::vector<queued_event> queued(const std::vector<event>& events) {
  std::vector<queued_event> out;
  for (std::size_t i = 0; i < events.size(); ++i) {
    out.emplace_back(static_cast<std::int64_t>(i + 1), to_json(events[i]));
  }
  return out;
}

/// The SD element rsyslog should report for `e`, written out by hand (not by the formatter).
std::string expected_sd(const std::string& escaped_id) {
  return "[qsan@32473 device=\"array-01\" event_id=\"" + escaped_id +
         "\" kind=\"log\" type=\"warning\" model=\"XS3224\" serial=\"QS123\"]";
}

class rsyslog_test : public ::testing::Test {
 protected:
  syslog_options options_for(const std::string& scheme) {
    syslog_options o;
    o.transport = scheme == "udp"   ? syslog_transport::udp
                  : scheme == "tcp" ? syslog_transport::tcp
                                    : syslog_transport::tls;
    o.host = "127.0.0.1";
    o.port = scheme == "udp"   ? server_.udp_port
             : scheme == "tcp" ? server_.tcp_port
                               : server_.tls_port;
    o.timeout = duration{5000};
    o.tls.ca_file = server_.cert.cert_file.string();
    o.server_name = "127.0.0.1";
    return o;
  }

  delivery deliver(syslog_sink& sink, const std::vector<queued_event>& batch) {
    return test::run(io_, sink.deliver(batch));
  }

  /// Waits until rsyslog has written `n` records of `input`, and returns them.
  std::vector<json> await_records(const std::string& input, std::size_t n) {
    std::vector<json> got;
    EXPECT_TRUE(test::wait_until([&] {
      got = server_.records_of(input);
      return got.size() >= n;
    })) << "rsyslog recorded "
        << got.size() << " of " << n << " messages on " << input;
    return got;
  }

  void expect_parsed_exactly(const std::string& scheme) {
    auto sink = syslog_sink("siem", options_for(scheme), io_.get_executor());
    const auto events = awkward_events();
    const auto result = deliver(sink, queued(events));
    ASSERT_EQ(result.result, outcome::delivered) << result.reason;
    const auto got = await_records(scheme, events.size());
    ASSERT_EQ(got.size(), events.size());
    const std::vector<std::string> ids{"plain", "multi", "utf8", "quotes"};
    for (std::size_t i = 0; i < events.size(); ++i) {
      SCOPED_TRACE(scheme + " " + ids[i]);
      EXPECT_EQ(got[i].at("pri"), "132");  // local0 (16) * 8 + warning (4)
      EXPECT_EQ(got[i].at("timestamp"), "2026-11-29T01:21:44Z");
      EXPECT_EQ(got[i].at("hostname"), "array-01");
      EXPECT_EQ(got[i].at("app-name"), "qsan");
      EXPECT_EQ(got[i].at("procid"), "-");
      EXPECT_EQ(got[i].at("msgid"), "warning");
      EXPECT_EQ(got[i].at("structured-data"), expected_sd(ids[i]));
      EXPECT_EQ(got[i].at("msg"), events[i].message);
    }
  }

  /// What rsyslog recorded of a backlog sent over UDP.
  struct udp_outcome {
    std::size_t distinct = 0;
    std::size_t repeats = 0;
    double seconds = 0;  ///< from the start until the last line arrived (or the deadline)
  };

  /// Queues `lines` events of about 100 bytes of text each (an array's log lines are about that
  /// long), then delivers them through the real dispatcher to a UDP syslog sink loaded from a
  /// configuration with `rate_limit` (none: the default pace). Returns once rsyslog has
  /// written every line or, after everything was sent, nothing arrived for a second.
  udp_outcome send_backlog_over_udp(int lines, const std::string& rate_limit = "") {
    auto store = state_store::open(dir_ / "state");
    event_queue queue(*store);
    std::vector<event> backlog;
    for (int i = 0; i < lines; ++i) {
      auto e = test::numbered_event(i);
      e.message += ": controller 1 port 2 link state changed, volume group VG-07 resynchronising";
      backlog.push_back(std::move(e));
    }
    queue.append(backlog);
    const auto text = R"({"state_dir": ")" + (dir_ / "state").string() + R"(",
        "devices": [{"name": "a", "url": "https://h", "username": "u", "password": "p"}],
        "sinks": [{"name": "siem", "type": "syslog", "start_at": "oldest",
                   "address": "udp://127.0.0.1:)" +
                      std::to_string(server_.udp_port) + "\"" +
                      (rate_limit.empty() ? "" : ", \"rate_limit\": " + rate_limit) + "}]}";
    const auto cfg = config::parse_config(text, sink_types()).sinks.at(0);
    std::vector<pipeline::route> routes;
    routes.push_back(pipeline::route{cfg, make_sink(cfg, io_.get_executor())});
    pipeline::dispatcher dispatcher(io_.get_executor(), *store, std::move(routes));

    const auto started = std::chrono::steady_clock::now();
    dispatcher.start();
    std::size_t arrived = 0;
    std::ifstream records;
    auto last_arrival = started;
    const auto all_sent = [&] { return dispatcher.status().at(0).delivered == lines; };
    test::wait_until(
        [&] {
          io_.restart();
          io_.run_for(std::chrono::milliseconds(20));
          if (const auto n = count_new_lines(records, dir_ / "records.jsonl"); n > 0) {
            arrived += n;
            last_arrival = std::chrono::steady_clock::now();
          }
          const bool quiet =
              std::chrono::steady_clock::now() - last_arrival > std::chrono::seconds(1);
          return arrived >= static_cast<std::size_t>(lines) || (all_sent() && quiet);
        },
        std::chrono::seconds(120));
    udp_outcome out;
    out.seconds = std::chrono::duration<double>(last_arrival - started).count();
    std::set<std::string> seen;
    for (const auto& r : server_.records_of("udp")) {
      if (!seen.insert(r.at("structured-data").get<std::string>()).second) {
        ++out.repeats;
      }
    }
    out.distinct = seen.size();
    bool stopped = false;
    boost::asio::co_spawn(io_, dispatcher.stop(duration{100}),
                          [&](std::exception_ptr) { stopped = true; });
    EXPECT_TRUE(test::run_until(io_, [&] { return stopped; }));
    return out;
  }

  /// The lines written to `in` since the last call: reading the whole file at each poll would
  /// hold up the io_context the dispatcher runs on.
  static std::size_t count_new_lines(std::ifstream& in, const std::filesystem::path& file) {
    if (!in.is_open()) {
      in.open(file, std::ios::binary);  // rsyslog creates it with its first line
    }
    in.clear();  // past the end last time: the file has grown since
    std::size_t n = 0;
    for (char c; in.get(c);) {
      n += c == '\n' ? 1 : 0;
    }
    return n;
  }

  test::temp_dir dir_;
  test::rsyslog server_{dir_.path()};
  boost::asio::io_context io_;
};

TEST_F(rsyslog_test, parses_every_field_over_udp) {
  expect_parsed_exactly("udp");
}

TEST_F(rsyslog_test, parses_every_field_over_tcp) {
  expect_parsed_exactly("tcp");
}

TEST_F(rsyslog_test, parses_every_field_over_tls) {
  expect_parsed_exactly("tls");
}

TEST_F(rsyslog_test, sd_values_with_quote_bracket_and_backslash_survive) {
  auto sink = syslog_sink("siem", options_for("tcp"), io_.get_executor());
  auto e = make_event(R"(id "1" [x] \y)", "m");
  ASSERT_EQ(deliver(sink, queued({e})).result, outcome::delivered);
  const auto got = await_records("tcp", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("structured-data"), expected_sd(R"(id \"1\" [x\] \\y)"));
}

TEST_F(rsyslog_test, lf_framing_keeps_one_event_per_line) {
  auto o = options_for("tcp");
  o.framing = syslog_framing::lf;
  auto sink = syslog_sink("siem", o, io_.get_executor());
  const auto events = std::vector<event>{make_event("a", "one\ntwo"), make_event("b", "three")};
  ASSERT_EQ(deliver(sink, queued(events)).result, outcome::delivered);
  const auto got = await_records("tcp", 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].at("msg"), "one\\ntwo");
  EXPECT_EQ(got[1].at("msg"), "three");
}

TEST_F(rsyslog_test, cef_and_rfc3164_are_understood) {
  auto o = options_for("tcp");
  o.format.format = syslog::message_format::cef;
  o.format.facility = 19;  // local3
  auto cef = syslog_sink("cef", o, io_.get_executor());
  ASSERT_EQ(deliver(cef, queued({make_event("c1", "disk | hot = yes")})).result,
            outcome::delivered);
  const auto got = await_records("tcp", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("pri"), "156");
  EXPECT_EQ(got[0].at("msgid"), "warning");
  EXPECT_EQ(got[0].at("structured-data"), "-");
  EXPECT_EQ(got[0].at("msg"),
            "CEF:0|QSAN|XS3224|1|log:warning|disk \\| hot = yes|5|rt=1795915304000 "
            "dvchost=array-01 deviceExternalId=QS123 externalId=c1 cat=log msg=disk | hot \\= yes");

  auto u = options_for("udp");
  u.format.format = syslog::message_format::rfc3164;
  auto bsd = syslog_sink("bsd", u, io_.get_executor());
  auto e = make_event("b1", "old style");
  e.timestamp = unix_now();  // RFC 3164 has no year: rsyslog assumes the current one
  ASSERT_EQ(deliver(bsd, queued({e})).result, outcome::delivered);
  const auto old = await_records("udp", 1);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].at("pri"), "132");
  EXPECT_EQ(old[0].at("hostname"), "array-01");
  EXPECT_EQ(old[0].at("app-name"), "qsan");
  EXPECT_EQ(old[0].at("msg"), " old style");  // rsyslog keeps the space after "TAG:"
}

TEST_F(rsyslog_test, bom_goes_before_the_message) {
  auto o = options_for("udp");
  o.format.bom = true;
  auto sink = syslog_sink("siem", o, io_.get_executor());
  ASSERT_EQ(deliver(sink, queued({make_event("bom", "Grüße")})).result, outcome::delivered);
  const auto got = await_records("udp", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("msg"), "\xEF\xBB\xBFGrüße");
  EXPECT_EQ(got[0].at("structured-data"), expected_sd("bom"));
}

TEST_F(rsyslog_test, udp_truncates_at_a_utf8_boundary_and_counts) {
  auto o = options_for("udp");
  o.max_message_size = 480;
  auto sink = syslog_sink("siem", o, io_.get_executor());
  std::string text;
  for (int i = 0; i < 400; ++i) {
    text += "é";  // 800 bytes, two per character
  }
  ASSERT_EQ(deliver(sink, queued({make_event("long", text), make_event("short", "ok")})).result,
            outcome::delivered);
  const auto got = await_records("udp", 2);
  ASSERT_EQ(got.size(), 2u);
  const auto msg = got[0].at("msg").get<std::string>();
  EXPECT_TRUE(text.starts_with(msg));
  EXPECT_EQ(msg.size() % 2, 0u);  // no character cut in two
  EXPECT_GT(msg.size(), 200u);
  EXPECT_EQ(got[1].at("msg"), "ok");
  EXPECT_EQ(sink.counters().truncated, 1u);
}

TEST_F(rsyslog_test, nothing_is_truncated_on_tcp) {
  auto sink = syslog_sink("siem", options_for("tcp"), io_.get_executor());
  const std::string text(100000, 'x');
  ASSERT_EQ(deliver(sink, queued({make_event("big", text)})).result, outcome::delivered);
  const auto got = await_records("tcp", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("msg"), text);
  EXPECT_EQ(sink.counters().truncated, 0u);
}

TEST_F(rsyslog_test, tls_refuses_a_server_it_cannot_verify) {
  auto o = options_for("tls");
  o.tls.ca_file = "";  // the system CAs do not know the test's certificate
  auto untrusted = syslog_sink("siem", o, io_.get_executor());
  const auto result = deliver(untrusted, queued({make_event("x", "m")}));
  EXPECT_EQ(result.result, outcome::retry);
  EXPECT_NE(result.reason.find("TLS handshake"), std::string::npos) << result.reason;

  o = options_for("tls");
  o.server_name = "siem.example.com";  // not in the certificate
  auto wrong_name = syslog_sink("siem", o, io_.get_executor());
  EXPECT_EQ(deliver(wrong_name, queued({make_event("x", "m")})).result, outcome::retry);

  o.tls.verify = false;
  auto unchecked = syslog_sink("siem", o, io_.get_executor());
  EXPECT_EQ(deliver(unchecked, queued({make_event("y", "m")})).result, outcome::delivered);
  const auto got = await_records("tls", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("structured-data"), expected_sd("y"));
}

TEST_F(rsyslog_test, a_receiver_that_is_down_gets_retry_and_then_everything) {
  for (const std::string scheme : {"tcp", "tls"}) {
    SCOPED_TRACE(scheme);
    auto sink = syslog_sink("siem", options_for(scheme), io_.get_executor());
    ASSERT_EQ(deliver(sink, queued({make_event("before", "m")})).result, outcome::delivered);
    await_records(scheme, 1);
    server_.kill();
    const auto down = deliver(sink, queued({make_event("during", "m")}));
    EXPECT_EQ(down.result, outcome::retry);
    EXPECT_NE(down.reason.find(scheme + "://127.0.0.1:"), std::string::npos) << down.reason;
    EXPECT_EQ(sink.counters().stale, 1u);  // the closed connection was seen before writing
    server_.start();
    ASSERT_EQ(deliver(sink, queued({make_event("during", "m")})).result, outcome::delivered);
    const auto got = await_records(scheme, 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1].at("structured-data"), expected_sd("during"));
    EXPECT_EQ(sink.counters().connects, 2u);
  }
}

TEST_F(rsyslog_test, reopen_makes_a_new_connection) {
  auto sink = syslog_sink("siem", options_for("tls"), io_.get_executor());
  ASSERT_EQ(deliver(sink, queued({make_event("a", "m")})).result, outcome::delivered);
  sink.reopen();
  ASSERT_EQ(deliver(sink, queued({make_event("b", "m")})).result, outcome::delivered);
  EXPECT_EQ(sink.counters().connects, 2u);
  EXPECT_EQ(await_records("tls", 2).size(), 2u);
}

// The promise of the issue: kill -9 the receiver in the middle of a stream of events flowing
// through the real dispatcher and state store, restart it, and every event arrives.
TEST_F(rsyslog_test, nothing_is_lost_on_tcp_when_rsyslog_is_killed_and_restarted) {
  auto store = state_store::open(dir_ / "state");
  event_queue queue(*store);
  auto cfg = test::fast_sink_config("siem", dir_);
  cfg.type = "syslog";
  std::vector<pipeline::route> routes;
  auto sink = std::make_unique<syslog_sink>("siem", options_for("tcp"), io_.get_executor());
  const auto& counters = sink->counters();
  routes.push_back(pipeline::route{cfg, std::move(sink)});
  pipeline::dispatcher dispatcher(io_.get_executor(), *store, std::move(routes));
  dispatcher.start();

  // Distinct messages recorded and how many were recorded more than once.
  std::size_t repeats = 0;
  const auto distinct = [&] {
    std::set<std::string> seen;
    repeats = 0;
    for (const auto& r : server_.records_of("tcp")) {
      if (!seen.insert(r.at("msg").get<std::string>()).second) {
        ++repeats;
      }
    }
    return seen.size();
  };
  const auto append = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      queue.append(test::numbered_event(i));
    }
    dispatcher.notify_appended();
  };

  append(0, 60);
  ASSERT_TRUE(test::run_until(io_, [&] { return distinct() == 60; }));
  server_.kill();
  // The stream goes on while the receiver is down: the sink finds its connection closed,
  // cannot reconnect, and the dispatcher keeps the events queued and retries.
  append(60, 120);
  ASSERT_TRUE(test::run_until(io_, [&] { return counters.failures >= 3; }));
  EXPECT_EQ(counters.stale, 1u);
  server_.start();
  append(120, 180);
  ASSERT_TRUE(test::run_until(io_, [&] { return distinct() == 180; }))
      << "rsyslog recorded " << distinct() << " of 180 events";
  // Duplicates may only come from a batch in flight; here the dead connection was seen before
  // any write, so there are none.
  EXPECT_LE(repeats, cfg.batch.max_events);
  EXPECT_EQ(repeats, 0u);

  bool stopped = false;
  boost::asio::co_spawn(io_, dispatcher.stop(duration{100}),
                        [&](std::exception_ptr) { stopped = true; });
  ASSERT_TRUE(test::run_until(io_, [&] { return stopped; }));
}

// The default pace keeps a backlog over UDP within what rsyslog takes: every line arrives, once.
// ~2 s at 500/s; rsyslog_long_test sends 10,000.
TEST_F(rsyslog_test, a_udp_backlog_at_the_default_pace_arrives_whole) {
  const auto o = send_backlog_over_udp(1000);
  EXPECT_EQ(o.distinct, 1000u);
  EXPECT_EQ(o.repeats, 0u);
}

class rsyslog_long_test : public rsyslog_test {};

// ~20 s at 500/s: label long.
TEST_F(rsyslog_long_test, a_10000_line_udp_backlog_at_the_default_pace_arrives_whole) {
  const auto o = send_backlog_over_udp(10000);
  EXPECT_EQ(o.distinct, 10000u);
  EXPECT_EQ(o.repeats, 0u);
  std::cout << "10,000 lines over UDP in " << o.seconds << " s\n";
}

// Measures what rsyslog takes over UDP on this machine (not a check: run it by hand with
// QSANFWD_UDP_RATES="0 2000 5000 ..." QSANFWD_UDP_LINES=10000).
TEST_F(rsyslog_test, DISABLED_measure_udp_loss_by_rate) {
  const char* rates = std::getenv("QSANFWD_UDP_RATES");
  const char* lines_text = std::getenv("QSANFWD_UDP_LINES");
  const int lines = lines_text ? std::atoi(lines_text) : 10000;
  std::istringstream in(rates ? rates : "0");
  std::string rate;
  while (in >> rate) {
    const auto o = send_backlog_over_udp(lines, R"({"events_per_second": )" + rate + "}");
    std::cout << "rate " << rate << ": " << o.distinct << " of " << lines << " arrived ("
              << o.repeats << " repeats) in " << o.seconds << " s\n";
    server_.kill();
    std::filesystem::remove(dir_ / "records.jsonl");
    std::filesystem::remove_all(dir_ / "state");
    server_.start();
  }
}

TEST_F(rsyslog_test, no_receiver_answers_retry_quickly) {
  auto o = options_for("tcp");
  server_.kill();
  auto sink = syslog_sink("siem", o, io_.get_executor());
  const auto result = deliver(sink, queued({make_event("x", "m")}));
  EXPECT_EQ(result.result, outcome::retry);
  EXPECT_NE(result.reason.find("connecting"), std::string::npos) << result.reason;
  EXPECT_EQ(sink.counters().failures, 1u);
}

}  // namespace
}  // namespace qsanfwd::sinks

// The log poller's fuzz property (tests/fuzz/log_poller.cpp) on fixed scripts, so that it runs
// in the normal suite too: a real poller, store, write thread and queue against the scripted
// array, then the oracle of tests/support/poller_script.cpp (no id twice, nothing invented,
// nothing held during a clean poll skipped without a logs_gap). The script grammar is in
// tests/fuzz/README.md. The failures the fuzzer found, each kept as a regression test, are in
// poller_findings_test.cpp.
#include "tests/support/scripted_array.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <random>

#include "tests/agent/logs/poller_property.hpp"
#include "tests/support/poller_script.hpp"
#include "tests/support/run_coroutine.hpp"

namespace qsanfwd::test {
namespace {

device::log_page page_of(scripted_array& a, device::log_query q) {
  boost::asio::io_context io;
  auto r = run(io, a.log_list(q));
  EXPECT_TRUE(r);
  return r ? *r : device::log_page{};
}

std::vector<std::int64_t> stamps(const device::log_page& p) {
  std::vector<std::int64_t> out;
  for (const auto& l : p.logs) {
    out.push_back(l.timestamp);
  }
  return out;
}

TEST(scripted_array, pages_honestly_in_both_orders_and_readings_of_start_time) {
  for (const bool newest : {true, false}) {
    for (const bool inclusive : {true, false}) {
      scripted_array a("a", newest, inclusive, 100);
      for (const std::int64_t t : {101, 100, 102, 100}) {
        a.write({t, "info", "m"});
      }
      const auto p1 =
          page_of(a, {.start_time = 100, .types = {}, .page_number = 1, .page_size = 2});
      const auto p2 =
          page_of(a, {.start_time = 100, .types = {}, .page_number = 2, .page_size = 2});
      const std::int64_t n = inclusive ? 4 : 2;
      EXPECT_EQ(p1.total, n);
      EXPECT_EQ(p1.have_next_page, inclusive);
      if (newest) {
        EXPECT_EQ(stamps(p1), (std::vector<std::int64_t>{102, 101}));
        const std::vector<std::int64_t> oldest_two{100, 100};
        EXPECT_EQ(stamps(p2), inclusive ? oldest_two : std::vector<std::int64_t>{});
      } else {
        const std::vector<std::int64_t> from_100{100, 100};
        const std::vector<std::int64_t> after_100{101, 102};
        EXPECT_EQ(stamps(p1), inclusive ? from_100 : after_100);
      }
    }
  }
}

TEST(scripted_array, misbehaves_when_told_and_records_drops) {
  scripted_array a("a", true, true, 100);
  for (int i = 0; i < 5; ++i) {
    a.write({100 + i, "info", "m"});
  }
  a.mis.ignore_page_number = true;
  a.mis.always_next = true;
  a.mis.total = total_mode::missing;
  const auto p3 = page_of(a, {.start_time = 103, .types = {}, .page_number = 3, .page_size = 1});
  EXPECT_EQ(stamps(p3), (std::vector<std::int64_t>{104}));
  EXPECT_TRUE(p3.have_next_page);
  EXPECT_FALSE(p3.total_given);
  a.mis = {};
  a.fail_calls.push_back(a.calls() + 1);
  boost::asio::io_context io;
  EXPECT_FALSE(run(io, a.log_list({})));
  a.drop_oldest(2);
  EXPECT_FALSE(a.history()[0].held);
  EXPECT_FALSE(a.history()[1].held);
  EXPECT_TRUE(a.history()[2].held);
  EXPECT_EQ(page_of(a, {}).total, 3);
}

TEST(poller_script, text_round_trip_and_bytes_decode) {
  const auto text =
      "page=2 oldest exclusive | write 3 1 0 2; clock -3600; poll; drop 4; clear; mis page; "
      "fail 2; inflow 1 2 3 1; future 30";
  EXPECT_EQ(to_text(parse_script(text)), text);
  const std::uint8_t bytes[] = {0x19, 0, 0x13, 4, 2, 1, 11};
  EXPECT_EQ(to_text(decode_script(bytes)),
            "page=1 oldest exclusive | write 4 4 0 1; poll; clock -3600");
}

TEST_F(poller_property, honest_array_both_orders_both_readings_with_inflow) {
  for (const auto* head : {"page=2 newest inclusive", "page=2 newest exclusive",
                           "page=3 oldest inclusive", "page=1 oldest exclusive"}) {
    EXPECT_EQ(run_script(std::string(head) +
                         " | write 3 0 0 0; clock 1; write 4 1 0 0; poll; inflow 2 3 5 0; "
                         "inflow 3 2 9 1; clock 1; write 5 2 0 0; poll; clock 1; write 2 3 1 0; "
                         "poll; inflow 1 4 6 0; poll"),
              "")
        << head;
  }
}

TEST_F(poller_property, array_ignoring_page_number_then_behaving) {
  for (const auto* head : {"page=2 newest inclusive", "page=2 oldest inclusive"}) {
    EXPECT_EQ(run_script(std::string(head) +
                         " | write 3 0 0 0; clock 1; write 3 4 0 0; poll; mis page; clock 1; "
                         "write 5 1 0 0; poll; poll; poll; poll; mis off; poll"),
              "")
        << head;
  }
}

TEST_F(poller_property, clock_set_back_an_hour_then_forward) {
  for (const auto* head : {"page=3 newest inclusive", "page=3 oldest exclusive"}) {
    EXPECT_EQ(run_script(std::string(head) +
                         " | write 4 0 0 0; clock 1; write 3 1 0 0; poll; clock -3600; "
                         "write 3 2 0 0; poll; clock 1; write 2 6 0 0; poll; clock 3600; "
                         "clock 5; write 2 3 0 0; poll"),
              "")
        << head;
  }
}

TEST_F(poller_property, ring_wrap_and_clear) {
  for (const auto* head : {"page=2 newest inclusive", "page=4 oldest inclusive"}) {
    EXPECT_EQ(run_script(std::string(head) +
                         " | write 5 0 0 0; clock 1; write 5 1 0 0; poll; clock 1; "
                         "write 5 2 0 0; drop 8; poll; clock 1; write 6 3 0 0; drop 9; poll"),
              "")
        << head;
    EXPECT_EQ(
        run_script(std::string(head) + " | write 4 0 0 0; clock 1; write 2 1 0 0; poll; clock 1; "
                                       "write 3 2 0 0; clear; clock 1; write 2 5 0 0; poll"),
        "")
        << head;
  }
}

TEST_F(poller_property, misbehaviours_switched_on_and_off) {
  EXPECT_EQ(run_script("page=2 newest inclusive | write 3 0 0 0; clock 1; write 3 1 0 0; poll; "
                       "mis next; clock 1; write 4 2 0 0; poll; mis start; poll; mis off; "
                       "mis total_low; clock 1; write 3 3 0 0; poll; mis total_missing; poll; "
                       "mis off; fail 1; poll; future 3600; poll; poll"),
            "");
}

// QSANFWD_POLLER_SCRIPT="page=2 newest inclusive | write 3 0 0 0; poll" runs one script and
// prints the oracle's verdict (to replay and shrink what the fuzzer found).
TEST_F(poller_property, script_from_environment) {
  const char* text = std::getenv("QSANFWD_POLLER_SCRIPT");
  if (text == nullptr) {
    GTEST_SKIP() << "QSANFWD_POLLER_SCRIPT is not set";
  }
  EXPECT_EQ(run_script(text), "");
}

// QSANFWD_POLLER_RANDOM=N runs N random scripts (seed QSANFWD_POLLER_SEED, default 1;
// QSANFWD_POLLER_HONEST=1 leaves the misbehaviours out) and
// stops at the first the oracle refuses: the fuzz target's search without clang, for a quick
// look after a change to the poller.
TEST_F(poller_property, random_scripts_from_environment) {
  const char* count = std::getenv("QSANFWD_POLLER_RANDOM");
  if (count == nullptr) {
    GTEST_SKIP() << "QSANFWD_POLLER_RANDOM is not set";
  }
  const char* seed = std::getenv("QSANFWD_POLLER_SEED");
  std::mt19937_64 random(seed != nullptr ? std::stoull(seed) : 1);
  const auto runs = std::stoul(count);
  // QSANFWD_POLLER_HONEST=1: no misbehaviour (the array pages as the manual says).
  const bool honest = std::getenv("QSANFWD_POLLER_HONEST") != nullptr;
  for (unsigned long i = 0; i < runs; ++i) {
    std::vector<std::uint8_t> bytes(8 + random() % 120);
    for (auto& b : bytes) {
      b = static_cast<std::uint8_t>(random());
    }
    auto script = decode_script(bytes);
    if (honest) {
      std::erase_if(script.steps, [](const auto& st) { return st.what == script_step::kind::mis; });
    }
    const auto verdict = bench_.run(script);
    ASSERT_EQ(verdict, "") << "run " << i;
  }
}

}  // namespace
}  // namespace qsanfwd::test

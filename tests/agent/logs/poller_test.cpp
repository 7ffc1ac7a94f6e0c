// The log poller against qsan-sim: what was queued equals the array's ledger, none missing,
// none twice, under both result orders and both readings of startTime.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <set>
#include <tuple>

#include "agent/core/time.hpp"
#include "agent/logs/log_poller.hpp"
#include "sim/simulator.hpp"
#include "tests/support/memory_vault.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::logs {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using line = std::tuple<std::int64_t, std::string, std::string>;

std::vector<line> sorted_ledger(sim::simulator& s) {
  std::vector<line> out;
  for (auto& l : s.ledger()) {
    out.emplace_back(l.timestamp, l.type, l.message);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<event> queued_events(state_store& store) {
  event_queue q(store);
  std::vector<event> out;
  for (const auto& e : q.read_after(0, 100'000'000)) {
    out.push_back(event_from_json(e.body));
  }
  return out;
}

std::vector<line> sorted_lines(const std::vector<event>& events) {
  std::vector<line> out;
  for (const auto& e : events) {
    if (e.kind == event_kind::log) {
      out.emplace_back(e.timestamp, e.type, e.message);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// "" when both multisets are equal; else how many lines are missing and extra, with examples.
std::string difference(const std::vector<line>& ledger, const std::vector<line>& queued) {
  std::vector<line> missing;
  std::vector<line> extra;
  std::set_difference(ledger.begin(), ledger.end(), queued.begin(), queued.end(),
                      std::back_inserter(missing));
  std::set_difference(queued.begin(), queued.end(), ledger.begin(), ledger.end(),
                      std::back_inserter(extra));
  if (missing.empty() && extra.empty()) {
    return "";
  }
  const auto show = [](const std::vector<line>& v) {
    return v.empty() ? std::string("-")
                     : std::to_string(std::get<0>(v[0])) + " " + std::get<1>(v[0]) + " " +
                           std::get<2>(v[0]);
  };
  return std::to_string(missing.size()) + " missing (first: " + show(missing) + "), " +
         std::to_string(extra.size()) + " twice or unknown (first: " + show(extra) + ")";
}

/// Everything one device needs: a simulated array, a state store and a poller over them.
struct rig {
  explicit rig(sim::options o, config::log_options lo = {}) : sim(std::move(o)) {
    lo.page_size = lo.page_size == 1000 ? 100 : lo.page_size;
    log_options = lo;
    open();
  }

  void open() {
    poller.reset();
    client.reset();
    writer.reset();
    queue.reset();
    store.reset();
    store = state_store::open(dir.path());
    queue = std::make_unique<event_queue>(*store);
    writer = std::make_unique<write_thread>(*store);
    device::client_settings s;
    s.name = "array-01";
    s.peer = net::endpoint{"127.0.0.1", sim.port(), false, "", {}};
    s.username = "admin";
    s.password = secret("password");
    s.retry_initial = 5ms;
    s.retry_max = 20ms;
    s.max_response_bytes = max_response_bytes;
    client = std::make_unique<device::device_client>(io.get_executor(), s, vault, nullptr);
    poller_hooks hooks;
    hooks.agent_event = [this](event e) { agent_events.push_back(std::move(e)); };
    hooks.between_pages = between_pages;
    hooks.steady_now = [this] { return std::chrono::steady_clock::now() + time_passed; };
    poller = std::make_unique<log_poller>(*client, *store, *writer, log_options, hooks);
  }

  std::int64_t cycle() {
    auto r = test::run(io, poller->poll_once());
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : -1;
  }

  std::uint64_t log_requests() {
    auto stats = sim->stats();
    return stats.requests["/rest/v1/log/list"];
  }

  std::size_t max_response_bytes = 8 * 1024 * 1024;  ///< takes effect at open()
  /// Time a test lets pass for the poller, as the array's clock moves on by it.
  std::chrono::seconds time_passed{0};
  test::temp_dir dir;
  sim::running_simulator sim;
  config::log_options log_options;
  asio::io_context io;
  test::memory_vault vault;  // kept across open(), as the store would keep it
  std::unique_ptr<state_store> store;
  std::unique_ptr<event_queue> queue;
  std::unique_ptr<write_thread> writer;
  std::unique_ptr<device::device_client> client;
  std::unique_ptr<log_poller> poller;
  std::vector<event> agent_events;
  std::function<asio::awaitable<void>()> between_pages;  // set, then open() again
};

struct reading {
  bool newest_first;
  bool inclusive;
};

class poller_exactly_once : public ::testing::TestWithParam<reading> {};

TEST_P(poller_exactly_once, queue_equals_ledger_with_backlog_inflow_and_identical_lines) {
  sim::options o;
  o.newest_first = GetParam().newest_first;
  o.start_time_inclusive = GetParam().inclusive;
  o.backlog = 3000;
  o.backlog_per_second = 40;  // many lines share each second
  o.duplicate_ratio = 0.15;   // identical genuine lines
  o.live_rate = 400;          // pages shift under the reader
  o.seed = 7;
  rig r(o);
  const auto end = std::chrono::steady_clock::now() + 3s;
  int cycles = 0;
  while (std::chrono::steady_clock::now() < end) {
    r.cycle();
    ++cycles;
  }
  r.sim->pause_live(true);
  r.cycle();
  r.cycle();
  const auto ledger = sorted_ledger(r.sim.sim());
  const auto events = queued_events(*r.store);
  ASSERT_GT(ledger.size(), 3500U);
  EXPECT_EQ(difference(ledger, sorted_lines(events)), "");
  // Identical lines are distinct events: every id is different.
  std::vector<std::string> ids;
  for (const auto& e : events) {
    ids.push_back(e.id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  EXPECT_GT(r.poller->counters().duplicates_dropped, 0U) << "the re-read window never overlapped";
  // Marks behind the re-read window are pruned and seconds read whole keep none: the database
  // does not grow with history.
  log_state state(*r.store, "array-01");
  const auto cp = state.load();
  ASSERT_TRUE(cp);
  std::set<line> in_window;
  for (const auto& l : ledger) {
    if (std::get<0>(l) >= cp->start_time - 1) {
      in_window.insert(l);
    }
  }
  EXPECT_LE(state.mark_count(), static_cast<std::int64_t>(in_window.size()));
  std::cout << "cycles " << cycles << ", pages " << r.poller->counters().pages << ", lines "
            << ledger.size() << ", duplicates dropped " << r.poller->counters().duplicates_dropped
            << ", marks kept " << state.mark_count() << "\n";
}

INSTANTIATE_TEST_SUITE_P(orders_and_readings, poller_exactly_once,
                         ::testing::Values(reading{true, true}, reading{true, false},
                                           reading{false, true}, reading{false, false}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.newest_first ? "newest_first"
                                                                            : "oldest_first") +
                                  (param_info.param.inclusive ? "_inclusive" : "_exclusive");
                         });

TEST(log_poller, event_fields_follow_the_contract) {
  sim::options o;
  o.backlog = 0;
  rig r(o);
  r.sim->add_log({1795915304, "error", "Disk e0d3 failed."});
  r.sim->add_log({1795915304, "access", "User 'admin' is login."});
  r.sim->add_log({1795915304, "access", "User 'admin' is login."});
  r.poller->set_identity("XS5226", "QS5226A0001");
  EXPECT_EQ(r.cycle(), 3);
  auto events = queued_events(*r.store);
  ASSERT_EQ(events.size(), 3U);
  std::sort(events.begin(), events.end(), [](auto& a, auto& b) { return a.type > b.type; });
  EXPECT_EQ(events[0].kind, event_kind::log);
  EXPECT_EQ(events[0].device, "array-01");
  EXPECT_EQ(events[0].host, "127.0.0.1");
  EXPECT_EQ(events[0].severity, severity::error);
  EXPECT_EQ(events[0].model, "XS5226");
  EXPECT_EQ(events[0].serial, "QS5226A0001");
  EXPECT_EQ(events[0].id.size(), 16U);
  EXPECT_EQ(events[1].severity, severity::notice);
  EXPECT_NE(events[1].id, events[2].id);
  // A re-read delivers nothing and a re-delivery would carry the same ids.
  EXPECT_EQ(r.cycle(), 0);
}

TEST(log_poller, restart_resumes_from_the_checkpoint_without_rereading) {
  sim::options o;
  // Ten pages: a re-read would take at least ten requests.
  o.backlog = 10'000;
  o.backlog_per_second = 50;
  rig r(o, {.enabled = true,
            .interval = duration{1000},
            .page_size = 1000,
            .types = {},
            .start_at = {}});
  EXPECT_EQ(r.cycle(), 10'000);
  const auto before = r.log_requests();
  r.open();  // a restart: new store handle, client and poller
  r.sim->add_logs(5);
  EXPECT_EQ(r.cycle(), 5);
  EXPECT_LE(r.log_requests() - before, 2U) << "the restart re-read the backlog";
  EXPECT_EQ(difference(sorted_ledger(r.sim.sim()), sorted_lines(queued_events(*r.store))), "");
}

TEST(log_poller, start_at_now_skips_what_the_array_already_holds) {
  sim::options o;
  o.backlog = 500;
  o.backlog_per_second = 20;
  rig r(o, {.enabled = true,
            .interval = duration{1000},
            .page_size = 100,
            .types = {},
            .start_at = {.where = config::start_point::kind::now, .timestamp = 0}});
  EXPECT_EQ(r.cycle(), 0);
  r.sim->add_logs(7);
  EXPECT_EQ(r.cycle(), 7);
  EXPECT_EQ(queued_events(*r.store).size(), 7U);
}

TEST(log_poller, start_at_a_timestamp_and_type_filter) {
  sim::options o;
  o.backlog = 0;
  rig r(o, {.enabled = true,
            .interval = duration{1000},
            .page_size = 100,
            .types = {"error", "warning"},
            .start_at = {.where = config::start_point::kind::timestamp, .timestamp = 1000}});
  r.sim->add_log({998, "error", "too old"});
  r.sim->add_log({999, "error", "still too old"});
  r.sim->add_log({1000, "error", "wanted"});
  r.sim->add_log({1001, "info", "filtered out"});
  r.sim->add_log({1002, "warning", "wanted too"});
  EXPECT_EQ(r.cycle(), 2);
  const auto lines = sorted_lines(queued_events(*r.store));
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(std::get<2>(lines[0]), "wanted");
  EXPECT_EQ(std::get<2>(lines[1]), "wanted too");
}

TEST(log_poller, a_long_cycle_lends_the_client_between_pages) {
  for (const bool newest_first : {true, false}) {
    sim::options o;
    o.newest_first = newest_first;
    o.backlog = 250;
    o.backlog_per_second = 10;
    rig r(o);
    int turns = 0;
    std::vector<std::string> turn_errors;
    std::size_t disks_seen = 0;
    // What the daemon does in a turn (a health poll), on the same client: the connection must
    // be free, or the request would collide with a page's.
    r.between_pages = [&]() -> asio::awaitable<void> {
      ++turns;
      const auto disks = co_await r.client->disks();
      if (disks) {
        disks_seen = disks->size();
      } else {
        turn_errors.push_back(disks.error().message);
      }
    };
    r.open();
    EXPECT_EQ(r.cycle(), 250);
    // Three pages, so two turns; none after the last page, none in a cycle of one page.
    EXPECT_EQ(turns, 2) << "newest first: " << newest_first;
    EXPECT_TRUE(turn_errors.empty()) << turn_errors.front();
    EXPECT_GT(disks_seen, 0U);
    r.sim->add_logs(5);
    EXPECT_EQ(r.cycle(), 5);
    EXPECT_EQ(turns, 2);
    EXPECT_EQ(difference(sorted_ledger(r.sim.sim()), sorted_lines(queued_events(*r.store))), "");
  }
}

TEST(log_poller, a_failing_page_is_retried_never_skipped) {
  sim::options o;
  o.backlog = 1000;
  o.backlog_per_second = 10;
  rig r(o);
  // Three answers in ten come back garbled: cycles fail part-way, the checkpoint stays, and
  // the next cycle reads the failed page again.
  r.sim->set_faults({.status_5xx = 0,
                     .delay = 0,
                     .truncate = 0.3,
                     .reset = 0,
                     .delay_for = duration{20000},
                     .on_auth = false});
  int failures = 0;
  for (int i = 0; i < 40; ++i) {
    auto res = test::run(r.io, r.poller->poll_once());
    failures += res ? 0 : 1;
  }
  r.sim->set_faults({});
  r.cycle();
  EXPECT_EQ(difference(sorted_ledger(r.sim.sim()), sorted_lines(queued_events(*r.store))), "");
  std::cout << "failed cycles: " << failures << "\n";
}

TEST(log_poller, a_device_stuck_on_a_garbled_page_raises_one_event_then_one_recovery) {
  sim::options o;
  o.backlog = 100;
  rig r(o);
  r.sim->fail_next(sim::fault::truncate, 12);  // three cycles of four attempts each
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(test::run(r.io, r.poller->poll_once()));
  }
  ASSERT_EQ(r.agent_events.size(), 1U);
  EXPECT_EQ(r.agent_events[0].type, "logs_stuck");
  EXPECT_EQ(r.agent_events[0].kind, event_kind::agent);
  EXPECT_NE(r.agent_events[0].message.find("page 1"), std::string::npos);
  EXPECT_NE(r.agent_events[0].message.find("not valid JSON"), std::string::npos)
      << r.agent_events[0].message;
  EXPECT_EQ(r.cycle(), 100);
  ASSERT_EQ(r.agent_events.size(), 2U);
  EXPECT_EQ(r.agent_events[1].type, "logs_resumed");
}

// The API lists lines from a time on, so lines an array stamps before the checkpoint after its
// clock was set back are not read; the poller cannot get them, but says so, once, and again
// when the clock has caught up.
std::vector<std::string> types_of(const std::vector<event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(e.type);
  }
  return out;
}

// An admin sets the array's clock an hour back, then right again. Every line is queued once:
// those stamped behind the checkpoint after the first step, and none of those read before.
class clock_steps : public ::testing::TestWithParam<bool> {};

TEST_P(clock_steps, back_and_forth_lose_and_repeat_nothing) {
  sim::options o;
  o.backlog = 0;
  o.newest_first = GetParam();
  rig r(o);
  // Three seconds of lines: the middle one is read whole (a span, no marks), the edges marked.
  const auto now = unix_now();
  for (const auto t : {now - 2, now - 1, now}) {
    for (const auto* text : {"a", "b"}) {
      ASSERT_TRUE(r.sim->add_log({t, "info", std::string("line ") + text}));
    }
  }
  EXPECT_EQ(r.cycle(), 6);
  EXPECT_TRUE(r.agent_events.empty());

  r.sim->set_clock_offset(-3600);
  r.sim->add_logs(3);
  // The first cycle learns the array's clock from its Date; the next goes back to it.
  std::int64_t queued = r.cycle();
  queued += r.cycle();
  EXPECT_EQ(queued, 3) << "lines stamped an hour before the checkpoint";
  const auto events = types_of(r.agent_events);
  ASSERT_NE(std::find(events.begin(), events.end(), "array_clock_behind"), events.end());
  const auto& behind = *std::find_if(r.agent_events.begin(), r.agent_events.end(),
                                     [](const event& e) { return e.type == "array_clock_behind"; });
  EXPECT_EQ(behind.severity, severity::warning);
  EXPECT_NE(behind.message.find("none is forwarded twice"), std::string::npos) << behind.message;
  EXPECT_NE(std::find(events.begin(), events.end(), "array_clock_ahead"), events.end())
      << "the five lines read first now lie ahead of the array's clock";
  r.sim->add_logs(2);
  EXPECT_EQ(r.cycle(), 2);

  r.sim->set_clock_offset(0);
  r.sim->add_logs(4);
  EXPECT_EQ(r.cycle(), 4);
  EXPECT_EQ(r.cycle(), 0);
  EXPECT_EQ(difference(sorted_ledger(r.sim.sim()), sorted_lines(queued_events(*r.store))), "");
  EXPECT_EQ(r.agent_events.back().type, "array_clock_ahead_cleared");
}

INSTANTIATE_TEST_SUITE_P(orders, clock_steps, ::testing::Values(true, false),
                         [](const auto& param_info) {
                           return param_info.param ? "newest_first" : "oldest_first";
                         });

TEST(log_poller, a_line_from_the_future_is_queued_once_and_does_not_stop_collection) {
  sim::options o;
  o.backlog = 0;
  rig r(o);
  r.sim->add_logs(3);
  EXPECT_EQ(r.cycle(), 3);
  r.sim->add_log(sim::log_line{4'102'444'800, "info", "stamped in 2100"});
  EXPECT_EQ(r.cycle(), 1);
  r.sim->add_logs(5);
  EXPECT_EQ(r.cycle(), 5) << "the checkpoint stayed at the array's present";
  EXPECT_EQ(r.cycle(), 0) << "the line from 2100 comes back every cycle, queued once";
  EXPECT_LT(r.poller->current_checkpoint()->start_time, 4'102'444'800);
  EXPECT_EQ(difference(sorted_ledger(r.sim.sim()), sorted_lines(queued_events(*r.store))), "");
  ASSERT_FALSE(r.agent_events.empty());
  EXPECT_EQ(r.agent_events[0].type, "array_clock_ahead");
  EXPECT_NE(r.agent_events[0].message.find("2100-01-01T00:00:00Z"), std::string::npos)
      << r.agent_events[0].message;
  EXPECT_EQ(r.poller->counters().lines_ahead, 3U);
  // Forwarded, flagged: the line from 2100 says so, no other line does.
  for (const auto& e : queued_events(*r.store)) {
    EXPECT_EQ(e.flags, e.timestamp == 4'102'444'800 ? "clock_ahead" : "") << to_json(e);
  }
}

/// Lines queued more often than the array's ledger holds them (sorted multisets).
std::vector<line> beyond(const std::vector<line>& ledger, const std::vector<line>& queued) {
  std::vector<line> out;
  std::set_difference(queued.begin(), queued.end(), ledger.begin(), ledger.end(),
                      std::back_inserter(out));
  return out;
}

struct paging_bug {
  const char* name;
  sim::hostile_settings hostile;
  std::size_t backlog;  ///< lines at start (pages hold 100)
};

void PrintTo(const paging_bug& bug, std::ostream* os) {
  *os << bug.name;
}

sim::hostile_settings bugs(bool ignore_page_number, bool always_next_page, bool ignore_start_time,
                           sim::total_mode total = sim::total_mode::exact) {
  sim::hostile_settings h;
  h.ignore_page_number = ignore_page_number;
  h.always_next_page = always_next_page;
  h.ignore_start_time = ignore_start_time;
  h.total = total;
  return h;
}

class paging_bugs : public ::testing::TestWithParam<std::tuple<paging_bug, bool>> {};

// Each cycle ends after a few requests, and every line is queued exactly once, whatever the
// array does with pageNumber, haveNextPage, startTime and total, as long as it lets every line
// be read at all.
TEST_P(paging_bugs, every_cycle_ends_and_queues_each_line_once) {
  const auto& [bug, newest_first] = GetParam();
  sim::options o;
  o.backlog = bug.backlog;
  o.newest_first = newest_first;
  o.hostile = bug.hostile;
  rig r(o);
  for (const std::size_t added : {0U, 30U, 60U, 0U}) {
    r.sim->add_logs(added);
    const auto before = r.log_requests();
    r.cycle();
    EXPECT_LE(r.log_requests() - before, 12U) << "a cycle after " << added << " new lines";
  }
  EXPECT_EQ(difference(sorted_ledger(r.sim.sim()), sorted_lines(queued_events(*r.store))), "");
  EXPECT_TRUE(r.agent_events.empty()) << r.agent_events.front().type;
}

INSTANTIATE_TEST_SUITE_P(
    arrays, paging_bugs,
    ::testing::Combine(
        ::testing::Values(paging_bug{"always_next_page", bugs(false, true, false), 250},
                          paging_bug{"ignore_start_time", bugs(false, false, true), 250},
                          paging_bug{"constant_total",
                                     bugs(false, false, false, sim::total_mode::constant), 250},
                          paging_bug{"one_page_ignoring_page_number", bugs(true, true, false), 40},
                          paging_bug{"one_page_without_total",
                                     bugs(true, true, false, sim::total_mode::missing), 40}),
        ::testing::Bool()),
    [](const auto& param_info) {
      return std::string(std::get<0>(param_info.param).name) +
             (std::get<1>(param_info.param) ? "_newest_first" : "_oldest_first");
    });

std::vector<line> ledger_in_order(sim::simulator& s) {
  std::vector<line> out;
  for (auto& l : s.ledger()) {
    out.emplace_back(l.timestamp, l.type, l.message);
  }
  return out;
}

std::vector<line> queued_in_order(state_store& store) {
  std::vector<line> out;
  for (const auto& e : queued_events(store)) {
    out.emplace_back(e.timestamp, e.type, e.message);
  }
  return out;
}

// Sinks see the lines in the order the array wrote them, whichever order it lists in: read by
// position (a total) or in one answer (none), a backlog and then the lines of a later cycle.
TEST(log_poller, lines_are_queued_in_the_order_the_array_wrote_them) {
  for (const auto total : {sim::total_mode::exact, sim::total_mode::missing}) {
    for (const bool newest_first : {true, false}) {
      sim::options o;
      o.backlog = 250;
      o.backlog_per_second = 20;  // several lines a second, their order within it told too
      o.duplicate_ratio = 0;
      o.newest_first = newest_first;
      o.hostile = bugs(false, false, false, total);
      rig r(o);
      EXPECT_EQ(r.cycle(), 250);
      r.sim->add_logs(30);
      EXPECT_EQ(r.cycle(), 30);
      EXPECT_EQ(queued_in_order(*r.store), ledger_in_order(r.sim.sim()))
          << "total " << sim::to_string(total) << (newest_first ? ", newest" : ", oldest")
          << " first";
    }
  }
}

// Past its first page, an array that ignores pageNumber shows nothing more by pages: its
// listing is read in one answer instead, every line once.
TEST(log_poller, an_array_ignoring_page_number_is_read_in_one_answer_exactly) {
  sim::options o;
  o.backlog = 250;
  o.hostile = bugs(true, false, false);
  rig r(o);
  for (int i = 0; i < 3; ++i) {
    const auto before = r.log_requests();
    auto outcome = test::run(r.io, r.poller->poll_once());
    ASSERT_TRUE(outcome) << outcome.error().message;
    EXPECT_EQ(*outcome, i == 0 ? 250 : 0);
    EXPECT_LE(r.log_requests() - before, 6U);
  }
  EXPECT_EQ(sorted_lines(queued_events(*r.store)), sorted_ledger(r.sim.sim()));
  EXPECT_EQ(types_of(r.agent_events), std::vector<std::string>{});
}

// Without a total the listing is read in one answer; one larger than max_response_bytes is
// read page by page instead, every line once.
TEST(log_poller, a_listing_too_large_for_one_answer_is_read_by_pages) {
  sim::options o;
  o.backlog = 1000;
  o.hostile = bugs(false, false, false, sim::total_mode::missing);
  config::log_options lo;
  lo.page_size = 50;
  rig r(o, lo);
  r.max_response_bytes = 64 * 1024;  // a page of 50 lines fits; 1,000 lines do not
  r.open();
  // A failed answer may be one that a retry gets: two cycles fail, the third reads by pages
  // and says what such a read cannot tell.
  for (int i = 0; i < 2; ++i) {
    auto failed = test::run(r.io, r.poller->poll_once());
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("larger than the limit"), std::string::npos)
        << failed.error().message;
  }
  EXPECT_EQ(r.cycle(), 1000);
  EXPECT_EQ(r.cycle(), 0);
  EXPECT_EQ(sorted_lines(queued_events(*r.store)), sorted_ledger(r.sim.sim()));
  EXPECT_EQ(types_of(r.agent_events), std::vector<std::string>{"logs_inexact"});
}

// The array's log is a ring: lines it drops before the agent reads them are lost on its side.
// The agent finds the lines it read at the checkpoint gone, says so once per loss, and queues
// everything still there exactly once.
TEST(log_poller, a_log_overwritten_or_cleared_past_the_checkpoint_is_a_gap) {
  sim::options o;
  o.backlog = 0;
  o.hostile.max_log_lines = 50;
  o.clock_offset_s = -100;
  rig r(o);
  r.sim->add_logs(30);
  EXPECT_EQ(r.cycle(), 30);
  // The agent stops reading while the array writes 100 lines later on: its ring keeps 50.
  r.sim->set_clock_offset(-50);
  r.time_passed += 50s;
  r.sim->add_logs(100);
  EXPECT_EQ(r.cycle(), 50);
  EXPECT_EQ(r.poller->counters().gaps, 1U);
  ASSERT_EQ(types_of(r.agent_events), std::vector<std::string>{"logs_gap"});
  EXPECT_NE(r.agent_events[0].message.find("no longer holds 30 of the lines"), std::string::npos)
      << r.agent_events[0].message;
  EXPECT_EQ(r.cycle(), 0);
  EXPECT_EQ(r.poller->counters().gaps, 1U) << "the same loss told twice";

  r.sim->clear_log();
  EXPECT_EQ(r.cycle(), 0);
  EXPECT_EQ(r.poller->counters().gaps, 2U);
  EXPECT_EQ(r.cycle(), 0);
  EXPECT_EQ(r.poller->counters().gaps, 2U) << "an empty log told twice";
  r.sim->set_clock_offset(0);
  r.time_passed += 50s;
  r.sim->add_logs(5);
  EXPECT_EQ(r.cycle(), 5);
  EXPECT_EQ(r.poller->counters().gaps, 2U);

  // Queued: every line but those the array dropped before they were read.
  auto unread = r.sim->dropped();
  EXPECT_EQ(unread.size(), 130U);
  const auto ledger = sorted_ledger(r.sim.sim());
  const auto queued = sorted_lines(queued_events(*r.store));
  EXPECT_EQ(beyond(ledger, queued), std::vector<line>{});
  EXPECT_EQ(queued.size(), 85U);
}

}  // namespace
}  // namespace qsanfwd::logs

#include "tests/support/poller_script.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "agent/core/event.hpp"
#include "agent/logs/log_poller.hpp"
#include "tests/support/run_coroutine.hpp"
#include "tests/support/scripted_array.hpp"

namespace qsanfwd::test {
namespace {

using kind = script_step::kind;

// The array's clock at the start of every script (2027-01-15).
constexpr std::int64_t clock_origin = 1'800'000'000;
// A cycle that asks this many pages of one poll does not end.
constexpr std::uint64_t max_calls_per_poll = 2000;
constexpr std::size_t max_steps = 64;
constexpr int max_polls = 24;

// Clock steps the fuzzer picks from: small and large, both ways, within and beyond the poller's
// 10 s tolerance and its clock_step_window (2 h), and an admin setting it five years ahead.
constexpr std::int64_t set_ahead_s = 5LL * 365 * 86'400;
constexpr std::int64_t clock_steps[] = {1,  set_ahead_s, 2,   5,   60,    3600,      5 * 3600,
                                        -1, -5,          -11, -60, -3600, -3 * 3600, 30};
// How far ahead a line may be stamped: beyond the 2 s tolerance, a year, a century.
constexpr std::int64_t future_steps[] = {3, 30, 3600, 365 * 86'400, 100LL * 365 * 86'400};

const char* const mis_names[] = {"off",           "page",           "next",       "start",
                                 "total_missing", "total_constant", "total_high", "total_low"};
const char* const kind_names[] = {"write", "clock", "poll",   "drop",  "clear",
                                  "mis",   "fail",  "inflow", "future"};

device::log_entry line_of(std::int64_t t, std::int64_t seed, std::int64_t i) {
  static const char* const types[] = {"info", "warning", "error", "access"};
  const auto k = static_cast<std::uint64_t>(seed + i);
  return {t, types[k % 4], "user " + std::to_string((k / 4) % 3) + " logged in"};
}

std::vector<device::log_entry> lines_of(std::int64_t t, std::int64_t n, std::int64_t seed,
                                        std::int64_t twins) {
  std::vector<device::log_entry> out;
  for (std::int64_t i = 0; i < n; ++i) {
    out.push_back(line_of(t, seed, i));
  }
  for (std::int64_t i = 0; i < twins && !out.empty(); ++i) {
    out.push_back(out.front());
  }
  return out;
}

// Unix seconds of "YYYY-MM-DDThh:mm:ssZ" (H. Hinnant's days_from_civil).
std::int64_t parse_rfc3339(std::string_view s) {
  const auto num = [&](std::size_t at, std::size_t len) {
    std::int64_t v = 0;
    std::from_chars(s.data() + at, s.data() + at + len, v);
    return v;
  };
  auto y = num(0, 4);
  const auto m = num(5, 2);
  const auto d = num(8, 2);
  y -= m <= 2 ? 1 : 0;
  const auto era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = y - era * 400;
  const auto doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const auto doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const auto days = era * 146097 + doe - 719468;
  return days * 86400 + num(11, 2) * 3600 + num(14, 2) * 60 + num(17, 2);
}

// Every "YYYY-MM-DDThh:mm:ssZ" in a message, in order.
std::vector<std::int64_t> times_in(std::string_view text) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i + 20 <= text.size(); ++i) {
    const auto c = text.substr(i, 20);
    if (c[4] == '-' && c[7] == '-' && c[10] == 'T' && c[13] == ':' && c[16] == ':' &&
        c[19] == 'Z' && std::isdigit(static_cast<unsigned char>(c[0])) != 0) {
      out.push_back(parse_rfc3339(c));
      i += 19;
    }
  }
  return out;
}

struct range {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  bool covers(std::int64_t t) const { return lo <= t && t <= hi; }
};

}  // namespace

poller_script decode_script(std::span<const std::uint8_t> bytes) {
  poller_script s;
  std::size_t at = 0;
  const auto next = [&]() -> std::uint8_t { return at < bytes.size() ? bytes[at++] : 0; };
  const auto head = next();
  s.page_size = 1 + head % 5;
  s.newest_first = (head & 0x08) == 0;
  s.inclusive = (head & 0x10) == 0;
  int polls = 0;
  while (at < bytes.size() && s.steps.size() < max_steps) {
    const auto op = next();
    script_step st;
    st.what = static_cast<kind>(op % 9);
    switch (st.what) {
      case kind::write: {
        const auto a = next();
        st.a = 1 + a % 8;
        st.b = next() % 16;
        st.c = (a >> 3) & 1;
        st.d = (a >> 4) % 3;
        break;
      }
      case kind::clock:
        st.a = clock_steps[next() % std::size(clock_steps)];
        break;
      case kind::poll:
        if (++polls > max_polls) {
          continue;
        }
        break;
      case kind::drop:
        st.a = 1 + next() % 16;
        break;
      case kind::clear:
        break;
      case kind::mis:
        st.a = next() % 8;
        break;
      case kind::fail:
        st.a = 1 + next() % 4;
        break;
      case kind::inflow: {
        const auto a = next();
        st.a = 1 + a % 4;
        st.b = 1 + (a >> 2) % 4;
        st.c = next() % 16;
        st.d = (a >> 4) & 1;
        break;
      }
      case kind::future:
        st.a = future_steps[next() % std::size(future_steps)];
        break;
    }
    s.steps.push_back(st);
  }
  return s;
}

std::string to_text(const poller_script& s) {
  std::string out = "page=" + std::to_string(s.page_size) +
                    (s.newest_first ? " newest" : " oldest") +
                    (s.inclusive ? " inclusive" : " exclusive") + " |";
  bool first = true;
  for (const auto& st : s.steps) {
    out += first ? " " : "; ";
    first = false;
    out += kind_names[static_cast<int>(st.what)];
    switch (st.what) {
      case kind::write:
      case kind::inflow:
        out += " " + std::to_string(st.a) + " " + std::to_string(st.b) + " " +
               std::to_string(st.c) + " " + std::to_string(st.d);
        break;
      case kind::mis:
        out += std::string(" ") + mis_names[st.a];
        break;
      case kind::clock:
      case kind::drop:
      case kind::fail:
      case kind::future:
        out += " " + std::to_string(st.a);
        break;
      case kind::poll:
      case kind::clear:
        break;
    }
  }
  return out;
}

poller_script parse_script(std::string_view text) {
  poller_script s;
  const auto bar = text.find('|');
  if (bar == std::string_view::npos) {
    throw std::invalid_argument("a script needs '|' after its header");
  }
  std::istringstream head{std::string(text.substr(0, bar))};
  for (std::string w; head >> w;) {
    if (w.starts_with("page=")) {
      s.page_size = std::stoi(w.substr(5));
    } else if (w == "newest" || w == "oldest") {
      s.newest_first = w == "newest";
    } else if (w == "inclusive" || w == "exclusive") {
      s.inclusive = w == "inclusive";
    } else {
      throw std::invalid_argument("unknown header word: " + w);
    }
  }
  std::string body(text.substr(bar + 1));
  std::replace(body.begin(), body.end(), ';', '\n');
  std::istringstream steps(body);
  for (std::string line; std::getline(steps, line);) {
    std::istringstream words(line);
    std::string name;
    if (!(words >> name)) {
      continue;
    }
    const auto k = std::find(std::begin(kind_names), std::end(kind_names), name);
    if (k == std::end(kind_names)) {
      throw std::invalid_argument("unknown step: " + name);
    }
    script_step st;
    st.what = static_cast<kind>(k - std::begin(kind_names));
    if (st.what == kind::mis) {
      std::string m;
      words >> m;
      const auto i = std::find(std::begin(mis_names), std::end(mis_names), m);
      if (i == std::end(mis_names)) {
        throw std::invalid_argument("unknown misbehaviour: " + m);
      }
      st.a = i - std::begin(mis_names);
    } else {
      words >> st.a >> st.b >> st.c >> st.d;
    }
    s.steps.push_back(st);
  }
  return s;
}

namespace {

/// One script's run: the scripted array, the real poller reading it, and what the polls did.
class script_run {
 public:
  script_run(std::string device, const poller_script& s, state_store& store, write_thread& writer,
             boost::asio::io_context& io)
      : device_(std::move(device)),
        array_(device_, s.newest_first, s.inclusive, clock_origin),
        poller_(array_, store, writer, options_for(s), hooks()),
        io_(io) {}

  void apply(const script_step& st) {
    switch (st.what) {
      case kind::write:
        for (auto& l : lines_of(0, st.a, st.b, st.d)) {
          array_.write_late(std::move(l), st.c);
        }
        break;
      case kind::clock:
        array_.set_clock(array_.clock() + st.a);
        // Time passing moves both clocks; a step back, or ahead by more than a day, is the
        // array's clock set wrong, and ours stands still.
        host_ += std::chrono::seconds(st.a > 0 && st.a <= 86'400 ? st.a : 0);
        break;
      case kind::poll: {
        const auto limit = ending_poll();
        std::erase_if(array_.fail_calls, [&](auto c) { return c >= limit; });
        break;
      }
      case kind::drop:
        array_.drop_oldest(static_cast<std::size_t>(st.a));
        break;
      case kind::clear:
        array_.clear();
        break;
      case kind::mis:
        misbehave(st.a);
        break;
      case kind::fail:
        array_.fail_calls.push_back(array_.calls() + static_cast<std::uint64_t>(st.a));
        break;
      case kind::inflow:
        array_.inflows.push_back(inflow{static_cast<int>(st.a), st.d, lines_of(0, st.b, st.c, 0)});
        break;
      case kind::future:
        array_.write(line_of(array_.clock() + st.a, 7, 0));
        break;
    }
  }

  /// Everything switched off, one line written in a new second (so that the order of a log all
  /// in one second can be learnt), and four clean polls, which must end too.
  void settle() {
    array_.mis = {};
    array_.fail_calls.clear();
    array_.inflows.clear();
    array_.set_clock(array_.clock() + 1);
    host_ += std::chrono::seconds(1);
    array_.write(device::log_entry{array_.clock(), "info", "settled"});
    for (int i = 0; i < 4 && broken.empty(); ++i) {
      ending_poll();
      array_.fail_calls.clear();
    }
  }

  const std::string& device() const { return device_; }
  const scripted_array& array() const { return array_; }
  const std::vector<event>& agent_events() const { return agent_events_; }

  std::ostringstream trace;  ///< what each poll did, for the report
  std::string broken;
  bool ever_misbehaved = false;

 private:
  static config::log_options options_for(const poller_script& s) {
    config::log_options options;
    options.page_size = std::clamp(s.page_size, 1, 1000);
    options.start_at.where = config::start_point::kind::beginning;
    return options;
  }

  logs::poller_hooks hooks() {
    logs::poller_hooks h;
    h.agent_event = [this](event e) { agent_events_.push_back(std::move(e)); };
    // The host's clock: time passes when the array's clock moves on, not when it is set back.
    h.steady_now = [this] { return host_; };
    return h;
  }

  void misbehave(std::int64_t which) {
    switch (which) {
      case 0:
        array_.mis = {};
        break;
      case 1:
        array_.mis.ignore_page_number = true;
        break;
      case 2:
        array_.mis.always_next = true;
        break;
      case 3:
        array_.mis.ignore_start_time = true;
        break;
      default:
        array_.mis.total = static_cast<total_mode>(which - 3);
        break;
    }
  }

  /// One poll, with every request past max_calls_per_poll failing so that a looping cycle
  /// ends. Returns the first failing call, for the caller to take those failures back.
  std::uint64_t ending_poll() {
    const auto limit = array_.calls() + max_calls_per_poll + 1;
    for (auto c = limit; c < limit + 8; ++c) {
      array_.fail_calls.push_back(c);
    }
    poll();
    return limit;
  }

  void poll() {
    const auto begin_call = array_.calls();
    const auto begin_serial = array_.next_serial();
    const bool mis_on = array_.mis.any();
    ever_misbehaved = ever_misbehaved || mis_on;
    auto r = qsanfwd::test::run(io_, poller_.poll_once());
    trace << "  poll at " << array_.clock() - clock_origin << ": "
          << (r ? "queued " + std::to_string(*r) : "failed: " + r.error().message) << " ("
          << array_.calls() - begin_call << " requests)\n";
    if (array_.calls() - begin_call > max_calls_per_poll && broken.empty()) {
      broken = "a poll did not end (more than 2000 requests)";
    }
    if (!mis_on && array_.clean_since(begin_call)) {
      array_.mark_clean_poll(begin_serial);
    }
  }

  std::string device_;
  scripted_array array_;
  std::vector<event> agent_events_;
  std::chrono::steady_clock::time_point host_{};
  logs::log_poller poller_;
  boost::asio::io_context& io_;
};

/// The ranges of time the agent's own events named.
struct what_agent_said {
  std::vector<range> gaps;
  std::vector<range> repeats;
  std::vector<range> missable;  ///< stamps the agent said lines may be missed at, held or not
  std::string text;
};

what_agent_said read_agent_events(const std::vector<event>& agent_events) {
  what_agent_said a;
  for (const auto& e : agent_events) {
    a.text += "  " + e.type + ": " + e.message + "\n";
    const auto t = times_in(e.message);
    if (e.type == "logs_gap" && t.size() >= 3) {
      a.gaps.push_back(range{t[1], t[2]});
    } else if (e.type == "logs_gap" && t.size() == 2) {  // "from ... on"
      a.gaps.push_back(range{t[1], std::numeric_limits<std::int64_t>::max()});
    } else if (e.type == "array_clock_jumped" && t.size() >= 3) {
      a.missable.push_back(range{std::numeric_limits<std::int64_t>::min(), t[2] - 1});
    } else if (e.type == "array_clock_behind" && t.size() >= 4 &&
               e.message.find("may be forwarded again") != std::string::npos) {
      a.repeats.push_back(range{t[2], t[3]});
    }
  }
  return a;
}

bool any_covers(const std::vector<range>& ranges, std::int64_t t) {
  return std::any_of(ranges.begin(), ranges.end(), [&](const range& r) { return r.covers(t); });
}

using line_key = std::tuple<std::int64_t, std::string, std::string>;

/// The device's log events in the queue: the distinct ids of each (second, type, message).
struct queued_lines {
  std::map<line_key, std::set<std::string>> ids;
  std::size_t count = 0;
};

/// Reads the queue after `first_seq`, telling in `problems` of an id queued twice (rule 1).
queued_lines read_queue(event_queue& queue, std::int64_t first_seq, const std::string& device,
                        const std::vector<range>& repeats, std::ostream& problems) {
  queued_lines q;
  for (auto from = first_seq;;) {
    const auto batch = queue.read_after(from, 10'000);
    if (batch.empty()) {
      break;
    }
    from = batch.back().seq;
    for (const auto& row : batch) {
      auto e = event_from_json(row.body);
      if (e.device != device || e.kind != event_kind::log) {
        continue;
      }
      ++q.count;
      const bool may_repeat = any_covers(repeats, e.timestamp);
      if (!q.ids[line_key{e.timestamp, e.type, e.message}].insert(e.id).second && !may_repeat) {
        problems << "  id " << e.id << " queued twice: " << e.timestamp - clock_origin << " "
                 << e.type << " " << e.message << "\n";
      }
    }
  }
  return q;
}

/// What the array's history says of one (second, type, message).
struct tally {
  std::int64_t held = 0;
  std::int64_t required = 0;
  std::int64_t excused = 0;
  std::vector<std::uint64_t> lost;     ///< seen_until of dropped required lines, no gap told
  std::vector<std::uint64_t> written;  ///< serials of its lines
};

std::map<line_key, tally> model_of(const scripted_array& array, const what_agent_said& said) {
  std::map<line_key, tally> model;
  for (const auto& l : array.history()) {
    auto& t = model[line_key{l.entry.timestamp, l.entry.type, l.entry.message}];
    ++t.held;
    t.written.push_back(l.serial);
    if (!l.seen_by_clean_poll) {
      continue;
    }
    const auto stamp = l.entry.timestamp;
    const bool told = (!l.held && any_covers(said.gaps, stamp)) || any_covers(said.missable, stamp);
    ++(told ? t.excused : t.required);
    if (!told && !l.held) {
      t.lost.push_back(l.seen_until);
    }
  }
  // A dropped line cannot be told by any reader (the array gives lines no id) from a line of
  // the same second, type and message written after the last clean poll that saw it: each
  // such later line excuses one dropped line.
  for (auto& [k, t] : model) {
    std::sort(t.lost.begin(), t.lost.end());
    std::size_t next_lost = 0;
    for (const auto serial : t.written) {
      if (next_lost < t.lost.size() && serial >= t.lost[next_lost]) {
        ++next_lost;
        --t.required;
        ++t.excused;
      }
    }
  }
  return model;
}

/// Rules 2 and 3: nothing invented, nothing skipped silently.
void compare_counts(const queued_lines& queued, const std::map<line_key, tally>& model,
                    std::ostream& problems) {
  for (const auto& [k, ids] : queued.ids) {
    const auto m = model.find(k);
    const auto held = m != model.end() ? m->second.held : 0;
    if (std::cmp_greater(ids.size(), held)) {
      problems << "  " << ids.size() << " ids queued for " << held
               << " lines the array ever held: " << std::get<0>(k) - clock_origin << " "
               << std::get<1>(k) << " " << std::get<2>(k) << "\n";
    }
  }
  for (const auto& [k, t] : model) {
    const auto q = queued.ids.find(k);
    const auto n = q != queued.ids.end() ? static_cast<std::int64_t>(q->second.size()) : 0;
    if (n < t.required) {
      problems << "  skipped silently: " << t.required - n << " of " << t.required
               << " required lines " << std::get<0>(k) - clock_origin << " " << std::get<1>(k)
               << " " << std::get<2>(k) << " (queued " << n << ", held ever " << t.held
               << ", excused " << t.excused << ")\n";
    }
  }
}

}  // namespace

poller_bench::poller_bench(const std::filesystem::path& state_dir)
    : store_(state_store::open(state_dir)),
      queue_(std::make_unique<event_queue>(*store_)),
      writer_(std::make_unique<write_thread>(*store_)) {}

poller_bench::~poller_bench() {
  writer_.reset();
  queue_.reset();
  store_.reset();
}

// THE ORACLE. After the script, the array's misbehaviours, pending failures and inflows are
// switched off, its clock moves on one second, one line is written there (so that the order of
// a log all in one second can be learnt) and four clean polls run. Then, over the events the
// poller queued for this device:
//
// 1. No id twice: every queued log event has an id of its own, except an event stamped inside
//    a range an `array_clock_behind` event names as "may be forwarded again" (README, Clocks:
//    a step back longer than clock_step_window may repeat lines, with their ids).
// 2. Nothing invented: for every (second, type, message), no more distinct ids are queued than
//    the array ever held lines of it.
// 3. Nothing skipped silently: a line is REQUIRED when the array held it throughout at least
//    one clean poll: a poll during which no misbehaviour was on and no request failed, the
//    line written before the poll began and not dropped before it ended (the four settling
//    polls are clean, so every line the array still holds at the end is required). A required
//    line is EXCUSED when the array dropped it (ring wrap or clear) and a `logs_gap` event
//    names a range holding its second (README, Gaps: "Loss outside our control is told").
//    For every (second, type, message), at least as many distinct ids are queued as there are
//    required lines not excused. A dropped required line is excused as well when a line of the
//    same second, type and message was written after the last clean poll that saw it: no
//    reader can tell the two apart (the array gives lines no id), so it stands in for it. A
//    `logs_stuck` needs no rule of its own: lines only ever served while a misbehaviour was on are
//    not required, and once it is off the settling polls must read them. Clock steps excuse
//    nothing (README, Clocks: "the lines the array stamps after the step exactly once"): the
//    host's clock (poller_hooks::steady_now) moves on with every step forward of the array's,
//    as time passing does, and stands still when the array's is set back.
// 4. Every poll ends: a cycle asking more than 2000 requests is a loop.
std::string poller_bench::run(const poller_script& s) {
  script_run r("fz" + std::to_string(++devices_), s, *store_, *writer_, io_);
  const auto first_seq = queue_->last_seq();
  for (const auto& st : s.steps) {
    r.apply(st);
    if (!r.broken.empty()) {
      break;
    }
  }
  if (r.broken.empty()) {
    r.settle();
  }

  const auto said = read_agent_events(r.agent_events());
  std::ostringstream problems;
  const auto queued = read_queue(*queue_, first_seq, r.device(), said.repeats, problems);
  compare_counts(queued, model_of(r.array(), said), problems);
  // An array that tells the truth about its listing and drops nothing leaves nothing to tell.
  const auto& history = r.array().history();
  const bool dropped =
      std::any_of(history.begin(), history.end(), [](const auto& l) { return !l.held; });
  if (!said.gaps.empty() && !dropped && !r.ever_misbehaved) {
    problems << "  a logs_gap told, but the array dropped no line\n";
  }
  if (!problems.str().empty() && r.broken.empty()) {
    r.broken = "the queue disagrees with the array's model";
  }
  if (r.broken.empty()) {
    return "";
  }
  std::ostringstream out;
  out << r.broken << "\nscript: " << to_text(s) << "\n"
      << problems.str() << "polls:\n"
      << r.trace.str() << "agent events:\n"
      << said.text << "queued log lines: " << queued.count << ", model lines: " << history.size()
      << " (times relative to the array's first clock)\n";
  return out.str();
}

}  // namespace qsanfwd::test

// The log poller's per-line dedup, as read_cycle runs it for each page: line_dedup::start_page with the marks stored for the page's seconds, observe per line,
// log_state::record of what the page leaves behind, all in one transaction with the page's
// queue appends. SQLite benchmarks are timed by the wall clock: a commit waits for fsync.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <span>
#include <vector>

#include "agent/logs/line_dedup.hpp"
#include "agent/logs/log_event.hpp"
#include "agent/logs/log_state.hpp"
#include "bench_support.hpp"

namespace qsanfwd::bench {
namespace {

constexpr std::int64_t first_second = 1'700'000'000;
// A page of log_page() covers this many seconds; the next page of a cycle is that much older
// (newest first) or newer (oldest first).
constexpr std::int64_t page_seconds = static_cast<std::int64_t>(page_lines / 2);

/// The seconds a page's lines lie in, shifted by `shift`.
logs::second_span seconds_of(std::span<const device::log_entry> page, std::int64_t shift) {
  const auto [lo, hi] =
      std::minmax_element(page.begin(), page.end(),
                          [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; });
  return {lo->timestamp + shift, hi->timestamp + shift};
}

/// One page through line_dedup and the store, as log_poller::sort_out does it (that one
/// is private); `fresh` is called with each line to queue and its occurrence.
template <typename F>
void dedup_page(logs::log_state& marks, logs::line_dedup& dedup,
                std::span<const device::log_entry> page, std::int64_t shift, std::int64_t cycle,
                F fresh) {
  const auto seconds = seconds_of(page, shift);
  dedup.start_page(seconds, marks.marks_between(seconds.lo, seconds.hi));
  for (const auto& line : page) {
    const auto seen =
        dedup.observe(line.timestamp + shift, logs::line_hash(line.type, line.message));
    if (seen.fresh) {
      fresh(line, seen.occurrence);
    }
  }
  marks.record(cycle, dedup.finish_page());
}

/// line_dedup alone, in memory: a newest-first cycle reading page after page, with
/// state.range(0) spans left by earlier cycles (older than the page, so none covers it): each
/// observe() looks through all of them.
void line_dedup_page(benchmark::State& state) {
  const auto page = log_page(page_lines, first_second);
  std::vector<logs::second_span> covered;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    covered.push_back({i * 10, i * 10 + 5});
  }
  logs::line_dedup dedup(std::move(covered));
  const std::vector<logs::line_mark> none;
  std::int64_t shift = 0;
  std::int64_t fresh = 0;
  for (auto _ : state) {
    const auto seconds = seconds_of(page, shift);
    dedup.start_page(seconds, none);
    for (const auto& line : page) {
      fresh += dedup.observe(line.timestamp + shift, logs::line_hash(line.type, line.message)).fresh
                   ? 1
                   : 0;
    }
    benchmark::DoNotOptimize(dedup.finish_page());
    shift -= page_seconds;
  }
  if (fresh != state.iterations() * static_cast<std::int64_t>(page.size())) {
    state.SkipWithError("a fresh line was taken for a repeat");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
}
BENCHMARK(line_dedup_page)
    ->ArgName("spans")
    ->Arg(0)
    ->Arg(10)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);

/// A page of fresh lines in a newest-first cycle (a backlog drain): dedup against the store
/// and what the page leaves behind recorded, in one transaction, without the queue appends.
void dedup_fresh_page(benchmark::State& state) {
  temp_store t;
  logs::log_state marks(t.store(), "array-01");
  const auto page = log_page(page_lines, first_second);
  logs::line_dedup dedup(marks.spans());
  std::int64_t shift = 0;
  std::int64_t fresh = 0;
  // One long cycle over a backlog bigger than any run reads; no lines arrive meanwhile.
  for (auto _ : state) {
    auto tx = t.store().begin();
    dedup_page(marks, dedup, page, shift, 1,
               [&fresh](const device::log_entry&, std::int64_t) { ++fresh; });
    tx.commit();
    shift -= page_seconds;
  }
  if (fresh != state.iterations() * static_cast<std::int64_t>(page.size())) {
    state.SkipWithError("a fresh line was taken for a repeat");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
}
BENCHMARK(dedup_fresh_page)->UseRealTime()->Unit(benchmark::kMillisecond);

/// A page read again by a cycle started over (after a crash, or when the array's log shrank
/// while being read): spans and marks loaded, every line a repeat, what the page leaves
/// behind recorded. The poller gives each new cycle a new id, and so a new span row; here every
/// re-read uses one id, so the table does not grow with the iteration count.
void dedup_repeat_page(benchmark::State& state) {
  temp_store t;
  logs::log_state marks(t.store(), "array-01");
  const auto page = log_page(page_lines, first_second);
  const auto ignore = [](const device::log_entry&, std::int64_t) {};
  {
    auto tx = t.store().begin();
    logs::line_dedup first(marks.spans());
    dedup_page(marks, first, page, 0, 1, ignore);
    tx.commit();
  }
  std::int64_t fresh = 0;
  for (auto _ : state) {
    auto tx = t.store().begin();
    logs::line_dedup dedup(marks.spans());
    dedup_page(marks, dedup, page, 0, 2,
               [&fresh](const device::log_entry&, std::int64_t) { ++fresh; });
    tx.commit();
  }
  if (fresh != 0) {
    state.SkipWithError("a repeated line was taken as new");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
}
BENCHMARK(dedup_repeat_page)->UseRealTime()->Unit(benchmark::kMillisecond);

/// A whole page as the poller commits it with oldest-first results: dedup, the event of each
/// fresh line (its stable id), the queue append, the marks pruned, the checkpoint saved, the
/// commit.
void poller_page(benchmark::State& state) {
  temp_store t;
  logs::log_state marks(t.store(), "array-01");
  auto page = log_page(page_lines, first_second);
  std::reverse(page.begin(), page.end());
  logs::line_dedup dedup(marks.spans());
  std::int64_t shift = 0;
  const std::int64_t cycle = 1;
  std::vector<event> fresh;
  for (auto _ : state) {
    auto tx = t.store().begin();
    fresh.clear();
    dedup_page(marks, dedup, page, shift, cycle,
               [&](const device::log_entry& line, std::int64_t occurrence) {
                 fresh.push_back(log_event(line, occurrence, shift));
               });
    t.queue().append(fresh);
    const auto newest = seconds_of(page, shift).hi;
    marks.prune_before(newest - 1);
    marks.save(logs::checkpoint{.start_time = newest,
                                .floor = 0,
                                .newest_first = false,
                                .cycle = cycle,
                                .recorded_since = std::nullopt});
    tx.commit();
    shift += page_seconds;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
}
BENCHMARK(poller_page)->UseRealTime()->Unit(benchmark::kMillisecond);

/// The event of one line, as the poller builds it: into an event kept from line to line
/// (mostly its SHA-256 stable id).
void make_log_event(benchmark::State& state) {
  const auto page = log_page(page_lines, first_second);
  const logs::log_source from{"array-01", "192.0.2.10", "XS5326", "QS1234567890"};
  event e;
  for (auto _ : state) {
    for (const auto& line : page) {
      logs::make_log_event(e, from, line, 1);
      benchmark::DoNotOptimize(e);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
}
BENCHMARK(make_log_event)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace qsanfwd::bench

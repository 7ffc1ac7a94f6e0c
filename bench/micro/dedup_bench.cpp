// The log poller's per-line dedup, as read_cycle runs it for each page: page_window::accept,
// then log_state::observe per line against the marks in a real SQLite file, with the page's
// checkpoint move, all in one transaction. Timed by the wall clock: a commit waits for fsync.

#include <benchmark/benchmark.h>

#include "agent/logs/log_state.hpp"
#include "agent/logs/page_window.hpp"
#include "bench_support.hpp"

namespace qsanfwd::bench {
namespace {

constexpr std::int64_t first_second = 1'700'000'000;
// Each iteration reads the page again this many seconds later, so its lines are new.
constexpr std::int64_t page_step = static_cast<std::int64_t>(page_lines);
// Preloaded marks lie this far after the pages read, out of their way.
constexpr std::int64_t preload_shift = std::int64_t{1} << 30;

/// Marks `marks` lines of seconds after the benchmark's pages, as a newest-first drain holds
/// them for the pages it already read in the cycle.
void preload_marks(state_store& store, logs::log_state& marks, std::int64_t count) {
  const auto page = log_page(page_lines, first_second);
  auto offset = preload_shift;
  for (std::int64_t done = 0; done < count; offset += page_step) {
    auto tx = store.begin();
    for (const auto& line : page) {
      if (done++ == count) {
        break;
      }
      marks.observe(line.timestamp + offset, line.type, line.message, 1);
    }
    tx.commit();
  }
}

/// One page of fresh lines observed in one transaction, with state.range(0) marks already
/// stored (a newest-first drain keeps the marks of every page of its cycle until the cycle
/// ends). The page's marks are removed untimed, so the table keeps its size.
void dedup_fresh_page(benchmark::State& state) {
  temp_store t;
  logs::log_state marks(t.store(), "array-01");
  preload_marks(t.store(), marks, state.range(0));
  const auto page = log_page(page_lines, first_second);
  std::int64_t offset = 0;
  std::int64_t cycle = 2;
  std::int64_t fresh = 0;
  for (auto _ : state) {
    logs::page_window window(true, static_cast<int>(page_lines));
    auto tx = t.store().begin();
    const auto skip = window.accept(1, static_cast<std::int64_t>(page.size()), page.size());
    for (auto it = page.begin() + static_cast<std::ptrdiff_t>(skip.value_or(0)); it != page.end();
         ++it) {
      fresh += marks.observe(it->timestamp + offset, it->type, it->message, cycle).fresh ? 1 : 0;
    }
    tx.commit();
    state.PauseTiming();
    marks.prune_before(first_second + preload_shift - page_step);
    state.ResumeTiming();
    offset += page_step;
    ++cycle;
  }
  if (fresh != state.iterations() * static_cast<std::int64_t>(page.size())) {
    state.SkipWithError("a fresh line was taken for a repeat");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
}
BENCHMARK(dedup_fresh_page)->ArgName("marks")->Arg(0)->UseRealTime()->Unit(benchmark::kMillisecond);
// Preloading is slow, so these run once, with a fixed number of pages.
BENCHMARK(dedup_fresh_page)
    ->ArgName("marks")
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(50)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

/// One page read again in a later cycle (the second re-read at a cycle's start, or a cycle
/// started over): every line is a repeat, nothing is queued.
void dedup_repeat_page(benchmark::State& state) {
  temp_store t;
  logs::log_state marks(t.store(), "array-01");
  const auto page = log_page(page_lines, first_second);
  {
    auto tx = t.store().begin();
    for (const auto& line : page) {
      marks.observe(line.timestamp, line.type, line.message, 1);
    }
    tx.commit();
  }
  std::int64_t cycle = 2;
  std::int64_t fresh = 0;
  for (auto _ : state) {
    auto tx = t.store().begin();
    for (const auto& line : page) {
      fresh += marks.observe(line.timestamp, line.type, line.message, cycle).fresh ? 1 : 0;
    }
    tx.commit();
    ++cycle;
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
  const auto page = log_page(page_lines, first_second);
  std::int64_t offset = 0;
  std::int64_t cycle = 1;
  for (auto _ : state) {
    auto tx = t.store().begin();
    std::int64_t newest = 0;
    for (const auto& line : page) {
      const auto ts = line.timestamp + offset;
      const auto seen = marks.observe(ts, line.type, line.message, cycle);
      if (seen.fresh) {
        t.queue().append(log_event(line, seen.occurrence, offset));
      }
      newest = std::max(newest, ts);
    }
    marks.prune_before(newest - 1);
    marks.save(
        logs::checkpoint{.start_time = newest, .floor = 0, .newest_first = true, .cycle = cycle});
    tx.commit();
    offset += page_step;
    ++cycle;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
}
BENCHMARK(poller_page)->UseRealTime()->Unit(benchmark::kMillisecond);

/// The event of one line, as the poller builds it (mostly its SHA-256 stable id).
void make_log_event(benchmark::State& state) {
  const auto page = log_page(page_lines, first_second);
  for (auto _ : state) {
    for (const auto& line : page) {
      auto e = log_event(line, 1);
      benchmark::DoNotOptimize(e);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
}
BENCHMARK(make_log_event)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace qsanfwd::bench

// The durable event queue in a real SQLite file (WAL, synchronous FULL, as the agent opens it):
// appends in the poller's page transactions, reads and commits in the dispatcher's batches.
// Timed by the wall clock: a commit's fsync is most of what it costs.

#include <benchmark/benchmark.h>

#include "bench_support.hpp"

namespace qsanfwd::bench {
namespace {

std::int64_t json_bytes(const std::vector<event>& events) {
  std::int64_t bytes = 0;
  for (const auto& e : events) {
    bytes += static_cast<std::int64_t>(to_json(e).size());
  }
  return bytes;
}

/// A page of events appended in one call and one transaction, as the poller commits a page.
void queue_append_page(benchmark::State& state) {
  temp_store t;
  const auto events = log_events(page_lines);
  for (auto _ : state) {
    auto tx = t.store().begin();
    t.queue().append(events);
    tx.commit();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.SetBytesProcessed(state.iterations() * json_bytes(events));
}
BENCHMARK(queue_append_page)->UseRealTime()->Unit(benchmark::kMillisecond);

/// A page of events appended one call per event in one transaction (how the poller appended
/// before it collected a page): each event is a chunk of its own.
void queue_append_page_each(benchmark::State& state) {
  temp_store t;
  const auto events = log_events(page_lines);
  for (auto _ : state) {
    auto tx = t.store().begin();
    for (const auto& e : events) {
      t.queue().append(e);
    }
    tx.commit();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.SetBytesProcessed(state.iterations() * json_bytes(events));
}
BENCHMARK(queue_append_page_each)->UseRealTime()->Unit(benchmark::kMillisecond);

/// One event appended in a transaction of its own, as health and agent events are.
void queue_append_one(benchmark::State& state) {
  temp_store t;
  const auto events = log_events(page_lines);
  std::size_t i = 0;
  for (auto _ : state) {
    t.queue().append(events[i]);
    i = (i + 1) % events.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(queue_append_one)->UseRealTime()->Unit(benchmark::kMicrosecond);

/// A batch read for a sink: read_batch with the default limits (500 events, 1 MiB) from a
/// queue of 20,000 events, walking forward as a sink's cursor does.
void queue_read_batch(benchmark::State& state) {
  temp_store t;
  fill_queue(t.store(), t.queue(), log_events(20'000));
  const auto last = t.queue().last_seq();
  std::int64_t seq = 0;
  std::int64_t events = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    auto batch = t.queue().read_batch(seq, batch_events, batch_bytes);
    // Back to the start at the end, so every read is a full batch.
    seq = batch.back().seq == last ? 0 : batch.back().seq;
    events += static_cast<std::int64_t>(batch.size());
    for (const auto& q : batch) {
      bytes += static_cast<std::int64_t>(q.body.size());
    }
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(bytes);
}
BENCHMARK(queue_read_batch)->UseRealTime()->Unit(benchmark::kMicrosecond);

/// A delivered batch recorded as the dispatcher does: the sink's cursor moves and the events
/// behind every cursor are deleted, in one transaction. The batch is queued untimed.
void queue_commit_batch(benchmark::State& state) {
  temp_store t;
  const auto events = log_events(batch_events);
  t.queue().ensure_cursor("siem", 0);
  for (auto _ : state) {
    state.PauseTiming();
    fill_queue(t.store(), t.queue(), events);
    const auto last = t.queue().last_seq();
    state.ResumeTiming();
    auto tx = t.store().begin();
    t.queue().advance_cursor("siem", last,
                             cursor_move{static_cast<std::int64_t>(events.size()), 0, 0, 0});
    t.queue().delete_through(last);
    tx.commit();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
}
BENCHMARK(queue_commit_batch)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace qsanfwd::bench

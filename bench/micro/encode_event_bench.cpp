// The event's canonical JSON (to_json, with its RFC 3339 time) and the file sink's write of a
// batch: the per-event work between the poller and the file on disk.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "agent/core/time.hpp"
#include "bench_support.hpp"
#include "sinks/file/file_sink.hpp"

namespace qsanfwd::bench {
namespace {

/// event -> canonical JSON, as the poller does for every line it queues.
void event_to_json(benchmark::State& state) {
  const auto events = log_events(page_lines);
  std::int64_t bytes = 0;
  for (auto _ : state) {
    for (const auto& e : events) {
      const auto body = to_json(e);
      bytes += static_cast<std::int64_t>(body.size());
      benchmark::DoNotOptimize(body.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.SetBytesProcessed(bytes);
}
BENCHMARK(event_to_json)->Unit(benchmark::kMicrosecond);

/// The "time" field alone, over a spread of seconds.
void rfc3339(benchmark::State& state) {
  constexpr std::int64_t count = 1000;
  for (auto _ : state) {
    for (std::int64_t s = 1'700'000'000; s < 1'700'000'000 + count * 7919; s += 7919) {
      const auto text = rfc3339_utc(s);
      benchmark::DoNotOptimize(text.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(rfc3339)->Unit(benchmark::kMicrosecond);

/// A batch of 500 queued events appended to a file (`fsync: never`, so the figure is the
/// sink's own work, not the disk's), with and without the hash chain.
void file_sink_batch(benchmark::State& state, bool hash_chain) {
  std::vector<queued_event> batch;
  std::int64_t seq = 0;
  for (const auto& e : log_events(batch_events)) {
    batch.emplace_back(++seq, to_json(e));
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("qsanfwd-bench-file-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  sinks::file_options options;
  options.path = dir / "events.log";
  options.fsync = sinks::fsync_policy::never;
  options.rotate_max_bytes = 64 << 20;  // bounded disk use; a rename every few hundred batches
  options.rotate_keep = 1;
  options.hash_chain = hash_chain;
  {
    sinks::file_sink sink("bench", options);
    boost::asio::io_context io;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          for (auto _ : state) {
            const auto d = co_await sink.deliver(batch);
            benchmark::DoNotOptimize(d);
          }
          co_await sink.close();
        },
        boost::asio::detached);
    io.run();
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
}
BENCHMARK_CAPTURE(file_sink_batch, plain, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(file_sink_batch, hash_chain, true)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace qsanfwd::bench

// What sinks do per event and per batch: RFC 5424 messages for syslog, Splunk HEC and
// Elasticsearch bulk bodies for HTTP. Batches come as the dispatcher hands them over: queued
// events holding their canonical JSON, not yet parsed.

#include <benchmark/benchmark.h>

#include "bench_support.hpp"
#include "sinks/http/formats.hpp"
#include "sinks/syslog/syslog_format.hpp"

namespace qsanfwd::bench {
namespace {

/// A batch as read_batch returns it; built untimed, since parsing happens on first use.
std::vector<queued_event> fresh_batch(const std::vector<std::string>& bodies) {
  std::vector<queued_event> out;
  out.reserve(bodies.size());
  std::int64_t seq = 0;
  for (const auto& b : bodies) {
    out.emplace_back(++seq, b);
  }
  return out;
}

std::vector<std::string> batch_bodies() {
  std::vector<std::string> bodies;
  for (const auto& e : log_events(batch_events)) {
    bodies.push_back(to_json(e));
  }
  return bodies;
}

/// event -> RFC 5424 text, for events already parsed.
void format_rfc5424(benchmark::State& state) {
  const auto events = log_events(page_lines);
  const sinks::syslog::format_settings settings;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    for (const auto& e : events) {
      const auto message = sinks::syslog::format_rfc5424(e, settings);
      bytes += static_cast<std::int64_t>(message.size());
      benchmark::DoNotOptimize(message.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.SetBytesProcessed(bytes);
}
BENCHMARK(format_rfc5424)->Unit(benchmark::kMicrosecond);

/// The syslog sink's work per batch over TCP: each queued event read, formatted (RFC 5424) and
/// framed by octet counting, into buffers kept from batch to batch as the sink keeps them.
void syslog_batch(benchmark::State& state) {
  const auto batch = fresh_batch(batch_bodies());
  sinks::syslog::message_batch messages{sinks::syslog::format_settings{}};
  std::string payload;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    messages.clear();
    payload.clear();
    for (const auto& q : batch) {
      messages.add(q.body);
    }
    messages.frame_into(payload, false);
    bytes += static_cast<std::int64_t>(payload.size());
    benchmark::DoNotOptimize(payload.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
  state.SetBytesProcessed(bytes);
}
BENCHMARK(syslog_batch)->Unit(benchmark::kMicrosecond);

/// Canonical JSON -> event, the parse every formatting sink pays once per event.
void parse_queued_event(benchmark::State& state) {
  const auto bodies = batch_bodies();
  for (auto _ : state) {
    for (const auto& b : bodies) {
      auto e = event_from_json(b);
      benchmark::DoNotOptimize(e);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(bodies.size()));
}
BENCHMARK(parse_queued_event)->Unit(benchmark::kMicrosecond);

/// A batch of 500 queued events -> one request body in `format`.
void encode_batch(benchmark::State& state, sinks::http_format format) {
  const auto bodies = batch_bodies();
  sinks::format_settings settings;
  settings.format = format;
  settings.index = event_template::parse("qsan");
  std::int64_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batch = fresh_batch(bodies);
    state.ResumeTiming();
    const auto body = sinks::encode_batch(batch, settings);
    bytes += static_cast<std::int64_t>(body.size());
    benchmark::DoNotOptimize(body.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(bodies.size()));
  state.SetBytesProcessed(bytes);
}
BENCHMARK_CAPTURE(encode_batch, splunk_hec, sinks::http_format::splunk_hec)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(encode_batch, elasticsearch, sinks::http_format::elasticsearch)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(encode_batch, ndjson, sinks::http_format::ndjson)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace qsanfwd::bench

// Page parsing: one `/rest/v1/log/list` answer of 1,000 lines into the device model.

#include <benchmark/benchmark.h>

#include "agent/device/parse.hpp"
#include "bench_support.hpp"

namespace qsanfwd::bench {
namespace {

void parse_log_page(benchmark::State& state) {
  const auto body = log_page_body(page_lines, 1'700'000'000);
  std::size_t lines = 0;
  for (auto _ : state) {
    auto page = device::parse_log_page(body, page_lines);
    if (!page) {
      state.SkipWithError(page.error().message.c_str());
      break;
    }
    lines = page->logs.size();
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
  state.counters["page_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(parse_log_page)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace qsanfwd::bench

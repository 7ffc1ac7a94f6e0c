#include "bench_support.hpp"

#include <algorithm>
#include <cstdlib>
#include <span>
#include <stdexcept>

#include "agent/core/logging.hpp"
#include "agent/device/parse.hpp"
#include "agent/logs/log_event.hpp"
#include "sim/log_book.hpp"

namespace qsanfwd::bench {

std::string log_page_body(std::size_t lines, std::int64_t last_second) {
  // A fixed seed keeps the input, and so the figures, the same from run to run.
  sim::log_book book(42, 0.05);
  const auto seconds = static_cast<std::int64_t>(lines / 2);
  book.generate(lines, last_second - seconds + 1, last_second);
  std::string body;
  sim::log_query query;
  query.page_size = lines;
  book.render_page(body, query, sim::log_order{});
  return body;
}

std::vector<device::log_entry> log_page(std::size_t lines, std::int64_t last_second) {
  auto page = device::parse_log_page(log_page_body(lines, last_second), lines);
  if (!page) {
    throw std::runtime_error("the simulator's page does not parse: " + page.error().message);
  }
  return std::move(page->logs);
}

event log_event(const device::log_entry& line, std::int64_t occurrence, std::int64_t shift) {
  auto shifted = line;
  shifted.timestamp += shift;
  event e;
  logs::make_log_event(e, {"array-01", "192.0.2.10", "XS5326", "QS1234567890"}, shifted,
                       occurrence);
  return e;
}

std::vector<event> log_events(std::size_t n) {
  std::vector<event> out;
  out.reserve(n);
  std::int64_t last_second = 1'700'000'000;
  while (out.size() < n) {
    for (const auto& line : log_page(page_lines, last_second)) {
      if (out.size() == n) {
        break;
      }
      out.push_back(log_event(line, 1));
    }
    last_second += static_cast<std::int64_t>(page_lines);
  }
  return out;
}

namespace {

std::filesystem::path make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  auto pattern = (std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") /
                  "qsanfwd-micro-XXXXXX")
                     .string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a directory like " + pattern);
  }
  return pattern;
}

/// Keeps the store's notes (directory created, schema migrated) out of the benchmark table.
std::filesystem::path quiet_temp_dir() {
  set_all_levels(spdlog::level::warn);
  return make_temp_dir();
}

}  // namespace

temp_store::temp_store()
    : dir_(quiet_temp_dir()), store_(state_store::open(dir_ / "state")), queue_(*store_) {}

temp_store::~temp_store() {
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void fill_queue(state_store& store, event_queue& q, const std::vector<event>& events) {
  const std::span<const event> all(events);
  for (std::size_t i = 0; i < events.size(); i += page_lines) {
    auto tx = store.begin();
    q.append(all.subspan(i, std::min(page_lines, events.size() - i)));
    tx.commit();
  }
}

}  // namespace qsanfwd::bench

#include "agent/logs/log_state.hpp"

#include "agent/core/time.hpp"
#include "agent/store/sql.hpp"

namespace qsanfwd::logs {

std::uint64_t line_hash(std::string_view type, std::string_view message) {
  std::uint64_t h = 14695981039346656037ULL;
  const auto mix = [&h](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  };
  mix(type);
  mix(std::string_view("\0", 1));
  mix(message);
  return h;
}

std::optional<checkpoint> log_state::load() {
  auto& st = store_.database().cached(sql::load_log_checkpoint);
  st.bind_text(1, device_);
  if (!st.step()) {
    st.reset();
    return std::nullopt;
  }
  checkpoint cp;
  cp.start_time = st.column_int64(0);
  cp.floor = st.column_int64(1);
  if (!st.column_is_null(2)) {
    cp.newest_first = st.column_int64(2) != 0;
  }
  cp.cycle = st.column_int64(3);
  st.reset();
  return cp;
}

void log_state::save(const checkpoint& cp) {
  auto& st = store_.database().cached(sql::save_log_checkpoint);
  st.bind_text(1, device_);
  st.bind_int64(2, cp.start_time);
  st.bind_int64(3, cp.floor);
  if (cp.newest_first) {
    st.bind_int64(4, *cp.newest_first ? 1 : 0);
  } else {
    st.bind_null(4);
  }
  st.bind_int64(5, cp.cycle);
  st.bind_int64(6, unix_now());
  st.run();
}

sighting log_state::observe(std::int64_t timestamp, std::string_view type, std::string_view message,
                            std::int64_t cycle) {
  auto& st = store_.database().cached(sql::observe_log_line);
  st.bind_text(1, device_);
  st.bind_int64(2, timestamp);
  st.bind_int64(3, static_cast<std::int64_t>(line_hash(type, message)));
  st.bind_int64(4, cycle);
  st.step();
  sighting s{st.column_int64(0) != 0, st.column_int64(1)};
  st.reset();
  return s;
}

void log_state::prune_before(std::int64_t timestamp) {
  auto& st = store_.database().cached(sql::prune_log_marks);
  st.bind_text(1, device_);
  st.bind_int64(2, timestamp);
  st.run();
}

std::int64_t log_state::mark_count() {
  auto& st = store_.database().cached(sql::count_log_marks);
  st.bind_text(1, device_);
  st.step();
  const auto n = st.column_int64(0);
  st.reset();
  return n;
}

}  // namespace qsanfwd::logs

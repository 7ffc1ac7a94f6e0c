#include "agent/logs/log_state.hpp"

#include <algorithm>
#include <map>

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
  if (!st.column_is_null(4)) {
    cp.recorded_since = st.column_int64(4);
  }
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
  if (cp.recorded_since) {
    st.bind_int64(7, *cp.recorded_since);
  } else {
    st.bind_null(7);
  }
  st.run();
}

std::vector<second_span> log_state::spans() {
  auto& st = store_.database().cached(sql::load_log_spans);
  st.bind_text(1, device_);
  std::vector<second_span> out;
  while (st.step()) {
    out.push_back(second_span{st.column_int64(0), st.column_int64(1)});
  }
  st.reset();
  return out;
}

std::vector<line_mark> log_state::marks_between(std::int64_t lo, std::int64_t hi) {
  auto& st = store_.database().cached(sql::load_log_marks_between);
  st.bind_text(1, device_);
  st.bind_int64(2, lo);
  st.bind_int64(3, hi);
  std::vector<line_mark> out;
  while (st.step()) {
    out.push_back(line_mark{st.column_int64(0), static_cast<std::uint64_t>(st.column_int64(1)),
                            st.column_int64(2), st.column_int64(3)});
  }
  st.reset();
  return out;
}

void log_state::record(std::int64_t cycle, const page_record& page) {
  if (page.interior) {
    auto& span = store_.database().cached(sql::save_log_span);
    span.bind_text(1, device_);
    span.bind_int64(2, cycle);
    span.bind_int64(3, page.interior->lo);
    span.bind_int64(4, page.interior->hi);
    span.run();
    auto& forget = store_.database().cached(sql::forget_log_marks_between);
    forget.bind_text(1, device_);
    forget.bind_int64(2, page.interior->lo);
    forget.bind_int64(3, page.interior->hi);
    forget.run();
  }
  for (const auto& m : page.marks) {
    auto& st = store_.database().cached(sql::save_log_mark);
    st.bind_text(1, device_);
    st.bind_int64(2, m.timestamp);
    st.bind_int64(3, static_cast<std::int64_t>(m.hash));
    st.bind_int64(4, m.queued);
    st.bind_int64(5, m.retired);
    st.run();
  }
}

void log_state::lower(const std::vector<line_mark>& marks) {
  for (const auto& m : marks) {
    auto& st = store_.database().cached(sql::lower_log_mark);
    st.bind_text(1, device_);
    st.bind_int64(2, m.timestamp);
    st.bind_int64(3, static_cast<std::int64_t>(m.hash));
    st.bind_int64(4, m.queued);
    st.run();
  }
}

void log_state::prune_before(std::int64_t timestamp) {
  for (const auto sql : {sql::prune_log_marks, sql::prune_log_spans}) {
    auto& st = store_.database().cached(sql);
    st.bind_text(1, device_);
    st.bind_int64(2, timestamp);
    st.run();
  }
}

namespace {

std::byte* put_u64(std::byte* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    *out++ = static_cast<std::byte>(v >> (8 * i));
  }
  return out;
}

std::uint64_t get_u64(std::span<const std::byte> in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<std::uint64_t>(in[static_cast<std::size_t>(i)]) << (8 * i);
  }
  return v;
}

constexpr std::size_t recorded_line_bytes = 16;

}  // namespace

void log_state::remember(std::span<const queued_line> lines) {
  if (lines.empty()) {
    return;
  }
  std::vector<std::byte> packed(lines.size() * recorded_line_bytes);
  auto* at = packed.data();
  auto lo = lines.front().timestamp;
  auto hi = lo;
  for (const auto& l : lines) {
    at = put_u64(put_u64(at, static_cast<std::uint64_t>(l.timestamp)), l.hash);
    lo = std::min(lo, l.timestamp);
    hi = std::max(hi, l.timestamp);
  }
  auto& st = store_.database().cached(sql::save_log_recent);
  st.bind_text(1, device_);
  st.bind_int64(2, lo);
  st.bind_int64(3, hi);
  st.bind_blob(4, packed);
  st.bind_int64(5, unix_now());
  st.run();
}

void log_state::forget_recent_before(std::int64_t timestamp, std::int64_t recorded_before) {
  auto& st = store_.database().cached(sql::prune_log_recent);
  st.bind_text(1, device_);
  st.bind_int64(2, timestamp);
  st.bind_int64(3, recorded_before);
  st.run();
}

void log_state::reopen(std::int64_t from, std::int64_t to) {
  std::map<std::pair<std::int64_t, std::uint64_t>, std::int64_t> queued;
  auto& load = store_.database().cached(sql::load_log_recent_between);
  load.bind_text(1, device_);
  load.bind_int64(2, from);
  load.bind_int64(3, to);
  while (load.step()) {
    const auto packed = load.column_blob(0);
    for (std::size_t at = 0; at + recorded_line_bytes <= packed.size(); at += recorded_line_bytes) {
      const auto line = std::span<const std::byte>(packed).subspan(at, recorded_line_bytes);
      const auto timestamp = static_cast<std::int64_t>(get_u64(line.first(8)));
      if (timestamp >= from && timestamp <= to) {
        ++queued[{timestamp, get_u64(line.subspan(8))}];
      }
    }
  }
  load.reset();
  for (const auto sql : {sql::drop_log_spans_from, sql::cut_log_spans_at}) {
    auto& st = store_.database().cached(sql);
    st.bind_text(1, device_);
    st.bind_int64(2, from);
    st.run();
  }
  page_record marks;
  for (const auto& [key, n] : queued) {
    marks.marks.push_back(line_mark{key.first, key.second, n});
  }
  record(0, marks);
}

std::int64_t log_state::mark_count() {
  auto& st = store_.database().cached(sql::count_log_marks);
  st.bind_text(1, device_);
  st.step();
  const auto n = st.column_int64(0);
  st.reset();
  return n;
}

void log_state::erase() {
  for (const auto query : {sql::forget_log_checkpoint, sql::forget_log_marks, sql::forget_log_spans,
                           sql::forget_log_recent}) {
    auto& st = store_.database().cached(query);
    st.bind_text(1, device_);
    st.run();
    st.reset();
  }
}

}  // namespace qsanfwd::logs

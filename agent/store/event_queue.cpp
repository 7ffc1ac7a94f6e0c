#include "agent/store/event_queue.hpp"

#include <sqlite3.h>

#include "agent/core/time.hpp"
#include "agent/store/sql.hpp"

namespace qsanfwd {

const event& queued_event::fields() const {
  if (!parsed_) {
    parsed_ = event_from_json(body);
  }
  return *parsed_;
}

std::int64_t event_queue::insert(const event& e) {
  const auto body = to_json(e);
  auto& st = store_.database().cached(sql::append_event);
  st.bind_text(1, e.device);
  st.bind_text(2, to_string(e.kind));
  st.bind_text(3, body);
  st.bind_int64(4, static_cast<std::int64_t>(body.size()));
  st.run();
  return sqlite3_last_insert_rowid(store_.database().handle());
}

std::int64_t event_queue::append(const event& e) {
  if (store_.database().in_transaction()) {
    return insert(e);
  }
  auto tx = store_.begin();
  const auto seq = insert(e);
  tx.commit();
  return seq;
}

std::vector<queued_event> event_queue::read_after(std::int64_t seq, std::size_t max_events) {
  return read_batch(seq, max_events, static_cast<std::size_t>(-1));
}

std::vector<queued_event> event_queue::read_batch(std::int64_t seq, std::size_t max_events,
                                                  std::size_t max_bytes) {
  auto& st = store_.database().cached(sql::read_events_after);
  st.bind_int64(1, seq);
  st.bind_int64(2, static_cast<std::int64_t>(max_events));
  std::vector<queued_event> out;
  std::size_t bytes = 0;
  while (st.step()) {
    auto body = st.column_text(1);
    if (!out.empty() && (bytes >= max_bytes || body.size() > max_bytes - bytes)) {
      break;
    }
    bytes += body.size();
    out.emplace_back(st.column_int64(0), std::move(body));
  }
  st.reset();
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> event_queue::sizes_after(
    std::int64_t seq, std::size_t max_events) {
  auto& st = store_.database().cached(sql::read_event_sizes_after);
  st.bind_int64(1, seq);
  st.bind_int64(2, static_cast<std::int64_t>(max_events));
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  while (st.step()) {
    out.emplace_back(st.column_int64(0), st.column_int64(1));
  }
  st.reset();
  return out;
}

queue_totals event_queue::totals() {
  auto& st = store_.database().cached(sql::queue_totals);
  st.step();
  queue_totals t{st.column_int64(0), st.column_int64(1)};
  st.reset();
  return t;
}

queue_span event_queue::span_after(std::int64_t seq) {
  auto& st = store_.database().cached(sql::queue_span_after);
  st.bind_int64(1, seq);
  st.step();
  queue_span s{st.column_int64(0), st.column_int64(1), st.column_int64(2)};
  st.reset();
  return s;
}

std::int64_t event_queue::last_seq() {
  auto& st = store_.database().cached(sql::last_event_seq);
  st.step();
  const auto seq = st.column_int64(0);
  st.reset();
  return seq;
}

std::int64_t event_queue::delete_through(std::int64_t seq) {
  auto& st = store_.database().cached(sql::delete_events_through);
  st.bind_int64(1, seq);
  st.run();
  return store_.database().changes();
}

std::vector<sink_cursor> event_queue::cursors() {
  auto& st = store_.database().cached(sql::load_sink_cursors);
  std::vector<sink_cursor> out;
  while (st.step()) {
    out.push_back(sink_cursor{st.column_text(0), st.column_int64(1), st.column_int64(2),
                              st.column_int64(3), st.column_int64(4), st.column_int64(5)});
  }
  st.reset();
  return out;
}

sink_cursor event_queue::ensure_cursor(std::string_view sink, std::int64_t seq) {
  auto& st = store_.database().cached(sql::create_sink_cursor);
  st.bind_text(1, sink);
  st.bind_int64(2, seq);
  st.bind_int64(3, unix_now());
  st.run();
  for (auto& c : cursors()) {
    if (c.sink == sink) {
      return c;
    }
  }
  return sink_cursor{std::string(sink), seq};
}

void event_queue::advance_cursor(std::string_view sink, std::int64_t seq,
                                 const cursor_move& counts) {
  auto& st = store_.database().cached(sql::advance_sink_cursor);
  st.bind_text(1, sink);
  st.bind_int64(2, seq);
  st.bind_int64(3, counts.delivered);
  st.bind_int64(4, counts.retried);
  st.bind_int64(5, counts.rejected);
  st.bind_int64(6, counts.dropped);
  st.bind_int64(7, unix_now());
  st.run();
}

void event_queue::drop_cursor(std::string_view sink) {
  auto& st = store_.database().cached(sql::drop_sink_cursor);
  st.bind_text(1, sink);
  st.run();
}

}  // namespace qsanfwd

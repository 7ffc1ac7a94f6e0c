#include "agent/store/event_queue.hpp"

#include <sqlite3.h>

#include "agent/store/sql.hpp"

namespace qsanfwd {

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
  auto& st = store_.database().cached(sql::read_events_after);
  st.bind_int64(1, seq);
  st.bind_int64(2, static_cast<std::int64_t>(max_events));
  std::vector<queued_event> out;
  while (st.step()) {
    out.push_back(queued_event{st.column_int64(0), st.column_text(1)});
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

std::int64_t event_queue::last_seq() {
  auto& st = store_.database().cached(sql::last_event_seq);
  st.step();
  const auto seq = st.column_int64(0);
  st.reset();
  return seq;
}

}  // namespace qsanfwd

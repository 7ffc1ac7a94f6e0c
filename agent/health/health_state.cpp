#include "agent/health/health_state.hpp"

#include "agent/store/sql.hpp"

namespace qsanfwd::health {

std::optional<health_state::saved> health_state::load() {
  auto& db = store_.database();
  auto& poll = db.cached(sql::load_health_poll);
  poll.bind_text(1, device_);
  const bool polled = poll.step();
  const auto saves = polled ? poll.column_int64(0) : 0;
  poll.reset();
  if (!polled) {
    return std::nullopt;
  }
  saved out{.readings = {}, .saves = saves};
  auto& rows = db.cached(sql::load_health_readings);
  rows.bind_text(1, device_);
  while (rows.step()) {
    out.readings.emplace(key{rows.column_text(0), rows.column_text(1), rows.column_text(2)},
                         reading_from_json(rows.column_text(3)));
  }
  rows.reset();
  return out;
}

void health_state::save(const snapshot& s, std::int64_t polled_at) {
  auto& db = store_.database();
  auto& clear = db.cached(sql::clear_health_readings);
  clear.bind_text(1, device_);
  clear.run();
  auto& insert = db.cached(sql::insert_health_reading);
  for (const auto& [k, r] : s) {
    insert.bind_text(1, device_);
    insert.bind_text(2, k.component);
    insert.bind_text(3, k.component_id);
    insert.bind_text(4, k.attribute);
    insert.bind_text(5, to_json(r));
    insert.run();
    insert.reset();
  }
  auto& poll = db.cached(sql::save_health_poll);
  poll.bind_text(1, device_);
  poll.bind_int64(2, polled_at);
  poll.run();
}

}  // namespace qsanfwd::health

#include "agent/store/device_activity.hpp"

#include "agent/store/sql.hpp"

namespace qsanfwd {

void record_poll_success(state_store& store, std::string_view device, std::string_view activity,
                         std::int64_t at) {
  auto& st = store.database().cached(sql::record_activity_success);
  st.bind_text(1, device);
  st.bind_text(2, activity);
  st.bind_int64(3, at);
  st.run();
}

void record_poll_failure(state_store& store, std::string_view device, std::string_view activity,
                         std::int64_t at, std::string_view error) {
  auto& st = store.database().cached(sql::record_activity_failure);
  st.bind_text(1, device);
  st.bind_text(2, activity);
  st.bind_int64(3, at);
  st.bind_text(4, error);
  st.run();
}

void record_poll_count(state_store& store, std::string_view device, std::string_view activity,
                       std::int64_t at, std::int64_t count, std::string_view note) {
  auto& st = store.database().cached(sql::record_activity_count);
  st.bind_text(1, device);
  st.bind_text(2, activity);
  st.bind_int64(3, at);
  st.bind_text(4, note);
  st.bind_int64(5, count);
  st.run();
}

std::vector<device_activity> load_device_activity(state_store& store) {
  std::vector<device_activity> out;
  auto st = store.database().prepare(sql::load_activity);
  while (st.step()) {
    device_activity a;
    a.device = st.column_text(0);
    a.activity = st.column_text(1);
    a.last_success_at = st.column_optional_int64(2);
    a.last_failure_at = st.column_optional_int64(3);
    a.last_error = st.column_is_null(4) ? "" : st.column_text(4);
    a.failures = st.column_int64(5);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<checkpoint_view> load_checkpoints(state_store& store) {
  std::vector<checkpoint_view> out;
  auto st = store.database().prepare(sql::load_all_checkpoints);
  while (st.step()) {
    out.push_back({st.column_text(0), st.column_int64(1), st.column_int64(2)});
  }
  return out;
}

}  // namespace qsanfwd

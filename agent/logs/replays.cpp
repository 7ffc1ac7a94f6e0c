#include "agent/logs/replays.hpp"

#include "agent/logs/log_state.hpp"
#include "agent/store/sql.hpp"

namespace qsanfwd::logs {

replay replay_book::add(const std::string& device, const std::string& sink, std::int64_t from,
                        std::int64_t to, std::int64_t now) {
  replay r;
  store_.write(
      [&] {
        auto& st = store_.database().cached(sql::add_replay);
        st.bind_text(1, device);
        st.bind_text(2, sink);
        st.bind_int64(3, from);
        st.bind_int64(4, to);
        st.bind_int64(5, now);
        st.run();
        st.reset();
        r.id = store_.database().last_insert_rowid();
        return 0;
      },
      sqlite::durability::deferred);
  r.device = device;
  r.sink = sink;
  r.from = from;
  r.to = to;
  r.asked_at = now;
  r.state = "running";
  return r;
}

std::vector<replay> replay_book::all() {
  std::vector<replay> out;
  auto& st = store_.database().cached(sql::load_replays);
  while (st.step()) {
    replay r;
    r.id = st.column_int64(0);
    r.device = st.column_text(1);
    r.sink = st.column_text(2);
    r.from = st.column_int64(3);
    r.to = st.column_int64(4);
    r.asked_at = st.column_int64(5);
    r.state = st.column_text(6);
    r.queued = st.column_int64(7);
    r.reached = st.column_optional_int64(8);
    r.finished_at = st.column_optional_int64(9);
    r.last_error = st.column_is_null(10) ? "" : st.column_text(10);
    out.push_back(std::move(r));
  }
  st.reset();
  return out;
}

std::vector<replay> replay_book::running() {
  auto out = all();
  std::erase_if(out, [](const replay& r) { return r.state != "running"; });
  return out;
}

void replay_book::count_page(state_store& store, std::int64_t id, std::int64_t queued,
                             std::int64_t reached) {
  auto& st = store.database().cached(sql::count_replay_page);
  st.bind_int64(1, id);
  st.bind_int64(2, queued);
  st.bind_int64(3, reached);
  st.run();
  st.reset();
}

void replay_book::note_error(std::int64_t id, const std::string& why) {
  store_.write(
      [&] {
        auto& st = store_.database().cached(sql::note_replay_error);
        st.bind_int64(1, id);
        st.bind_text(2, why);
        st.run();
        st.reset();
        return 0;
      },
      sqlite::durability::deferred);
}

std::int64_t replay_book::finish(const replay& r, std::int64_t now, const std::string& why) {
  return store_.write(
      [&] {
        auto& st = store_.database().cached(sql::end_replay);
        st.bind_int64(1, r.id);
        st.bind_text(2, why.empty() ? "done" : "failed");
        st.bind_int64(3, now);
        if (why.empty()) {
          st.bind_null(4);
        } else {
          st.bind_text(4, why);
        }
        st.run();
        st.reset();
        log_state(store_, r.state_key()).erase();
        auto& queued = store_.database().cached(sql::replay_queued);
        queued.bind_int64(1, r.id);
        queued.step();
        const auto lines = queued.column_int64(0);
        queued.reset();
        auto& forget = store_.database().cached(sql::forget_old_replays);
        forget.run();
        forget.reset();
        return lines;
      },
      sqlite::durability::deferred);
}

}  // namespace qsanfwd::logs

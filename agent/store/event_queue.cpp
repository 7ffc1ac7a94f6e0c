#include "agent/store/event_queue.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "agent/core/time.hpp"
#include "agent/store/sql.hpp"

namespace qsanfwd {

namespace {

/// One stored chunk's sizes: events first..last, `bytes` of bodies in all (unpacked), `ends` the
/// end offset of each event but the last (4-byte little-endian), and whether the bodies are
/// stored packed (chunk_codec).
struct chunk_sizes {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::int64_t bytes = 0;
  std::vector<std::byte> ends;
  bool packed = false;
  std::string sink;

  std::size_t count() const { return static_cast<std::size_t>(last - first + 1); }
  /// Where event `i` (0 for the first) ends in the bodies.
  std::size_t end_of(std::size_t i) const {
    if (i + 1 == count()) {
      return static_cast<std::size_t>(bytes);
    }
    std::uint32_t v = 0;
    for (std::size_t b = 4; b-- > 0;) {
      v = (v << 8) | std::to_integer<std::uint32_t>(ends[4 * i + b]);
    }
    return v;
  }
  std::size_t begin_of(std::size_t i) const { return i == 0 ? 0 : end_of(i - 1); }
  /// The index of the first event after `seq`.
  std::size_t start_after(std::int64_t seq) const {
    return seq < first ? 0 : static_cast<std::size_t>(seq - first + 1);
  }
};

chunk_sizes read_sizes(const sqlite::statement& st) {
  return chunk_sizes{st.column_int64(0), st.column_int64(1), st.column_int64(2), st.column_blob(3),
                     st.column_int64(4) != 0, st.column_is_null(5) ? "" : st.column_text(5)};
}

void put_end(std::vector<std::byte>& ends, std::size_t end) {
  if (end > UINT32_MAX) {
    throw std::length_error("an event of more than 4 GiB cannot be queued");
  }
  auto v = static_cast<std::uint32_t>(end);
  for (int b = 0; b < 4; ++b) {
    ends.push_back(static_cast<std::byte>(v & 0xffU));
    v >>= 8;
  }
}

/// Leaves a statement ready for its next use however the reading ends: a statement left on a
/// row would keep its read snapshot open.
class reset_after {
 public:
  explicit reset_after(sqlite::statement& st) : st_(st) {}
  ~reset_after() { st_.reset(); }
  reset_after(const reset_after&) = delete;
  reset_after& operator=(const reset_after&) = delete;

 private:
  sqlite::statement& st_;
};

/// A read transaction around reads of several statements, unless the caller has a transaction
/// open already: with WAL, each statement alone would see the latest commit of any connection.
class read_snapshot {
 public:
  explicit read_snapshot(sqlite::database& db) : db_(db), own_(!db.in_transaction()) {
    if (own_) {
      db_.cached(sql::begin_read).run();
    }
  }
  ~read_snapshot() {
    if (own_ && db_.in_transaction()) {
      try {
        db_.cached(sql::commit).run();
      } catch (const store_error&) {
        // Ending a read cannot lose anything; the next BEGIN reports a connection gone bad.
      }
    }
  }
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;

 private:
  sqlite::database& db_;
  bool own_;
};

}  // namespace

/// Reads ranges of chunks' bodies. A plain chunk is read in place, through SQLite's incremental
/// blob I/O: a batch reads only the pages of the events it takes, and straight into each
/// event's string. A packed chunk is read whole and unpacked into the queue's cache.
class event_queue::body_reader {
 public:
  body_reader(sqlite::database& db, chunk_codec& codec, unpacked_chunk& unpacked)
      : db_(db), codec_(codec), unpacked_(unpacked) {}
  ~body_reader() { sqlite3_blob_close(blob_); }
  body_reader(const body_reader&) = delete;
  body_reader& operator=(const body_reader&) = delete;

  /// Moves to the chunk ending at seq `last`, whose bodies are `bytes` long unpacked.
  void open(std::int64_t last, bool packed, std::size_t bytes) {
    packed_ = packed;
    if (packed && unpacked_.last == last) {
      return;
    }
    const int rc = blob_ == nullptr ? sqlite3_blob_open(db_.handle(), "main", "event_chunks",
                                                        "bodies", last, 0, &blob_)
                                    : sqlite3_blob_reopen(blob_, last);
    if (rc != SQLITE_OK) {
      db_.fail(rc, "cannot read queued events");
    }
    if (packed) {
      unpack(last, bytes);
    }
  }

  void read(std::size_t begin, std::size_t size, std::string& out) {
    if (packed_) {
      out.assign(unpacked_.plain, begin, size);
      return;
    }
    out.resize(size);
    read_blob(out.data(), size, begin);
  }

 private:
  void read_blob(char* to, std::size_t size, std::size_t begin) {
    const int rc = sqlite3_blob_read(blob_, to, static_cast<int>(size), static_cast<int>(begin));
    if (rc != SQLITE_OK) {
      db_.fail(rc, "cannot read queued events");
    }
  }

  void unpack(std::int64_t last, std::size_t bytes) {
    unpacked_.packed.resize(static_cast<std::size_t>(sqlite3_blob_bytes(blob_)));
    read_blob(unpacked_.packed.data(), unpacked_.packed.size(), 0);
    unpacked_.last = 0;
    try {
      codec_.unpack(unpacked_.packed, bytes, unpacked_.plain);
    } catch (const std::runtime_error& e) {
      throw store_error(
          "the queued events up to seq " + std::to_string(last) + " are damaged: " + e.what(),
          db_.file());
    }
    unpacked_.last = last;
  }

  sqlite::database& db_;
  chunk_codec& codec_;
  unpacked_chunk& unpacked_;
  sqlite3_blob* blob_ = nullptr;
  bool packed_ = false;
};

event_queue::seqs event_queue::load_seqs() {
  auto& st = store_.database().cached(sql::load_event_seqs);
  reset_after done(st);
  if (!st.step()) {
    return seqs{};
  }
  return seqs{st.column_int64(0), st.column_int64(1)};
}

void event_queue::save_seqs(const seqs& s) {
  auto& st = store_.database().cached(sql::save_event_seqs);
  st.bind_int64(1, s.handed_out);
  st.bind_int64(2, s.deleted_through);
  st.run();
}

encoded_events event_queue::encode(std::span<const event> events) {
  encoded_events out;
  // Kept between pages: a fresh megabyte per page costs page faults on every append.
  auto& bodies = chunk_bodies_;
  std::size_t i = 0;
  while (i < events.size()) {
    auto& chunk = out.chunks.emplace_back();
    bodies.clear();
    for (; i < events.size() && chunk.events < max_chunk_events && bodies.size() < max_chunk_bytes;
         ++i, ++chunk.events) {
      if (chunk.events > 0) {
        put_end(chunk.ends, bodies.size());
      }
      append_json(bodies, events[i]);
    }
    chunk.bytes = bodies.size();
    chunk.packed = codec_.pack(bodies, chunk.stored);
    if (!chunk.packed) {
      chunk.stored = bodies;
    }
  }
  return out;
}

std::int64_t event_queue::insert_chunks(const encoded_events& events) {
  auto s = load_seqs();
  const auto first_seq = s.handed_out + 1;
  auto& st = store_.database().cached(sql::append_event_chunk);
  for (const auto& chunk : events.chunks) {
    const auto chunk_first = s.handed_out + 1;
    s.handed_out += static_cast<std::int64_t>(chunk.events);
    st.bind_int64(1, s.handed_out);
    st.bind_int64(2, chunk_first);
    st.bind_int64(3, static_cast<std::int64_t>(chunk.bytes));
    // A chunk of one has no ends; an empty span with no data would bind NULL, not x''.
    static constexpr std::byte none{};
    st.bind_blob(4, chunk.ends.empty() ? std::span<const std::byte>(&none, 0) : chunk.ends);
    if (chunk.packed) {
      st.bind_blob_in_place(5, chunk.stored);
    } else {
      st.bind_text_in_place(5, chunk.stored);
    }
    st.run();
    st.reset();
    if (!events.sink.empty()) {
      auto& mark = store_.database().cached(sql::mark_event_chunk_sink);
      reset_after done(mark);
      mark.bind_int64(1, s.handed_out);
      mark.bind_text(2, events.sink);
      mark.run();
    }
  }
  save_seqs(s);
  return first_seq;
}

std::int64_t event_queue::append(const event& e) {
  return append(std::span<const event>(&e, 1));
}

std::int64_t event_queue::append(std::span<const event> events) {
  return append(encode(events));
}

std::int64_t event_queue::append(const encoded_events& events) {
  if (events.chunks.empty()) {
    return 0;
  }
  return store_.write([&] { return insert_chunks(events); }, sqlite::durability::deferred);
}

std::vector<queued_event> event_queue::read_after(std::int64_t seq, std::size_t max_events) {
  return read_batch(seq, max_events, static_cast<std::size_t>(-1));
}

void event_queue::for_each_after(std::int64_t seq,
                                 const std::function<bool(const stored_slot&)>& visit) {
  read_snapshot snapshot(store_.database());
  const auto after = std::max(seq, load_seqs().deleted_through);
  auto& st = store_.database().cached(sql::read_event_chunk_sizes_after);
  reset_after done(st);
  st.bind_int64(1, after);
  while (st.step()) {
    const auto chunk = read_sizes(st);
    for (auto i = chunk.start_after(after); i < chunk.count(); ++i) {
      const auto begin = chunk.begin_of(i);
      const stored_slot slot{chunk.first + static_cast<std::int64_t>(i),
                             chunk.last,
                             begin,
                             chunk.end_of(i) - begin,
                             static_cast<std::size_t>(chunk.bytes),
                             chunk.packed,
                             chunk.sink};
      if (!visit(slot)) {
        return;
      }
    }
  }
}

std::vector<queued_event> event_queue::read_batch(std::int64_t seq, std::size_t max_events,
                                                  std::size_t max_bytes, std::int64_t through,
                                                  std::vector<queued_event> spare) {
  if (max_events == 0) {
    return {};
  }
  // Each event read into a string of the spare batch: a string allocated per event, and 500
  // freed at once a batch later, were ~400 instructions an event under callgrind.
  auto out = std::move(spare);
  std::size_t n = 0;
  body_reader bodies(store_.database(), codec_, unpacked_);
  std::int64_t open_chunk = 0;
  std::size_t bytes = 0;
  for_each_after(seq, [&](const stored_slot& e) {
    if (e.seq > through || (n > 0 && (bytes >= max_bytes || e.size > max_bytes - bytes))) {
      return false;
    }
    if (e.chunk_last != open_chunk) {
      bodies.open(e.chunk_last, e.packed, e.chunk_bytes);
      open_chunk = e.chunk_last;
    }
    bytes += e.size;
    if (n == out.size()) {
      out.emplace_back();
    }
    auto& read = out[n++];
    if (read.body.capacity() > max_chunk_bytes) {
      read.body = {};  // a huge event's room is not kept for the next batch
    }
    read.reuse(e.seq);
    bodies.read(e.begin, e.size, read.body);
    if (!e.sink.empty()) {
      read.only_for = e.sink;
    }
    return n < max_events;
  });
  out.resize(n);
  if (unpacked_.plain.capacity() > 2 * max_chunk_bytes) {
    // A chunk of one huge event: not worth its memory between batches.
    unpacked_ = {};
  }
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> event_queue::sizes_after(
    std::int64_t seq, std::size_t max_events) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  if (max_events == 0) {
    return out;
  }
  for_each_after(seq, [&](const stored_slot& e) {
    out.emplace_back(e.seq, static_cast<std::int64_t>(e.size));
    return out.size() < max_events;
  });
  return out;
}

queue_span event_queue::span_from(std::int64_t seq) {
  queue_span s{0, 0, seq};
  {
    auto& st = store_.database().cached(sql::event_chunks_totals_after);
    reset_after done(st);
    st.bind_int64(1, seq);
    st.step();
    s.events = st.column_int64(0);
    s.bytes = st.column_int64(1);
    if (s.events > 0) {
      s.last_seq = st.column_int64(2);
    }
  }
  if (s.events == 0) {
    return s;
  }
  // The first chunk may hold events at or before `seq`, which do not count.
  auto& st = store_.database().cached(sql::read_event_chunk_sizes_after);
  reset_after done(st);
  st.bind_int64(1, seq);
  st.step();
  const auto chunk = read_sizes(st);
  const auto skipped = chunk.start_after(seq);
  if (skipped > 0) {
    s.events -= static_cast<std::int64_t>(skipped);
    s.bytes -= static_cast<std::int64_t>(chunk.end_of(skipped - 1));
  }
  return s;
}

queue_totals event_queue::totals() {
  read_snapshot snapshot(store_.database());
  const auto s = span_from(load_seqs().deleted_through);
  return queue_totals{s.events, s.bytes};
}

queue_span event_queue::span_after(std::int64_t seq) {
  read_snapshot snapshot(store_.database());
  auto s = span_from(std::max(seq, load_seqs().deleted_through));
  if (s.events == 0) {
    s.last_seq = seq;
  }
  return s;
}

std::int64_t event_queue::last_seq() {
  return load_seqs().handed_out;
}

std::int64_t event_queue::delete_through(std::int64_t seq) {
  return store_.write([&] { return delete_chunks_through(seq); }, sqlite::durability::deferred);
}

std::int64_t event_queue::delete_chunks_through(std::int64_t seq) {
  auto s = load_seqs();
  // Never past what was handed out, or events appended later would count as deleted.
  const auto through = std::min(seq, s.handed_out);
  if (through <= s.deleted_through) {
    return 0;
  }
  auto& db = store_.database();
  std::int64_t deleted = 0;
  {
    auto& st = db.cached(sql::count_events_in_chunks_through);
    reset_after done(st);
    st.bind_int64(1, s.deleted_through);
    st.bind_int64(2, through);
    st.step();
    deleted = st.column_int64(0);
  }
  {
    // The chunk that `through` splits, if any, loses its events up to `through`.
    auto& st = db.cached(sql::first_event_chunk_after);
    reset_after done(st);
    st.bind_int64(1, through);
    if (st.step()) {
      const auto first = st.column_int64(0);
      if (first <= through) {
        deleted += through - std::max(first - 1, s.deleted_through);
      }
    }
  }
  for (const auto query : {sql::delete_event_chunks_through, sql::delete_event_chunk_sinks_through}) {
    auto& st = db.cached(query);
    reset_after done(st);
    st.bind_int64(1, through);
    st.run();
  }
  s.deleted_through = through;
  save_seqs(s);
  return deleted;
}

std::vector<sink_cursor> event_queue::cursors() {
  auto& st = store_.database().cached(sql::load_sink_cursors);
  std::vector<sink_cursor> out;
  while (st.step()) {
    out.push_back(sink_cursor{st.column_text(0), st.column_int64(1), st.column_int64(2),
                              st.column_int64(3), st.column_int64(4), st.column_int64(5),
                              st.column_int64(6), st.column_is_null(7) ? "" : st.column_text(7),
                              st.column_optional_int64(8),
                              st.column_optional_int64(9)});
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
  sink_cursor fresh;
  fresh.sink = sink;
  fresh.seq = seq;
  return fresh;
}

void event_queue::rewind_cursor(std::string_view sink, std::int64_t seq) {
  auto& st = store_.database().cached(sql::rewind_sink_cursor);
  st.bind_text(1, sink);
  st.bind_int64(2, seq);
  st.bind_int64(3, unix_now());
  st.run();
}

void event_queue::note_sink_error(std::string_view sink, std::string_view why, std::int64_t now,
                                  bool failing) {
  auto& st = store_.database().cached(sql::note_sink_error);
  st.bind_text(1, sink);
  st.bind_text(2, why);
  st.bind_int64(3, now);
  st.bind_int64(4, failing ? 1 : 0);
  st.run();
}

void event_queue::note_sink_recovered(std::string_view sink) {
  auto& st = store_.database().cached(sql::note_sink_recovered);
  st.bind_text(1, sink);
  st.run();
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
  st.bind_int64(8, counts.filtered);
  st.run();
}

void event_queue::drop_cursor(std::string_view sink) {
  auto& st = store_.database().cached(sql::drop_sink_cursor);
  st.bind_text(1, sink);
  st.run();
}

}  // namespace qsanfwd

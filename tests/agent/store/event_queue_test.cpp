#include "agent/store/event_queue.hpp"

#include <gtest/gtest.h>
#include <zstd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <span>
#include <string>
#include <vector>

#include "agent/store/sql.hpp"
#include "agent/store/sqlite.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd {
namespace {

event make_event(const std::string& message) {
  event e;
  e.id = "id-" + message;
  e.device = "array-01";
  e.timestamp = 1795915304;
  e.type = "info";
  e.message = message;
  return e;
}

TEST(event_queue, appends_in_order_and_reads_after_a_cursor) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  const auto a = q.append(make_event("a"));
  const auto b = q.append(make_event("b"));
  const auto c = q.append(make_event("c"));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  const auto after_a = q.read_after(a, 10);
  ASSERT_EQ(after_a.size(), 2U);
  EXPECT_EQ(event_from_json(after_a[0].body).message, "b");
  EXPECT_EQ(after_a[1].seq, c);
  EXPECT_EQ(q.read_after(0, 1).size(), 1U);
  const auto totals = q.totals();
  EXPECT_EQ(totals.events, 3);
  EXPECT_EQ(totals.bytes, static_cast<std::int64_t>(to_json(make_event("a")).size() * 3));
}

TEST(event_queue, events_queued_for_one_sink_say_so_until_deleted) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  q.append(make_event("live 1"));
  std::vector<event> replayed;
  for (std::size_t i = 0; i < event_queue::max_chunk_events + 5; ++i) {
    replayed.push_back(make_event("replayed " + std::to_string(i)));
  }
  auto encoded = q.encode(replayed);
  encoded.sink = "archive";
  ASSERT_EQ(encoded.chunks.size(), 2u);
  const auto first = q.append(encoded);
  q.append(make_event("live 2"));
  const auto read = q.read_after(0, 5000);
  ASSERT_EQ(read.size(), replayed.size() + 2);
  EXPECT_EQ(read.front().only_for, "");
  EXPECT_EQ(read.back().only_for, "");
  for (std::size_t i = 1; i + 1 < read.size(); ++i) {
    ASSERT_EQ(read[i].only_for, "archive") << i;
  }
  // Read from the middle of a chunk for one sink.
  EXPECT_EQ(q.read_after(first + 10, 1).front().only_for, "archive");
  q.delete_through(q.last_seq());
  auto count = store->database().prepare("SELECT count(*) FROM event_chunk_sinks");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int64(0), 0) << "a deleted chunk's sink goes with it";
}

TEST(event_queue, append_joins_the_callers_transaction) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  {
    auto tx = store->begin();
    q.append(make_event("rolled back"));
  }
  EXPECT_EQ(q.totals().events, 0);
  {
    auto tx = store->begin();
    q.append(make_event("kept"));
    tx.commit();
  }
  EXPECT_EQ(q.totals().events, 1);
}

TEST(event_queue, seq_is_never_reused_and_survives_reopen) {
  test::temp_dir dir;
  std::int64_t last = 0;
  {
    auto store = state_store::open(dir.path());
    event_queue q(*store);
    q.append(make_event("a"));
    last = q.append(make_event("b"));
    store->database().exec("DELETE FROM event_chunks");
  }
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  EXPECT_EQ(q.last_seq(), last);
  EXPECT_GT(q.append(make_event("c")), last);
}

TEST(event_queue, a_batch_read_into_a_spare_one_keeps_nothing_of_it) {
  // The spare batch (a lane's last one): more events than will be read, one parsed, one for a
  // single sink, one with a body longer than any read now. None of it may show through.
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  for (const auto* m : {"a", "b"}) {
    q.append(make_event(m));
  }
  auto encoded = q.encode(std::vector<event>{make_event("replayed")});
  encoded.sink = "archive";
  q.append(encoded);
  std::vector<queued_event> spare;
  spare.emplace_back(7, to_json(make_event("old, parsed")));
  ASSERT_EQ(spare.back().fields().message, "old, parsed");
  spare.emplace_back(8, std::string(4096, 'x'));
  spare.back().only_for = "elsewhere";
  spare.emplace_back(9, "{}");
  spare.emplace_back(10, "{}");

  const auto batch = q.read_batch(0, 3, 1 << 20, 3, std::move(spare));
  ASSERT_EQ(batch.size(), 3U);
  const char* messages[] = {"a", "b", "replayed"};
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(batch[i].body, to_json(make_event(messages[i]))) << i;
    EXPECT_EQ(batch[i].fields().message, messages[i]) << i;
  }
  EXPECT_EQ(batch[0].only_for, "");
  EXPECT_EQ(batch[1].only_for, "") << "the spare event's sink is not the new one's";
  EXPECT_EQ(batch[2].only_for, "archive");
  // A smaller spare grows to the batch.
  EXPECT_EQ(q.read_batch(0, 10, 1 << 20, 3, std::vector<queued_event>(1)).size(), 3U);
}

TEST(event_queue, read_batch_stops_at_max_bytes_but_always_takes_the_first_event) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  for (const auto* m : {"a", "b", "c"}) {
    q.append(make_event(m));
  }
  const auto one = to_json(make_event("a")).size();
  EXPECT_EQ(q.read_batch(0, 10, 2 * one).size(), 2U);
  EXPECT_EQ(q.read_batch(0, 10, 1).size(), 1U);
  EXPECT_EQ(q.read_batch(0, 2, 100 * one).size(), 2U);
  const auto batch = q.read_batch(1, 10, 100 * one);
  ASSERT_EQ(batch.size(), 2U);
  EXPECT_EQ(batch[0].fields().message, "b");
  const auto span = q.span_after(1);
  EXPECT_EQ(span.events, 2);
  EXPECT_EQ(span.bytes, static_cast<std::int64_t>(2 * one));
  EXPECT_EQ(span.last_seq, 3);
  EXPECT_EQ(q.span_after(3).last_seq, 3);
  EXPECT_EQ(
      q.sizes_after(2, 10),
      (std::vector<std::pair<std::int64_t, std::int64_t>>{{3, static_cast<std::int64_t>(one)}}));
  EXPECT_EQ(q.delete_through(2), 2);
  EXPECT_EQ(q.totals().events, 1);
}

TEST(event_queue, sink_cursors_are_created_once_move_forward_only_and_count) {
  test::temp_dir dir;
  {
    auto store = state_store::open(dir.path());
    event_queue q(*store);
    EXPECT_EQ(q.ensure_cursor("archive", 5).seq, 5);
    EXPECT_EQ(q.ensure_cursor("archive", 0).seq, 5);  // exists already: unchanged
    q.ensure_cursor("siem", 0);
    q.advance_cursor("archive", 9, cursor_move{3, 2, 1, 0});
    q.advance_cursor("archive", 7, cursor_move{0, 0, 0, 4});
    q.drop_cursor("siem");
  }
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  const auto cursors = q.cursors();
  ASSERT_EQ(cursors.size(), 1U);
  EXPECT_EQ(cursors[0].sink, "archive");
  EXPECT_EQ(cursors[0].seq, 9);
  EXPECT_EQ(cursors[0].delivered, 3);
  EXPECT_EQ(cursors[0].retried, 2);
  EXPECT_EQ(cursors[0].rejected, 1);
  EXPECT_EQ(cursors[0].dropped, 4);
}

std::vector<event> numbered_events(std::size_t n) {
  std::vector<event> out;
  for (std::size_t i = 0; i < n; ++i) {
    // Sizes vary, so byte counts catch an offset off by one event.
    out.push_back(make_event("m" + std::to_string(i) + std::string(i % 7, 'x')));
  }
  return out;
}

std::int64_t json_bytes(const std::vector<event>& events, std::size_t from, std::size_t to) {
  std::int64_t bytes = 0;
  for (auto i = from; i < to; ++i) {
    bytes += static_cast<std::int64_t>(to_json(events[i]).size());
  }
  return bytes;
}

TEST(event_queue, appending_many_gives_consecutive_seqs_read_back_one_by_one) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  EXPECT_EQ(q.append(std::span<const event>()), 0);
  const auto single = q.append(make_event("single"));
  // More than one chunk holds: the reads must cross chunk boundaries.
  const auto events = numbered_events(2 * event_queue::max_chunk_events + 5);
  const auto first = q.append(events);
  EXPECT_EQ(first, single + 1);
  EXPECT_EQ(q.last_seq(), first + static_cast<std::int64_t>(events.size()) - 1);
  const auto all = q.read_after(single, events.size() + 10);
  ASSERT_EQ(all.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(all[i].seq, first + static_cast<std::int64_t>(i));
    ASSERT_EQ(all[i].body, to_json(events[i]));
  }
  const auto sizes = q.sizes_after(first + 997, 5);
  ASSERT_EQ(sizes.size(), 5U);
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    EXPECT_EQ(sizes[k].first, first + 998 + static_cast<std::int64_t>(k));
    EXPECT_EQ(sizes[k].second, json_bytes(events, 998 + k, 999 + k));
  }
  const auto batch = q.read_batch(first + 997, 500, 1 << 20);
  ASSERT_EQ(batch.size(), 500U);
  EXPECT_EQ(batch.front().seq, first + 998);
  EXPECT_EQ(batch[2].body, to_json(events[1000]));
  const auto span = q.span_after(first + 1500);
  EXPECT_EQ(span.events, static_cast<std::int64_t>(events.size()) - 1501);
  EXPECT_EQ(span.bytes, json_bytes(events, 1501, events.size()));
  EXPECT_EQ(span.last_seq, q.last_seq());
}

struct stored_chunk {
  std::string type;  ///< typeof(bodies)
  std::int64_t stored = 0;
  std::int64_t bytes = 0;
};

std::vector<stored_chunk> stored_chunks(state_store& store) {
  auto& st = store.database().cached(
      "SELECT typeof(bodies), length(CAST(bodies AS BLOB)), bytes FROM event_chunks "
      "ORDER BY last_seq");
  std::vector<stored_chunk> out;
  while (st.step()) {
    out.push_back({st.column_text(0), st.column_int64(1), st.column_int64(2)});
  }
  st.reset();
  return out;
}

TEST(event_queue, a_page_is_stored_packed_and_a_few_events_as_they_are) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  const auto page = numbered_events(event_queue::max_chunk_events);
  const auto few = numbered_events(3);
  q.append(page);
  q.append(few);
  const auto chunks = stored_chunks(*store);
  ASSERT_EQ(chunks.size(), 2U);
  EXPECT_EQ(chunks[0].type, "blob");
  EXPECT_EQ(chunks[0].bytes, json_bytes(page, 0, page.size()));
  EXPECT_LT(chunks[0].stored * 4, chunks[0].bytes);
  EXPECT_EQ(chunks[1].type, "text");
  EXPECT_EQ(chunks[1].stored, chunks[1].bytes);
  // Read back across the two kinds, from the middle of the packed one, by a second connection
  // (nothing cached) and by the appending one.
  auto other = store->another_connection();
  event_queue reader(*other);
  for (auto* from : {&q, &reader}) {
    const auto tail = from->read_after(990, 20);
    ASSERT_EQ(tail.size(), 13U);
    for (std::size_t i = 0; i < 10; ++i) {
      EXPECT_EQ(tail[i].body, to_json(page[990 + i]));
    }
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(tail[10 + i].body, to_json(few[i]));
    }
  }
}

TEST(event_queue, events_encoded_while_another_connection_writes_are_appended_as_encoded) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  const auto page = numbered_events(event_queue::max_chunk_events + 5);
  auto other = store->another_connection();
  encoded_events encoded;
  {
    // Declared first, destroyed last: a job stuck on the writers' gate ends once it is free.
    std::future<encoded_events> job;
    auto tx = other->begin();
    job = std::async(std::launch::async, [&] { return q.encode(page); });
    ASSERT_EQ(job.wait_for(std::chrono::seconds(20)), std::future_status::ready)
        << "encode() waited for the writers' gate";
    encoded = job.get();
  }
  EXPECT_EQ(q.totals().events, 0);
  ASSERT_EQ(encoded.chunks.size(), 2U);
  EXPECT_EQ(q.append(encoded), 1);
  const auto back = q.read_after(0, page.size() + 1);
  ASSERT_EQ(back.size(), page.size());
  for (std::size_t i = 0; i < page.size(); ++i) {
    EXPECT_EQ(back[i].body, to_json(page[i]));
  }
}

TEST(event_queue, a_damaged_packed_chunk_is_an_error_naming_it_never_wrong_events) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  {
    event_queue q(*store);
    q.append(numbered_events(event_queue::max_chunk_events));
  }
  auto& db = store->database();
  auto& read = db.cached("SELECT bodies FROM event_chunks WHERE last_seq = 1000");
  ASSERT_TRUE(read.step());
  auto packed = read.column_blob(0);
  read.reset();
  // One byte in the middle: the frame stays well formed, its checksum no longer matches.
  packed[packed.size() / 2] ^= std::byte{0x01};
  auto& write = db.cached("UPDATE event_chunks SET bodies = ?1 WHERE last_seq = 1000");
  write.bind_blob(1, packed);
  write.run();
  write.reset();
  event_queue fresh(*store);
  try {
    fresh.read_after(0, 10);
    FAIL() << "a damaged chunk was read";
  } catch (const store_error& e) {
    EXPECT_NE(std::string(e.what()).find("queued events up to seq 1000 are damaged"),
              std::string::npos)
        << e.what();
  }
  // Its sizes are intact, so counting still works.
  EXPECT_EQ(fresh.totals().events, 1000);
}

// `plain` packed as qsanfwd packed chunks up to 114d097: zstd level 1 with the checksum.
std::string packed_at_level_1(const std::string& plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  const auto size = ZSTD_compress2(cctx, out.data(), out.size(), plain.data(), plain.size());
  ZSTD_freeCCtx(cctx);
  EXPECT_EQ(ZSTD_isError(size), 0U);
  out.resize(size);
  return out;
}

TEST(event_queue, chunks_packed_by_an_earlier_version_are_read_after_an_upgrade) {
  test::temp_dir dir;
  const auto page = numbered_events(event_queue::max_chunk_events);
  {
    auto store = state_store::open(dir.path());
    event_queue q(*store);
    q.append(page);
    std::string plain;
    for (const auto& e : page) {
      plain += to_json(e);
    }
    const auto old = packed_at_level_1(plain);
    auto& write =
        store->database().cached("UPDATE event_chunks SET bodies = ?1 WHERE last_seq = 1000");
    write.bind_blob(1, std::as_bytes(std::span(old.data(), old.size())));
    write.run();
    write.reset();
  }
  // The file as an upgraded agent opens it.
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  const auto back = q.read_after(0, page.size());
  ASSERT_EQ(back.size(), page.size());
  for (std::size_t i = 0; i < page.size(); ++i) {
    ASSERT_EQ(back[i].body, to_json(page[i]));
  }
}

TEST(event_queue, deleting_into_a_chunk_hides_exactly_the_events_deleted) {
  test::temp_dir dir;
  const auto events = numbered_events(10);
  std::int64_t first = 0;
  {
    auto store = state_store::open(dir.path());
    event_queue q(*store);
    first = q.append(events);
    EXPECT_EQ(q.delete_through(first + 3), 4);
    EXPECT_EQ(q.delete_through(first + 2), 0);  // behind what is deleted already
    EXPECT_EQ(q.delete_through(first + 5), 2);
  }
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  EXPECT_EQ(q.totals().events, 4);
  EXPECT_EQ(q.totals().bytes, json_bytes(events, 6, 10));
  // A cursor behind the deletion sees what is left only.
  const auto left = q.read_after(0, 100);
  ASSERT_EQ(left.size(), 4U);
  EXPECT_EQ(left.front().seq, first + 6);
  EXPECT_EQ(left.front().body, to_json(events[6]));
  EXPECT_EQ(q.sizes_after(0, 100).front().first, first + 6);
  const auto span = q.span_after(0);
  EXPECT_EQ(span.events, 4);
  EXPECT_EQ(span.bytes, json_bytes(events, 6, 10));
  EXPECT_EQ(span.last_seq, first + 9);
  EXPECT_EQ(q.span_after(first + 7).events, 2);
  EXPECT_EQ(q.span_after(first + 7).bytes, json_bytes(events, 8, 10));
  // Far past the end: everything goes, and nothing appended later counts as deleted.
  EXPECT_EQ(q.delete_through(first + 1000), 4);
  EXPECT_EQ(q.totals().events, 0);
  EXPECT_EQ(q.span_after(first + 3).last_seq, first + 3);
  const auto next = q.append(make_event("after"));
  EXPECT_EQ(next, first + 10);
  EXPECT_EQ(q.totals().events, 1);
  EXPECT_EQ(q.read_after(0, 10).size(), 1U);
  EXPECT_EQ(q.delete_through(next), 1);
}

TEST(event_queue, delete_through_counts_across_chunks_and_chunks_of_one) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  const auto events = numbered_events(5);
  const auto a = q.append(events);     // a .. a+4
  const auto b = q.append(events[0]);  // a+5
  const auto c = q.append(events);     // a+6 .. a+10
  EXPECT_EQ(b, a + 5);
  EXPECT_EQ(c, a + 6);
  EXPECT_EQ(q.delete_through(a + 1), 2);
  EXPECT_EQ(q.delete_through(c + 2), 7);
  EXPECT_EQ(q.totals().events, 2);
  EXPECT_EQ(q.read_after(a, 10).front().seq, c + 3);
  auto& chunks = store->database().cached("SELECT count(*) FROM event_chunks");
  ASSERT_TRUE(chunks.step());
  EXPECT_EQ(chunks.column_int64(0), 1);  // the split chunk stays until all of it is deleted
  chunks.reset();
}

// A backlog that drains gives its disk back: after each delete the dispatcher hands free pages
// beyond the slack to the file system, and the file shrinks at the checkpoint.
TEST(event_queue, a_drained_backlog_gives_its_disk_back) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  // Messages that pack little: ~35 MiB of queue.
  std::uint64_t x = 88172645463325252ULL;
  const auto noise = [&x] {
    std::string out;
    for (int i = 0; i < 128; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      out += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[x & 63];
    }
    return out;
  };
  std::vector<event> page;
  for (int pages = 0; pages < 120; ++pages) {
    page.clear();
    for (int i = 0; i < 1000; ++i) {
      page.push_back(make_event(noise() + noise() + noise()));
    }
    q.append(page);
  }
  const auto file = dir.path() / "state.db";
  const auto checkpointed_size = [&] {
    store->database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return std::filesystem::file_size(file);
  };
  const auto full = checkpointed_size();
  ASSERT_GT(full, 30U << 20);
  // As the dispatcher deletes: a batch at a time.
  for (std::int64_t seq = 500; seq <= q.last_seq(); seq += 500) {
    q.delete_through(seq);
    store->give_back_free_pages();
  }
  q.delete_through(q.last_seq());
  store->give_back_free_pages();
  EXPECT_EQ(q.totals().events, 0);
  // What stays: the 16 MiB of slack, at most one step (4 MiB) more, and the other tables.
  EXPECT_LT(checkpointed_size(), 21U << 20) << "was " << full;
  // The slack is reused: the same backlog again grows the file by less than it did.
  for (int pages = 0; pages < 20; ++pages) {
    page.clear();
    for (int i = 0; i < 1000; ++i) {
      page.push_back(make_event(noise()));
    }
    q.append(page);
  }
  EXPECT_EQ(q.totals().events, 20000);
  EXPECT_LT(checkpointed_size(), 21U << 20);
}

TEST(event_queue, a_rolled_back_append_hands_its_seqs_out_again) {
  test::temp_dir dir;
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  std::int64_t lost = 0;
  {
    auto tx = store->begin();
    lost = q.append(numbered_events(3));
  }
  EXPECT_EQ(q.last_seq(), 0);
  EXPECT_EQ(q.append(numbered_events(2)), lost);
  EXPECT_EQ(q.totals().events, 2);
}

TEST(event_queue, events_and_cursors_of_a_version_6_database_survive_the_migration) {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.path());
  const auto events = numbered_events(4);
  {
    sqlite::database db(dir / "state.db", sqlite::database::access::read_write);
    for (const auto& m : sql::migrations) {
      if (m.version <= 6) {
        db.exec(m.sql);
      }
    }
    db.exec("PRAGMA user_version = 6");
    auto& insert =
        db.cached("INSERT INTO events (device, kind, body, bytes) VALUES (?1, ?2, ?3, ?4)");
    for (const auto& e : events) {
      const auto body = to_json(e);
      insert.bind_text(1, e.device);
      insert.bind_text(2, "log");
      insert.bind_text(3, body);
      insert.bind_int64(4, static_cast<std::int64_t>(body.size()));
      insert.run();
      insert.reset();
    }
    // Seqs 1..4, then 1 deleted; 5 and 6 were handed out and deleted already.
    db.exec("DELETE FROM events WHERE seq = 1");
    db.exec("UPDATE sqlite_sequence SET seq = 6 WHERE name = 'events'");
    db.exec(
        "INSERT INTO sink_cursors (sink, seq, delivered, updated_at) VALUES ('siem', 2, 2, 0), "
        "('archive', 1, 1, 0)");
  }
  auto store = state_store::open(dir.path());
  event_queue q(*store);
  EXPECT_EQ(q.last_seq(), 6);
  const auto queued = q.read_after(0, 10);
  ASSERT_EQ(queued.size(), 3U);
  for (std::size_t i = 0; i < queued.size(); ++i) {
    EXPECT_EQ(queued[i].seq, static_cast<std::int64_t>(i) + 2);
    EXPECT_EQ(queued[i].body, to_json(events[i + 1]));
  }
  EXPECT_EQ(q.totals().events, 3);
  EXPECT_EQ(q.totals().bytes, json_bytes(events, 1, 4));
  EXPECT_EQ(q.span_after(2).events, 2);
  const auto cursors = q.cursors();
  ASSERT_EQ(cursors.size(), 2U);
  EXPECT_EQ(cursors[0].sink, "archive");
  EXPECT_EQ(cursors[0].seq, 1);
  EXPECT_EQ(cursors[1].seq, 2);
  EXPECT_EQ(q.append(make_event("new")), 7);
  EXPECT_EQ(q.delete_through(2), 1);
  EXPECT_EQ(q.read_after(0, 10).front().seq, 3);
}

}  // namespace
}  // namespace qsanfwd

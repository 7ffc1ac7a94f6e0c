#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/event.hpp"
#include "agent/core/queued_event.hpp"
#include "agent/store/chunk_codec.hpp"
#include "agent/store/state_store.hpp"

namespace qsanfwd {

struct queue_totals {
  std::int64_t events = 0;
  std::int64_t bytes = 0;
};

/// What lies after a seq: how many events, how many bytes, and the last seq (the given seq when
/// nothing follows).
struct queue_span {
  std::int64_t events = 0;
  std::int64_t bytes = 0;
  std::int64_t last_seq = 0;
};

/// A sink's place in the queue and what it has done, as persisted.
struct sink_cursor {
  std::string sink;
  std::int64_t seq = 0;  ///< the last event the sink is done with
  std::int64_t delivered = 0;
  std::int64_t retried = 0;  ///< attempts answered "retry"
  std::int64_t rejected = 0;
  std::int64_t dropped = 0;   ///< skipped by `when_full: drop_oldest`
  std::int64_t filtered = 0;  ///< passed over unsent: the sink's `match`/`exclude` refused them
  std::string last_error;     ///< why the sink last failed or refused events, no secret in it
  std::optional<std::int64_t> last_error_at;  ///< unix seconds
  std::optional<std::int64_t> failing_since;  ///< none: the sink's last attempt delivered
};

/// What one cursor move adds to a sink's counters.
struct cursor_move {
  std::int64_t delivered = 0;
  std::int64_t retried = 0;
  std::int64_t rejected = 0;
  std::int64_t dropped = 0;
  std::int64_t filtered = 0;
};

/// Events encoded and packed as the queue stores them, not yet in it: event_queue::encode()
/// makes them outside any transaction, so that the CPU an append costs (each event's JSON, the
/// packing) is not spent while the writers' gate keeps the other connection's commits waiting.
struct encoded_events {
  struct chunk {
    std::size_t events = 0;
    std::size_t bytes = 0;        ///< of the bodies, unpacked
    std::vector<std::byte> ends;  ///< where each body but the last ends
    std::string stored;           ///< the bodies, packed or as they are
    bool packed = false;
  };
  std::vector<chunk> chunks;
  /// The one sink these events are for (a replay); empty: every sink.
  std::string sink;
};

/// The durable event queue in the state store. Every event is here before any sink sees it;
/// `seq` orders the queue and is never reused, so a sink's cursor stays meaningful.
///
/// Writes other than append() and delete_through() do not open transactions of their own: the
/// dispatcher groups a cursor move with the deletion it allows. Those two join the caller's
/// transaction when one is open.
class event_queue {
 public:
  explicit event_queue(state_store& store) : store_(store) {}

  state_store& store() { return store_; }

  /// Appends `e`; returns its seq. Inside the caller's transaction when one is open (so the
  /// append commits with the caller's other writes, or not at all); in a transaction of its own
  /// otherwise. Appends are meant for durability::deferred commits: the dispatcher syncs the WAL
  /// before any sink sees them.
  std::int64_t append(const event& e);
  /// Appends `events` in order, as append(const event&) does, with consecutive seqs; returns
  /// the first one (0 when `events` is empty). Much cheaper per event than one call each: the
  /// queue stores what one call appends together (in chunks of at most max_chunk_events).
  std::int64_t append(std::span<const event> events);
  /// Encodes `events` for append(const encoded_events&); touches no table.
  encoded_events encode(std::span<const event> events);
  /// Appends what encode() made, as append(std::span<const event>) does.
  std::int64_t append(const encoded_events& events);

  /// The most events one stored chunk holds: a batch read takes a few chunks at most.
  static constexpr std::size_t max_chunk_events = 1000;
  /// A chunk holds no more events once its bodies reach this many bytes.
  static constexpr std::size_t max_chunk_bytes = 1 << 20;

  /// Up to `max_events` events after `seq`, in order.
  std::vector<queued_event> read_after(std::int64_t seq, std::size_t max_events);
  /// A batch after `seq` and up to `through`: up to `max_events` events whose bodies add up to
  /// at most `max_bytes`, except that the first event is always included, however big. The
  /// events of `spare` (a batch done with) are read into, keeping their strings' room.
  std::vector<queued_event> read_batch(
      std::int64_t seq, std::size_t max_events, std::size_t max_bytes,
      std::int64_t through = std::numeric_limits<std::int64_t>::max(),
      std::vector<queued_event> spare = {});
  /// The seq and size of up to `max_events` events after `seq`, in order.
  std::vector<std::pair<std::int64_t, std::int64_t>> sizes_after(std::int64_t seq,
                                                                 std::size_t max_events);

  queue_totals totals();
  /// The events after `seq`.
  queue_span span_after(std::int64_t seq);
  /// The highest seq handed out so far (0 for a queue never written).
  std::int64_t last_seq();
  /// Deletes every event up to and including `seq`; returns how many. (An event is gone at
  /// once for every read; its storage is freed once the rest of its chunk is deleted too, for
  /// reuse, or for state_store::give_back_free_pages to give back.)
  std::int64_t delete_through(std::int64_t seq);

  /// Every sink cursor, by sink name.
  std::vector<sink_cursor> cursors();
  /// Creates the cursor of `sink` at `seq` unless it exists; returns its cursor.
  sink_cursor ensure_cursor(std::string_view sink, std::int64_t seq);
  /// Moves the cursor of `sink` to `seq` (never backwards) and adds `counts` to its counters.
  void advance_cursor(std::string_view sink, std::int64_t seq, const cursor_move& counts);
  void drop_cursor(std::string_view sink);
  /// Moves the cursor of `sink` back to `seq` (a replay), never forward.
  void rewind_cursor(std::string_view sink, std::int64_t seq);
  /// Records why `sink` failed at `now`; `failing` (a retry, not a refusal) starts a failing
  /// stretch unless one is under way.
  void note_sink_error(std::string_view sink, std::string_view why, std::int64_t now,
                       bool failing);
  /// Ends the failing stretch of `sink`: it delivered again.
  void note_sink_recovered(std::string_view sink);

 private:
  struct seqs {
    std::int64_t handed_out = 0;
    std::int64_t deleted_through = 0;
  };
  /// Where one queued event's body is: `size` bytes from `begin` in the chunk ending at
  /// `chunk_last`, whose bodies are `chunk_bytes` long and stored packed or not.
  struct stored_slot {
    std::int64_t seq = 0;
    std::int64_t chunk_last = 0;
    std::size_t begin = 0;
    std::size_t size = 0;
    std::size_t chunk_bytes = 0;
    bool packed = false;
    std::string_view sink;  ///< the chunk's one sink; empty: every sink
  };
  seqs load_seqs();
  void save_seqs(const seqs& s);
  /// Calls `visit` for each event after `seq`, in order and from one snapshot, until it returns
  /// false.
  void for_each_after(std::int64_t seq, const std::function<bool(const stored_slot&)>& visit);
  std::int64_t insert_chunks(const encoded_events& events);
  std::int64_t delete_chunks_through(std::int64_t seq);
  queue_span span_from(std::int64_t seq);

  state_store& store_;
  chunk_codec codec_;
  std::string chunk_bodies_;  ///< encode()'s buffer, reused
  /// The packed chunk read last, unpacked: consecutive batches mostly read the same chunk. A
  /// chunk is never changed once stored and its last seq never reused, so this cannot go stale.
  struct unpacked_chunk {
    std::int64_t last = 0;  ///< 0: none
    std::string packed;     ///< the stored bytes, a buffer reused
    std::string plain;
  };
  unpacked_chunk unpacked_;
  class body_reader;
};

}  // namespace qsanfwd

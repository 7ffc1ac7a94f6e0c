#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace qsanfwd::logs {

/// What observe() says about one sighting of a line.
struct sighting {
  bool fresh = false;           ///< more sightings than lines queued: queue this one
  std::int64_t occurrence = 0;  ///< 1 for the first such line in its second, 2 for its twin...
};

/// How many lines of one (second, type, message) have ever been queued.
struct line_mark {
  std::int64_t timestamp = 0;
  std::uint64_t hash = 0;  ///< line_hash(type, message)
  std::int64_t queued = 0;
  /// Ids given to lines the array dropped since: occurrences go on after them.
  std::int64_t retired = 0;
  friend bool operator==(const line_mark&, const line_mark&) = default;
};

/// Seconds lo..hi (inclusive) every line of which has been queued.
struct second_span {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  friend bool operator==(const second_span&, const second_span&) = default;
};

/// What the store must keep after a page for a crash to lose and repeat nothing.
struct page_record {
  std::vector<line_mark> marks;         ///< changed counts in the cycle's edge seconds
  std::optional<second_span> interior;  ///< the cycle's seconds whose lines were all read
};

/// Decides which lines of a read cycle are new, one page at a time.
///
/// The array sorts its log by time and pages are contiguous slices of it, so once a cycle has
/// read lines of seconds a and b, it has read every line of each second strictly between them.
/// Those seconds need no per-line bookkeeping: one span says they are queued, in the store for
/// later cycles and in memory for the rest of this one (an array that serves a page twice then
/// queues nothing twice). Only the two edge seconds of the cycle (which later pages or cycles
/// may read more of) are counted line by line: per (second, type, message), sightings in this
/// cycle against lines ever queued, so identical genuine lines each count and a re-read after a
/// crash queues nothing twice. Memory holds one page plus the edge seconds, whatever the backlog.
///
/// Seconds after `horizon` (lines stamped ahead of the array's own clock) are never taken as
/// read whole by this cycle: the array may still write lines there. Their lines are counted one
/// by one and their marks kept, however many cycles read them again.
class line_dedup {
 public:
  /// `covered`: spans earlier cycles left in the store.
  explicit line_dedup(std::vector<second_span> covered = {}) : covered_(std::move(covered)) {}

  /// Begins a page whose lines up to `horizon` (the last second the array's clock has reached,
  /// never less than the last page's) lie in seconds `settled` (none when all are after it),
  /// with the marks the store holds for all the page's seconds.
  void start_page(std::optional<second_span> settled, const std::vector<line_mark>& stored,
                  std::int64_t horizon = std::numeric_limits<std::int64_t>::max());
  sighting observe(std::int64_t timestamp, std::uint64_t hash);
  /// Ends the page: what to store, in the transaction that queues the page's lines.
  page_record finish_page();
  /// The newest second earlier cycles read whole.
  std::optional<std::int64_t> newest_covered() const;
  /// Lines counted in memory: the current page and the cycle's edge seconds.
  std::size_t tracked() const { return used_; }

 private:
  struct key {
    std::int64_t timestamp;
    std::uint64_t hash;
    friend bool operator==(const key&, const key&) = default;
  };
  struct counts {
    std::int64_t seen = 0;    ///< in this cycle
    std::int64_t queued = 0;  ///< ever, less those the array dropped
    std::int64_t retired = 0;
    bool changed = false;  ///< since the store last heard of it
  };
  struct slot {
    key k{};
    counts c;
    bool used = false;
  };

  bool covered(std::int64_t timestamp) const;
  /// The counts of `k`; added as `fresh` when it has none yet.
  counts& find_or_add(const key& k, const counts& fresh);
  /// Makes the table `capacity` slots (a power of two) holding the used slots of `keep`.
  void rebuild(std::vector<slot> keep, std::size_t capacity);
  /// Whether the line's marks must outlive the page: an edge second, or one after the horizon.
  bool kept(std::int64_t timestamp) const {
    return timestamp == low_ || timestamp == high_ || timestamp > horizon_;
  }

  std::vector<second_span> covered_;
  std::int64_t horizon_ = std::numeric_limits<std::int64_t>::max();
  /// The counts by key, in open addressing with linear probing (a power of two of slots, at
  /// most half used): a node allocated and freed per line in std::unordered_map was ~430
  /// instructions of each log line's ~19,500 (bench/README.md, drain figures).
  std::vector<slot> slots_;
  std::size_t used_ = 0;
  bool started_ = false;
  std::int64_t low_ = 0;  ///< the oldest and newest second up to the horizon read in this cycle
  std::int64_t high_ = 0;
  /// Seconds strictly inside this span were read whole by the cycle's earlier pages.
  std::optional<second_span> read_before_;
};

}  // namespace qsanfwd::logs

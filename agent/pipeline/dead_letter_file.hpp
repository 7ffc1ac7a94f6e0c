#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qsanfwd::pipeline {

// Reading a sink's dead-letter file back (dead_letters.hpp writes it): a summary by reason,
// a replay that survives being interrupted, and dropping what is not wanted back.
//
// The agent appends to the file under its lock (flock) and only to the file that is at its path
// once locked. A replay renames the file aside under that lock, to `<path>.replaying`, so the
// agent's next refusal starts a new file and no line reaches the one being replayed; what the
// replay has settled is recorded in `<path>.replaying.offset`, so a replay run again after a kill
// goes on where it stopped (the batch in flight may be sent twice: at-least-once, same ids).

/// One line of a dead-letter file.
struct dead_letter {
  std::string sink;
  std::string reason;
  std::string time;   ///< when it was refused (RFC 3339)
  std::string event;  ///< the event's JSON, as queued
};

/// The line's fields, or nullopt for a line that is not a dead letter (cut by a crash, edited).
std::optional<dead_letter> parse_dead_letter(std::string_view line);

/// Dead letters that share a reason.
struct reason_group {
  std::string reason;
  std::int64_t events = 0;
  std::string first;  ///< the earliest refusal's time
  std::string last;
};

struct dead_letter_summary {
  std::vector<reason_group> reasons;  ///< most events first
  std::int64_t events = 0;
  std::int64_t unreadable = 0;   ///< lines that are not dead letters
  std::int64_t in_replay = 0;    ///< of `events`: waiting in an interrupted replay
  std::int64_t other_reasons = 0;  ///< events past the first `max_reasons` distinct reasons
};

/// What the dead-letter file at `path` (and an interrupted replay of it) holds. Reads line by
/// line; keeps at most `max_reasons` groups, so a file of a million distinct reasons stays small.
dead_letter_summary summarise_dead_letters(const std::filesystem::path& path,
                                           std::size_t max_reasons = 1000);

/// A line read back for a replay: `letter` is nullopt for a line that is not a dead letter, which
/// the caller puts back as it is (`line`).
struct replay_line {
  std::string line;
  std::optional<dead_letter> letter;
  std::int64_t end = 0;  ///< the offset just after it, for settled_through()
};

/// Re-offering one sink's dead letters; see the top of this file.
class dead_letter_replay {
 public:
  /// Goes on with an interrupted replay of `path`, or moves the file aside to start one (none to
  /// do when there is neither). Throws std::runtime_error naming the file on an I/O error, or
  /// when another dead-letter command works on the same file.
  explicit dead_letter_replay(std::filesystem::path path);
  ~dead_letter_replay();
  dead_letter_replay(const dead_letter_replay&) = delete;
  dead_letter_replay& operator=(const dead_letter_replay&) = delete;

  bool resumed() const { return resumed_; }
  /// The next lines after those settled or read, at most `max_events` and about `max_bytes`
  /// (at least one line); empty at the end.
  std::vector<replay_line> next(std::size_t max_events, std::size_t max_bytes);
  /// Records that every line up to `end` is dealt with (delivered, or put back in the file).
  void settled_through(std::int64_t end);
  /// Removes the replayed file once every line is settled.
  void finish();

 private:
  std::filesystem::path path_;
  std::filesystem::path replaying_;
  std::filesystem::path offset_file_;
  int guard_ = -1;  ///< the lock one dead-letter command holds
  int fd_ = -1;     ///< the replayed file
  std::int64_t read_ = 0;
  std::int64_t settled_ = 0;
  bool resumed_ = false;
  std::string buffer_;  ///< read, not yet returned
};

/// Removes the dead letters whose reason contains `reason_part` (all of them when it is empty)
/// from the file at `path` and from an interrupted replay of it; returns how many.
std::int64_t drop_dead_letters(const std::filesystem::path& path, std::string_view reason_part);

}  // namespace qsanfwd::pipeline

// Reading a dead-letter file back: the events byte for byte, a summary by reason, a replay that
// survives a kill and never loses a refusal made meanwhile, and dropping by reason.
#include "agent/pipeline/dead_letter_file.hpp"

#include <gtest/gtest.h>

#include "agent/core/logging.hpp"
#include "agent/pipeline/dead_letters.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::pipeline {
namespace {

using test::read_file;
using test::temp_dir;

/// Dead-letter lines for events {"id":"<prefix>N","n":N} for N in [from, to), as the agent writes
/// them.
std::string letters(int from, int to, const std::string& reason, const std::string& prefix = "e") {
  std::vector<queued_event> events;
  std::vector<std::size_t> which;
  for (int n = from; n < to; ++n) {
    events.emplace_back(n, R"({"id":")" + prefix + std::to_string(n) + R"(","n":)" +
                               std::to_string(n) + R"(,"x":1.50})");
    which.push_back(which.size());
  }
  return dead_letter_lines("siem", reason, 1795915304 + from, events, which);
}

void append(const std::filesystem::path& path, const std::string& lines) {
  ASSERT_EQ(append_dead_letters(path, lines, *get_logger("test")), std::nullopt);
}

/// The events of a whole replay, settling each batch as read.
std::vector<std::string> replay_all(const std::filesystem::path& path, std::size_t batch = 3) {
  dead_letter_replay replay(path);
  std::vector<std::string> out;
  while (true) {
    const auto lines = replay.next(batch, 1 << 20);
    if (lines.empty()) {
      break;
    }
    for (const auto& l : lines) {
      out.push_back(l.letter ? l.letter->event : "?" + l.line);
    }
    replay.settled_through(lines.back().end);
  }
  replay.finish();
  return out;
}

TEST(parse_dead_letter, gives_the_event_as_queued_byte_for_byte) {
  const auto line = letters(1, 2, "400 \"bad\"\nrequest");
  const auto l = parse_dead_letter(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->sink, "siem");
  EXPECT_EQ(l->reason, "400 \"bad\"\nrequest");
  EXPECT_EQ(l->time, "2026-11-29T01:21:45Z");
  EXPECT_EQ(l->event, R"({"id":"e1","n":1,"x":1.50})");  // 1.50, not 1.5: not re-serialised
  EXPECT_FALSE(parse_dead_letter(R"({"sink":"siem","reason":"x","time":"t","event":{"id":)"));
  EXPECT_FALSE(parse_dead_letter(R"({"sink":"siem","reason":"x","time":"t"})"));
  EXPECT_FALSE(parse_dead_letter("[1,2]"));
}

TEST(summarise_dead_letters, groups_by_reason_most_first_and_counts_unreadable_lines) {
  temp_dir dir;
  const auto path = dir / "siem.jsonl";
  append(path, letters(0, 2, "413 too large") + letters(2, 7, "400 mapping") + "half a li");
  const auto s = summarise_dead_letters(path);
  EXPECT_EQ(s.events, 7);
  EXPECT_EQ(s.unreadable, 1);
  ASSERT_EQ(s.reasons.size(), 2u);
  EXPECT_EQ(s.reasons[0].reason, "400 mapping");
  EXPECT_EQ(s.reasons[0].events, 5);
  EXPECT_EQ(s.reasons[0].first, "2026-11-29T01:21:46Z");
  EXPECT_EQ(s.reasons[1].events, 2);
  const auto capped = summarise_dead_letters(path, 1);
  EXPECT_EQ(capped.reasons.size(), 1u);
  EXPECT_EQ(capped.other_reasons, 5);
  EXPECT_EQ(summarise_dead_letters(dir / "none.jsonl").events, 0);
}

TEST(dead_letter_replay, reads_every_line_once_and_removes_the_file_when_done) {
  temp_dir dir;
  const auto path = dir / "siem.jsonl";
  append(path, letters(0, 8, "400"));
  const auto events = replay_all(path);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[7], R"({"id":"e7","n":7,"x":1.50})");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(replay_all(path).empty());  // nothing left: nothing to do
}

TEST(dead_letter_replay, a_refusal_made_during_the_replay_waits_in_a_new_file) {
  temp_dir dir;
  const auto path = dir / "siem.jsonl";
  append(path, letters(0, 4, "400"));
  {
    dead_letter_replay replay(path);
    // The agent refuses more meanwhile: they must not land in the file being replayed.
    append(path, letters(10, 12, "400", "new"));
    const auto lines = replay.next(100, 1 << 20);
    EXPECT_EQ(lines.size(), 4u);
    replay.settled_through(lines.back().end);
    replay.finish();
  }
  EXPECT_EQ(read_file(path), letters(10, 12, "400", "new"));
}

TEST(dead_letter_replay, killed_midway_it_goes_on_after_what_it_settled) {
  temp_dir dir;
  const auto path = dir / "siem.jsonl";
  append(path, letters(0, 10, "400"));
  {
    dead_letter_replay replay(path);
    const auto first = replay.next(4, 1 << 20);
    replay.settled_through(first.back().end);
    replay.next(4, 1 << 20);  // read, never settled: the kill comes before the sink answers
  }
  EXPECT_EQ(summarise_dead_letters(path).in_replay, 6);
  dead_letter_replay again(path);
  EXPECT_TRUE(again.resumed());
  const auto rest = again.next(100, 1 << 20);
  ASSERT_EQ(rest.size(), 6u);
  EXPECT_EQ(rest.front().letter->event, R"({"id":"e4","n":4,"x":1.50})");
  EXPECT_THROW(dead_letter_replay{path}, std::runtime_error) << "a second command at once";
  again.settled_through(rest.back().end);
  again.finish();
  EXPECT_EQ(summarise_dead_letters(path).events, 0);
}

TEST(dead_letter_replay, a_line_that_is_not_a_dead_letter_comes_back_as_it_is) {
  temp_dir dir;
  const auto path = dir / "siem.jsonl";
  append(path, letters(0, 1, "400") + "garbage\n" + letters(1, 2, "400") + "cut");
  const auto events = replay_all(path, 100);
  EXPECT_EQ(events, (std::vector<std::string>{R"({"id":"e0","n":0,"x":1.50})", "?garbage",
                                              R"({"id":"e1","n":1,"x":1.50})", "?cut"}));
}

TEST(drop_dead_letters, by_reason_or_all_also_in_an_interrupted_replay) {
  temp_dir dir;
  const auto path = dir / "siem.jsonl";
  append(path, letters(0, 3, "413 too large") + letters(3, 6, "400 mapping"));
  {
    dead_letter_replay replay(path);
    const auto first = replay.next(2, 1 << 20);
    replay.settled_through(first.back().end);
  }
  append(path, letters(6, 8, "400 mapping") + letters(8, 9, "413 too large"));
  EXPECT_EQ(drop_dead_letters(path, "413"), 2);  // e2 in the replay, e8 in the file
  const auto left = summarise_dead_letters(path);
  EXPECT_EQ(left.events, 5);
  EXPECT_EQ(left.in_replay, 3);
  EXPECT_EQ(left.reasons.size(), 1u);
  EXPECT_EQ(replay_all(path).size(), 3u);  // the replay goes on with e3..e5 after its offset
  EXPECT_EQ(drop_dead_letters(path, ""), 2);
  EXPECT_EQ(summarise_dead_letters(path).events, 0);
}

}  // namespace
}  // namespace qsanfwd::pipeline

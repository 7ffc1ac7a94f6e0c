#include "agent/pipeline/dead_letters.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "agent/core/logging.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::pipeline {
namespace {

using test::read_file;
using test::temp_dir;

std::vector<queued_event> three_events() {
  return {{7, R"({"id":"a"})"}, {8, R"({"id":"b"})"}, {9, R"({"id":"c"})"}};
}

TEST(dead_letter_lines, one_line_per_chosen_event_with_sink_reason_time_and_the_body_as_queued) {
  const std::vector<std::size_t> which{0, 2};
  EXPECT_EQ(
      dead_letter_lines("siem", "400 Bad Request", 1795915304, three_events(), which),
      R"({"sink":"siem","reason":"400 Bad Request","time":"2026-11-29T01:21:44Z","event":{"id":"a"}})"
      "\n"
      R"({"sink":"siem","reason":"400 Bad Request","time":"2026-11-29T01:21:44Z","event":{"id":"c"}})"
      "\n");
}

TEST(dead_letter_lines, the_sink_name_and_reason_are_escaped_as_json) {
  const std::vector<std::size_t> which{1};
  EXPECT_EQ(
      dead_letter_lines("a\"b", "line\nbreak \\ here", 0, three_events(), which),
      R"({"sink":"a\"b","reason":"line\nbreak \\ here","time":"1970-01-01T00:00:00Z","event":{"id":"b"}})"
      "\n");
}

TEST(dead_letter_lines, no_events_no_lines) {
  EXPECT_EQ(dead_letter_lines("siem", "x", 0, three_events(), {}), "");
}

TEST(append_dead_letters, creates_the_directory_and_a_private_file_then_appends) {
  temp_dir dir;
  const auto path = dir / "dead" / "letters" / "siem.jsonl";
  auto log = get_logger("test");
  EXPECT_EQ(append_dead_letters(path, "one\n", *log), std::nullopt);
  EXPECT_EQ(append_dead_letters(path, "two\n", *log), std::nullopt);
  EXPECT_EQ(read_file(path), "one\ntwo\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST(append_dead_letters, a_path_that_cannot_be_opened_is_an_error_naming_it) {
  temp_dir dir;
  auto log = get_logger("test");
  // A directory where the file should be.
  const auto err = append_dead_letters(dir.path(), "one\n", *log);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("cannot open the dead-letter file " + dir.path().string()),
            std::string::npos);
}

}  // namespace
}  // namespace qsanfwd::pipeline

#include "sinks/file/hash_chain.hpp"

#include <gtest/gtest.h>

#include "agent/core/ids.hpp"
#include "tests/sinks/file/helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::sinks {
namespace {

using test::deliver;
using test::lines_of;
using test::numbered_batch;

void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) {
    text += l + "\n";
  }
  test::write_file(file, text);
}

/// 12 chained events over three files (rotation by size, gzipped), oldest first.
struct chained_archive {
  chained_archive() {
    file_options o;
    o.path = dir / "audit.jsonl";
    o.hash_chain = true;
    // Four lines to a file: batches of two, rotated when a third would not fit.
    chain_state sample;
    o.rotate_max_bytes = 4 * (chain_line(numbered_batch(10, 11)[0].body, sample).size() + 1) + 8;
    o.rotate_gzip = gzip;
    file_sink sink("audit", o);
    for (int i = 0; i < 12; i += 2) {
      EXPECT_EQ(deliver(sink, numbered_batch(i, i + 2)).result, outcome::delivered);
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      files.push_back(entry.path());
    }
  }

  static inline bool gzip = false;
  test::temp_dir dir;
  std::vector<std::filesystem::path> files;
};

TEST(hash_chain, lines_keep_the_canonical_fields_first_and_chain_to_the_previous_line) {
  chain_state state;
  const auto batch = numbered_batch(0, 2);
  const auto first = chain_line(batch[0].body, state);
  const auto second = chain_line(batch[1].body, state);
  EXPECT_TRUE(first.starts_with(batch[0].body.substr(0, batch[0].body.size() - 1)));
  EXPECT_EQ(first.substr(batch[0].body.size() - 1),
            ",\"chain_seq\":1,\"chain\":\"" + std::string(chain_genesis) + "\"}");
  const auto link = read_link(second);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->seq, 2U);
  EXPECT_EQ(link->chain, sha256_hex(first));
  EXPECT_FALSE(read_link(batch[0].body));
  // Still one JSON object with every canonical field.
  EXPECT_EQ(event_from_json(second).message, "event 1");
}

TEST(hash_chain, appending_a_line_is_the_same_as_making_one) {
  chain_state made;
  chain_state appended;
  appended.seq = made.seq = 998;  // across a change in the number of digits
  std::string out = "earlier\n";
  std::string expected = out;
  for (const auto& e : numbered_batch(0, 3)) {
    expected += chain_line(e.body, made) + "\n";
    append_chain_line(out, e.body, appended);
    out += '\n';
  }
  EXPECT_EQ(out, expected);
  EXPECT_EQ(appended.seq, 1001U);
  EXPECT_EQ(appended.last_hash, made.last_hash);
}

TEST(hash_chain, an_untouched_archive_verifies_across_rotated_gzipped_files_in_any_order) {
  chained_archive::gzip = true;
  chained_archive a;
  chained_archive::gzip = false;
  ASSERT_EQ(a.files.size(), 3U);
  auto shuffled = a.files;
  std::reverse(shuffled.begin(), shuffled.end());
  const auto report = verify_archive(shuffled);
  EXPECT_TRUE(report.intact) << report.file << ":" << report.line << ": " << report.problem;
  EXPECT_EQ(report.lines, 12U);
  EXPECT_EQ(report.order.back(), a.dir / "audit.jsonl");
}

TEST(hash_chain, the_chain_continues_after_a_restart_and_an_empty_file_after_rotation) {
  chained_archive a;
  file_options o;
  o.path = a.dir / "audit.jsonl";
  o.hash_chain = true;
  {
    file_sink restarted("audit", o);
    EXPECT_EQ(deliver(restarted, numbered_batch(12, 14)).result, outcome::delivered);
  }
  // logrotate moved the files along while the agent was down.
  std::filesystem::rename(a.dir / "audit.jsonl.2", a.dir / "audit.jsonl.3");
  std::filesystem::rename(a.dir / "audit.jsonl.1", a.dir / "audit.jsonl.2");
  std::filesystem::rename(o.path, a.dir / "audit.jsonl.1");
  std::vector<std::filesystem::path> files;
  {
    file_sink restarted("audit", o);
    EXPECT_EQ(deliver(restarted, numbered_batch(14, 15)).result, outcome::delivered);
  }
  for (const auto& entry : std::filesystem::directory_iterator(a.dir.path())) {
    files.push_back(entry.path());
  }
  const auto report = verify_archive(files);
  EXPECT_TRUE(report.intact) << report.file << ":" << report.line << ": " << report.problem;
  EXPECT_EQ(report.lines, 15U);
}

TEST(hash_chain, an_edited_line_is_named) {
  chained_archive a;
  const auto file = a.dir / "audit.jsonl.1";
  auto lines = lines_of(file);
  ASSERT_GE(lines.size(), 3U);
  const auto at = lines[1].find("event");
  lines[1].replace(at, 5, "EVENT");
  write_lines(file, lines);
  const auto report = verify_archive(a.files);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.file, file);
  EXPECT_EQ(report.line, 2U);
  EXPECT_NE(report.problem.find("changed"), std::string::npos) << report.problem;
}

TEST(hash_chain, a_removed_line_is_named) {
  chained_archive a;
  const auto file = a.dir / "audit.jsonl.1";
  auto lines = lines_of(file);
  lines.erase(lines.begin() + 1);
  write_lines(file, lines);
  const auto report = verify_archive(a.files);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.file, file);
  EXPECT_EQ(report.line, 2U);
  EXPECT_EQ(report.problem, "1 line(s) removed before this line");
}

TEST(hash_chain, an_inserted_line_is_named_even_a_copy) {
  chained_archive a;
  const auto file = a.dir / "audit.jsonl.1";
  auto lines = lines_of(file);
  const auto copy = lines[0];
  lines.insert(lines.begin() + 1, copy);
  write_lines(file, lines);
  const auto report = verify_archive(a.files);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.file, file);
  EXPECT_EQ(report.line, 2U);
  EXPECT_NE(report.problem.find("inserted"), std::string::npos) << report.problem;
}

TEST(hash_chain, an_inserted_line_with_a_forged_chain_is_named) {
  chained_archive a;
  const auto file = a.dir / "audit.jsonl";
  auto lines = lines_of(file);
  // A forger who links the new line to the one before still breaks the line after it.
  chain_state state = state_after(lines[0]);
  lines.insert(lines.begin() + 1, chain_line(numbered_batch(99, 100)[0].body, state));
  write_lines(file, lines);
  const auto report = verify_archive(a.files);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.file, file);
  EXPECT_EQ(report.line, 2U);
  EXPECT_NE(report.problem.find("inserted"), std::string::npos) << report.problem;
}

TEST(hash_chain, a_missing_rotated_file_in_the_middle_is_reported_as_removed_lines) {
  chained_archive a;
  std::vector<std::filesystem::path> files;
  for (const auto& f : a.files) {
    if (f.filename() != "audit.jsonl.1") {
      files.push_back(f);
    }
  }
  const auto report = verify_archive(files);
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.file, a.dir / "audit.jsonl");
  EXPECT_EQ(report.line, 1U);
  EXPECT_NE(report.problem.find("removed"), std::string::npos) << report.problem;
}

TEST(hash_chain, a_file_without_chain_fields_does_not_verify) {
  test::temp_dir dir;
  write_lines(dir / "plain.jsonl", {numbered_batch(0, 1)[0].body});
  const auto report = verify_archive({dir / "plain.jsonl"});
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.not_chained, 1U);
}

}  // namespace
}  // namespace qsanfwd::sinks

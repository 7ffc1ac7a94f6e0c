// A path with placeholders: each event in the file its own fields name, every file with the
// promises of a constant path (order, once, restart, chain, rotation) and none outside the
// directory that precedes the first placeholder.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "sinks/file/file_sink.hpp"
#include "tests/sinks/file/helpers.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::sinks {
namespace {

using test::deliver;
using test::lines_of;

constexpr std::int64_t day = 86400;
constexpr std::int64_t first_day = 1795910400;  // 2026-11-29T00:00:00Z

/// Event `i` of `device` on day `d` (0 or 1) after first_day.
queued_event event_of(int i, const std::string& device, int d) {
  event e;
  e.id = "id-" + std::to_string(i);
  e.device = device;
  e.timestamp = first_day + d * day + i;
  e.message = "event " + std::to_string(i);
  return {i, to_json(e)};
}

/// Events from..to-1 cycling through devices a, b and days 0, 1.
std::vector<queued_event> mixed(int from, int to) {
  std::vector<queued_event> out;
  for (int i = from; i < to; ++i) {
    out.push_back(event_of(i, i % 2 == 0 ? "array-a" : "array-b", (i / 2) % 2));
  }
  return out;
}

/// What each file must hold after events from..to-1 of mixed(): its bodies in queue order.
std::map<std::filesystem::path, std::vector<std::string>> expected_files(
    const std::filesystem::path& dir, int from, int to) {
  std::map<std::filesystem::path, std::vector<std::string>> out;
  for (const auto& q : mixed(from, to)) {
    const auto e = event_from_json(q.body);
    const auto date = e.timestamp < first_day + day ? "2026-11-29" : "2026-11-30";
    out[dir / e.device / (std::string(date) + ".jsonl")].push_back(q.body);
  }
  return out;
}

std::map<std::filesystem::path, std::vector<std::string>> files_under(
    const std::filesystem::path& dir) {
  std::map<std::filesystem::path, std::vector<std::string>> out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) {
      out[f.path()] = lines_of(f.path());
    }
  }
  return out;
}

file_options templated(const std::filesystem::path& dir, const std::string& tail) {
  file_options o;
  o.path = (dir / tail).string();
  o.path_template = event_template::parse(o.path.string());
  return o;
}

TEST(file_sink_template, two_devices_and_two_days_land_in_four_files_each_in_order_once) {
  test::temp_dir dir;
  const auto o = templated(dir / "qsan", "{device}/%Y-%m-%d.jsonl");
  file_sink sink("archive", o);
  ASSERT_EQ(deliver(sink, mixed(0, 10)).result, outcome::delivered);
  ASSERT_EQ(deliver(sink, mixed(10, 13)).result, outcome::delivered);
  const auto files = files_under(dir / "qsan");
  EXPECT_EQ(files.size(), 4U);
  EXPECT_EQ(files, expected_files(dir / "qsan", 0, 13));
  EXPECT_EQ(sink.counters().lines, 13U);
}

// A run killed after writing a batch to some of its files, or to all, and the same batch (with
// more behind it) sent again after the restart.
TEST(file_sink_template, a_batch_sent_again_after_a_kill_doubles_no_line_in_any_file) {
  for (const int written : {3, 8}) {
    SCOPED_TRACE(written);
    test::temp_dir dir;
    const auto o = templated(dir.path(), "{device}/%Y-%m-%d.jsonl");
    {
      file_sink killed("archive", o);
      ASSERT_EQ(deliver(killed, mixed(0, written)).result, outcome::delivered);
    }
    file_sink sink("archive", o);
    ASSERT_EQ(deliver(sink, mixed(0, 12)).result, outcome::delivered);
    ASSERT_EQ(deliver(sink, mixed(12, 14)).result, outcome::delivered);
    EXPECT_EQ(files_under(dir.path()), expected_files(dir.path(), 0, 14));
    EXPECT_EQ(sink.counters().already_written, static_cast<std::uint64_t>(written));
  }
}

// One file of a batch cannot be written: the batch is a retry, and sent again it completes the
// files that failed without doubling those that were written.
TEST(file_sink_template, a_batch_retried_after_one_file_failed_doubles_no_line) {
  test::temp_dir dir;
  const auto o = templated(dir.path(), "{device}/events.jsonl");
  test::write_file(dir / "array-b", "a file where a directory should be");
  file_sink sink("archive", o);
  const auto batch = mixed(0, 6);
  const auto d = deliver(sink, batch);
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_NE(d.reason.find("array-b"), std::string::npos) << d.reason;
  EXPECT_EQ(lines_of(dir / "array-a" / "events.jsonl").size(), 3U) << "a's file was written";
  std::filesystem::remove(dir / "array-b");
  ASSERT_EQ(deliver(sink, batch).result, outcome::delivered);
  ASSERT_EQ(deliver(sink, mixed(6, 8)).result, outcome::delivered);
  std::vector<std::string> a, b;
  for (const auto& q : mixed(0, 8)) {
    (q.body.find("array-a") != std::string::npos ? a : b).push_back(q.body);
  }
  EXPECT_EQ(lines_of(dir / "array-a" / "events.jsonl"), a);
  EXPECT_EQ(lines_of(dir / "array-b" / "events.jsonl"), b);
}

TEST(file_sink_template, a_hostile_value_cannot_leave_the_directory) {
  test::temp_dir dir;
  const auto root = dir / "root";
  const auto o = templated(root / "qsan", "{device}/{type}.jsonl");
  file_sink sink("archive", o);
  std::vector<queued_event> batch;
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"..", ".."}, {"../../..", "x"},    {"a/../../b", "/etc/passwd"},   {"", ""},
      {".", "."},   {"\n\x01", "type\r"}, {std::string(300, 'z'), "..."},
  };
  for (const auto& [device, type] : hostile) {
    event e;
    e.id = "id-" + std::to_string(batch.size());
    e.device = device;
    e.type = type;
    e.timestamp = first_day;
    batch.emplace_back(static_cast<std::int64_t>(batch.size()), to_json(e));
  }
  ASSERT_EQ(deliver(sink, batch).result, outcome::delivered);
  // Nothing but qsan/ under root, and each event in a file of its own, once.
  std::vector<std::filesystem::path> top;
  for (const auto& f : std::filesystem::directory_iterator(root)) {
    top.push_back(f.path());
  }
  EXPECT_EQ(top, std::vector<std::filesystem::path>{root / "qsan"});
  const auto files = files_under(root / "qsan");
  std::size_t lines = 0;
  for (const auto& [file, content] : files) {
    lines += content.size();
    EXPECT_LE(file.filename().string().size(), 106U) << file;
  }
  EXPECT_EQ(lines, batch.size());
  EXPECT_EQ(files.count(root / "qsan" / "_" / "...jsonl"), 1U);
  EXPECT_EQ(files.count(root / "qsan" / "_" / ".jsonl"), 1U) << "empty values";
  EXPECT_EQ(files.count(root / "qsan" / "_" / "..jsonl"), 1U);
  EXPECT_EQ(files.count(root / "qsan" / ".._.._.." / "x.jsonl"), 1U);
  EXPECT_EQ(files.count(root / "qsan" / "a_.._.._b" / "_etc_passwd.jsonl"), 1U);
  EXPECT_EQ(files.count(root / "qsan" / "__" / "type_.jsonl"), 1U);
  EXPECT_EQ(files.count(root / "qsan" / std::string(100, 'z') / "....jsonl"), 1U);
}

// More files than max_open_files: the least recently written is closed and opened again when
// needed, each file's hash chain continuing where it stood.
TEST(file_sink_template, more_files_than_may_be_open_keep_their_order_and_chains) {
  test::temp_dir dir;
  auto o = templated(dir.path(), "{device}.jsonl");
  o.max_open_files = 2;
  o.hash_chain = true;
  file_sink sink("archive", o);
  std::map<std::string, std::vector<std::string>> expected;
  for (int i = 0; i < 30; i += 3) {
    std::vector<queued_event> batch;
    for (int j = i; j < i + 3; ++j) {
      batch.push_back(event_of(j, "array-" + std::to_string(j % 3), 0));
      expected["array-" + std::to_string(j % 3)].push_back(batch.back().body);
    }
    ASSERT_EQ(deliver(sink, batch).result, outcome::delivered);
    EXPECT_LE(sink.open_files(), 2U);
  }
  EXPECT_GT(sink.counters().files_closed, 0U);
  for (const auto& [device, bodies] : expected) {
    const auto file = dir / (device + ".jsonl");
    std::vector<std::string> got;
    for (const auto& line : lines_of(file)) {
      got.push_back(unchained(line));
    }
    EXPECT_EQ(got, bodies) << device;
    const auto report = verify_archive({file});
    EXPECT_TRUE(report.intact) << device << ": " << report.problem;
    EXPECT_EQ(report.lines, 10U);
  }
}

TEST(file_sink_template, reopen_closes_every_file_and_rotation_is_per_file) {
  test::temp_dir dir;
  auto o = templated(dir.path(), "{device}.jsonl");
  o.rotate_max_bytes = 1;  // each batch after the first rotates its file
  file_sink sink("archive", o);
  ASSERT_EQ(deliver(sink, mixed(0, 4)).result, outcome::delivered);
  ASSERT_EQ(deliver(sink, mixed(4, 6)).result, outcome::delivered);
  EXPECT_EQ(sink.counters().rotations, 2U);
  EXPECT_EQ(lines_of(dir / "array-a.jsonl.1").size(), 2U);
  EXPECT_EQ(lines_of(dir / "array-b.jsonl.1").size(), 2U);
  std::filesystem::rename(dir / "array-a.jsonl", dir / "moved-a");
  std::filesystem::rename(dir / "array-b.jsonl", dir / "moved-b");
  sink.reopen();
  ASSERT_EQ(deliver(sink, mixed(6, 8)).result, outcome::delivered);
  EXPECT_EQ(lines_of(dir / "array-a.jsonl").size(), 1U) << "a new file after SIGHUP";
  EXPECT_EQ(lines_of(dir / "array-b.jsonl").size(), 1U);
  EXPECT_EQ(lines_of(dir / "moved-a").size(), 1U);
}

}  // namespace
}  // namespace qsanfwd::sinks

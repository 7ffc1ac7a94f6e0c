#include "sinks/file/file_sink.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/sinks/file/helpers.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::sinks {
namespace {

using test::deliver;
using test::lines_of;
using test::numbered_batch;

file_options options_in(const test::temp_dir& dir) {
  file_options o;
  o.path = dir / "nested" / "dirs" / "events.jsonl";
  return o;
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777U;
}

TEST(file_sink, appends_canonical_lines_creating_directories_with_the_configured_mode) {
  test::temp_dir dir;
  auto o = options_in(dir);
  o.permissions = 0604;
  file_sink sink("archive", o);
  EXPECT_EQ(sink.name(), "archive");
  const auto first = numbered_batch(0, 3);
  EXPECT_EQ(deliver(sink, first).result, outcome::delivered);
  EXPECT_EQ(deliver(sink, numbered_batch(3, 5)).result, outcome::delivered);
  const auto lines = lines_of(o.path);
  ASSERT_EQ(lines.size(), 5U);
  EXPECT_EQ(lines[0], first[0].body);
  EXPECT_EQ(mode_of(o.path), 0604U);
  EXPECT_EQ(test::read_file(o.path).back(), '\n');
}

TEST(file_sink, continues_an_existing_file_and_cuts_an_incomplete_last_line) {
  test::temp_dir dir;
  auto o = options_in(dir);
  std::filesystem::create_directories(o.path.parent_path());
  const auto old = numbered_batch(0, 2);
  test::write_file(o.path, old[0].body + "\n" + old[1].body.substr(0, 10));
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(1, 3)).result, outcome::delivered);
  const auto lines = lines_of(o.path);
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[1], old[1].body);
}

/// An earlier run of the sink that wrote events from..to-1 and ended (killed or not).
void earlier_run_wrote(const file_options& o, int from, int to) {
  file_sink earlier("archive", o);
  ASSERT_EQ(deliver(earlier, numbered_batch(from, to)).result, outcome::delivered);
}

std::vector<std::string> bodies(int from, int to) {
  std::vector<std::string> out;
  for (const auto& e : numbered_batch(from, to)) {
    out.push_back(e.body);
  }
  return out;
}

// A run killed between writing a batch and recording it leaves the batch in the file, and the
// queue sends it again from the recorded cursor (with more events behind it, or not). After a
// clean stop every batch written was recorded, and the queue's next batch is new.
TEST(file_sink, a_batch_sent_again_after_a_kill_writes_only_what_the_file_lacks) {
  struct restart {
    const char* what;
    int written;   // events 0..written-1 are in the file
    int from, to;  // the first batch after the restart
    int skipped;   // of it, found in the file
  };
  for (const auto& r : {restart{"killed, more queued behind", 5, 0, 8, 5},
                        restart{"killed, nothing more queued", 4, 0, 4, 4},
                        restart{"stopped cleanly", 3, 3, 6, 0}}) {
    SCOPED_TRACE(r.what);
    test::temp_dir dir;
    const auto o = options_in(dir);
    earlier_run_wrote(o, 0, r.written);
    file_sink sink("archive", o);
    EXPECT_EQ(deliver(sink, numbered_batch(r.from, r.to)).result, outcome::delivered);
    EXPECT_EQ(deliver(sink, numbered_batch(r.to, r.to + 2)).result, outcome::delivered);
    EXPECT_EQ(lines_of(o.path), bodies(0, r.to + 2));
    EXPECT_EQ(sink.counters().already_written, static_cast<std::uint64_t>(r.skipped));
    EXPECT_EQ(sink.counters().lines, static_cast<std::uint64_t>(r.to + 2 - r.from - r.skipped));
  }
}

TEST(file_sink, events_offered_again_later_in_a_run_are_a_replay_and_written_again) {
  test::temp_dir dir;
  const auto o = options_in(dir);
  earlier_run_wrote(o, 0, 2);
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 4)).result, outcome::delivered);  // 0, 1 skipped
  sink.reopen();  // SIGHUP: no kill came in between
  EXPECT_EQ(deliver(sink, numbered_batch(0, 4)).result, outcome::delivered);
  auto twice = bodies(0, 4);
  const auto again = bodies(0, 4);
  twice.insert(twice.end(), again.begin(), again.end());
  EXPECT_EQ(lines_of(o.path), twice);
  EXPECT_EQ(sink.counters().already_written, 2U);
}

TEST(file_sink, a_batch_cut_short_by_a_kill_is_completed_from_its_last_whole_line) {
  test::temp_dir dir;
  const auto o = options_in(dir);
  std::filesystem::create_directories(o.path.parent_path());
  const auto old = bodies(0, 4);
  test::write_file(o.path, old[0] + "\n" + old[1] + "\n" + old[2] + "\n" + old[3].substr(0, 7));
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 6)).result, outcome::delivered);
  EXPECT_EQ(lines_of(o.path), bodies(0, 6));
  EXPECT_EQ(sink.counters().already_written, 3U);
}

TEST(file_sink, a_batch_sent_again_after_a_kill_keeps_the_hash_chain_whole) {
  test::temp_dir dir;
  auto o = options_in(dir);
  o.hash_chain = true;
  earlier_run_wrote(o, 0, 5);
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 8)).result, outcome::delivered);
  const auto lines = lines_of(o.path);
  ASSERT_EQ(lines.size(), 8U);
  EXPECT_EQ(read_link(lines.back())->seq, 8U);
  EXPECT_EQ(unchained(lines.back()), bodies(7, 8)[0]);
  const auto report = verify_archive({o.path});
  EXPECT_TRUE(report.intact) << report.problem;
}

TEST(file_sink, rotates_by_size_keeping_n_gzipped_files) {
  test::temp_dir dir;
  auto o = options_in(dir);
  const auto line_bytes = numbered_batch(0, 1)[0].body.size() + 1;
  o.rotate_max_bytes = 3 * line_bytes;
  o.rotate_keep = 2;
  o.rotate_gzip = true;
  file_sink sink("archive", o);
  for (int i = 0; i < 12; i += 3) {
    ASSERT_EQ(deliver(sink, numbered_batch(i, i + 3)).result, outcome::delivered);
  }
  EXPECT_EQ(sink.counters().rotations, 3U);
  const auto base = o.path.string();
  EXPECT_EQ(lines_of(o.path),
            std::vector<std::string>({numbered_batch(9, 12)[0].body, numbered_batch(10, 11)[0].body,
                                      numbered_batch(11, 12)[0].body}));
  EXPECT_EQ(lines_of(base + ".1.gz").front(), numbered_batch(6, 7)[0].body);
  EXPECT_EQ(lines_of(base + ".2.gz").front(), numbered_batch(3, 4)[0].body);
  EXPECT_FALSE(std::filesystem::exists(base + ".3.gz"));
  EXPECT_FALSE(std::filesystem::exists(base + ".1"));
  EXPECT_EQ(mode_of(base + ".1.gz"), 0640U);
}

TEST(file_sink, a_batch_bigger_than_max_bytes_still_goes_into_one_file) {
  test::temp_dir dir;
  auto o = options_in(dir);
  o.rotate_max_bytes = 10;
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 4)).result, outcome::delivered);
  EXPECT_EQ(lines_of(o.path).size(), 4U);
  EXPECT_EQ(sink.counters().rotations, 0U);
}

TEST(file_sink, rotates_by_age) {
  test::temp_dir dir;
  auto o = options_in(dir);
  o.rotate_interval = duration{5};
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 1)).result, outcome::delivered);
  const auto written = std::chrono::steady_clock::now();
  ASSERT_TRUE(test::wait_until(
      [&] { return std::chrono::steady_clock::now() - written > std::chrono::milliseconds(10); }));
  EXPECT_EQ(deliver(sink, numbered_batch(1, 2)).result, outcome::delivered);
  EXPECT_EQ(sink.counters().rotations, 1U);
  EXPECT_EQ(lines_of(o.path.string() + ".1").size(), 1U);
  EXPECT_EQ(lines_of(o.path).size(), 1U);
}

TEST(file_sink, reopen_after_logrotate_renamed_the_file_writes_a_new_one) {
  test::temp_dir dir;
  auto o = options_in(dir);
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 2)).result, outcome::delivered);
  const auto moved = dir / "moved.jsonl";
  std::filesystem::rename(o.path, moved);
  // Until SIGHUP the sink writes to the file it has open, like any daemon.
  EXPECT_EQ(deliver(sink, numbered_batch(2, 3)).result, outcome::delivered);
  sink.reopen();
  EXPECT_EQ(deliver(sink, numbered_batch(3, 5)).result, outcome::delivered);
  EXPECT_EQ(lines_of(moved).size(), 3U);
  EXPECT_EQ(lines_of(o.path).size(), 2U);
}

TEST(file_sink, fsync_policies) {
  test::temp_dir dir;
  for (const auto policy : {fsync_policy::batch, fsync_policy::interval, fsync_policy::never}) {
    auto o = options_in(dir);
    o.path += std::to_string(static_cast<int>(policy));
    o.fsync = policy;
    o.fsync_interval = std::chrono::hours(1);
    file_sink sink("archive", o);
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(deliver(sink, numbered_batch(i, i + 1)).result, outcome::delivered);
    }
    const auto synced = sink.counters().fsyncs;
    boost::asio::io_context io;
    test::run(io, [&]() -> boost::asio::awaitable<bool> {
      co_await sink.close();
      co_return true;
    }());
    switch (policy) {
      case fsync_policy::batch:
        EXPECT_EQ(synced, 3U);
        EXPECT_EQ(sink.counters().fsyncs, 3U);
        break;
      case fsync_policy::interval:
        EXPECT_EQ(synced, 0U);                  // the interval has not passed
        EXPECT_EQ(sink.counters().fsyncs, 1U);  // close syncs what is pending
        break;
      case fsync_policy::never:
        EXPECT_EQ(sink.counters().fsyncs, 0U);
        break;
    }
    EXPECT_EQ(lines_of(o.path).size(), 3U);
  }
}

TEST(file_sink, fsync_interval_syncs_once_the_interval_has_passed) {
  test::temp_dir dir;
  auto o = options_in(dir);
  o.fsync = fsync_policy::interval;
  o.fsync_interval = duration{5};
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 1)).result, outcome::delivered);
  const auto written = std::chrono::steady_clock::now();
  ASSERT_TRUE(test::wait_until(
      [&] { return std::chrono::steady_clock::now() - written > std::chrono::milliseconds(10); }));
  EXPECT_EQ(deliver(sink, numbered_batch(1, 2)).result, outcome::delivered);
  EXPECT_EQ(sink.counters().fsyncs, 1U);
}

// The sink keeps one buffer for its batches: a small batch after a big one, and a big one after
// that, must leave exactly their own lines, chained or not.
TEST(file_sink, batches_of_changing_size_write_exactly_their_lines) {
  for (const bool chained : {false, true}) {
    test::temp_dir dir;
    auto o = options_in(dir);
    o.hash_chain = chained;
    file_sink sink("archive", o);
    std::string expected;
    chain_state state;
    int next = 0;
    for (const int size : {40, 1, 0, 7, 60, 2}) {
      const auto batch = numbered_batch(next, next + size);
      next += size;
      ASSERT_EQ(deliver(sink, batch).result, outcome::delivered);
      for (const auto& e : batch) {
        expected += (chained ? chain_line(e.body, state) : e.body) + "\n";
      }
    }
    EXPECT_EQ(test::read_file(o.path), expected) << "chained: " << chained;
    EXPECT_EQ(sink.counters().lines, 110U);
    if (chained) {
      EXPECT_TRUE(verify_archive({o.path}).intact);
    }
  }
}

TEST(file_sink, a_retried_batch_after_a_failure_is_written_whole) {
  file_options o;
  o.path = "/dev/full";
  file_sink sink("archive", o);
  const auto batch = numbered_batch(0, 50);
  EXPECT_EQ(deliver(sink, batch).result, outcome::retry);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 2)).result, outcome::retry);
  EXPECT_EQ(sink.counters().write_failures, 2U);
  EXPECT_EQ(sink.counters().lines, 0U);
}

TEST(file_sink, a_full_disk_is_a_retry) {
  file_options o;
  o.path = "/dev/full";
  file_sink sink("archive", o);
  const auto d = deliver(sink, numbered_batch(0, 2));
  EXPECT_EQ(d.result, outcome::retry);
  EXPECT_NE(d.reason.find("No space left"), std::string::npos) << d.reason;
  EXPECT_EQ(sink.counters().write_failures, 1U);
}

TEST(file_sink, a_directory_it_cannot_create_is_a_retry) {
  test::temp_dir dir;
  test::write_file(dir / "plain", "x");
  file_options o;
  o.path = dir / "plain" / "sub" / "events.jsonl";
  file_sink sink("archive", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 1)).result, outcome::retry);
}

}  // namespace
}  // namespace qsanfwd::sinks

// A keyed, sealed archive against the ways it can be cut or rewritten. Each case also says what
// an unkeyed chain without seals sees of the same damage: where it sees nothing, the test
// documents the limit that the key and the seals lift.

#include <gtest/gtest.h>

#include <algorithm>

#include "agent/core/ids.hpp"
#include "sinks/file/file_sink.hpp"
#include "sinks/file/hash_chain.hpp"
#include "tests/sinks/file/helpers.hpp"
#include "tests/support/capture_log.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace qsanfwd::sinks {
namespace {

using test::deliver;
using test::lines_of;
using test::numbered_batch;

const std::string key_bytes = "test-key-0123456789abcdef-0123456789abcdef";

void rewrite(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) {
    text += l + "\n";
  }
  test::write_file(file, text);
}

/// 20 events over five files of four lines (audit.jsonl.4 oldest), sealed after every batch of
/// two, the seals written as JSON lines as another file sink would hold them.
struct sealed_archive {
  explicit sealed_archive(bool keyed) {
    key_file = dir / "archive.key";
    test::write_file(key_file, key_bytes);
    std::filesystem::permissions(key_file, std::filesystem::perms::owner_read,
                                 std::filesystem::perm_options::replace);
    file_options o;
    o.path = dir / "audit.jsonl";
    o.hash_chain = true;
    if (keyed) {
      o.key_file = key_file;
    }
    o.seal_every_events = 2;
    o.seal_every = duration{0};
    chain_state sample;
    const chain_key k(key_bytes);
    const auto line = chain_line(numbered_batch(10, 11)[0].body, sample, keyed ? &k : nullptr);
    o.rotate_max_bytes = 4 * (line.size() + 1) + 8;
    file_sink sink("audit", o);
    std::string seals;
    sink.report_to([&](const event& e) { seals += to_json(e) + "\n"; });
    for (int i = 0; i < 20; i += 2) {
      EXPECT_EQ(deliver(sink, numbered_batch(i, i + 2)).result, outcome::delivered);
    }
    test::write_file(seals_file, seals);
  }

  std::vector<std::filesystem::path> files() const {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      if (entry.path().filename().string().starts_with("audit.jsonl")) {
        out.push_back(entry.path());
      }
    }
    return out;
  }

  /// Verified with the key and the seals (`keyed`), or as an unkeyed chain alone.
  archive_report verify(bool with_key_and_seals) const {
    verify_options v;
    if (with_key_and_seals) {
      v.key = &key;
      v.seals = read_seals(seals_file);
    }
    return verify_archive(files(), v);
  }

  std::string problems(const archive_report& r) const {
    std::string out = r.problem;
    for (const auto& p : r.seal_problems) {
      out += " | " + p;
    }
    return out;
  }

  test::temp_dir dir;
  std::filesystem::path key_file;
  std::filesystem::path seals_file = dir / "seals.jsonl";
  chain_key key{key_bytes};
};

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

TEST(sealed_archive, a_keyed_hash_is_hmac_sha256_whichever_key_came_before) {
  // RFC 4231, test case 2 (a short key: the 32-byte minimum is the key file's rule).
  const chain_key jefe("Jefe");
  const chain_key other(key_bytes);
  const std::string data = "what do ya want for nothing?";
  const std::string expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_EQ(line_hash(data, &jefe), expected);
  EXPECT_EQ(line_hash(data, &jefe), expected);  // the same key, kept
  EXPECT_NE(line_hash(data, &other), expected);
  EXPECT_EQ(line_hash(data, &jefe), expected);  // and keyed again
  EXPECT_EQ(line_hash(data, nullptr), sha256_hex(data));
}

TEST(sealed_archive, an_untouched_archive_agrees_with_its_key_and_every_seal) {
  sealed_archive a(true);
  ASSERT_EQ(a.files().size(), 5U);
  const auto r = a.verify(true);
  EXPECT_TRUE(r.ok()) << a.problems(r);
  EXPECT_EQ(r.lines, 20U);
  EXPECT_EQ(r.seals_checked, 10U);
  ASSERT_TRUE(r.newest_seal);
  EXPECT_EQ(r.newest_seal->seq, 20U);
  EXPECT_TRUE(r.newest_seal->keyed);
  // A keyed chain without its key cannot be checked, and says so.
  const auto without = verify_archive(a.files());
  EXPECT_TRUE(without.key_needed);
  EXPECT_FALSE(without.ok());
}

TEST(sealed_archive, a_seal_is_an_agent_event_with_its_fields) {
  sealed_archive a(true);
  const auto lines = lines_of(a.seals_file);
  ASSERT_EQ(lines.size(), 10U);
  const auto e = event_from_json(lines.back());
  EXPECT_EQ(e.kind, event_kind::agent);
  EXPECT_EQ(e.type, "archive_seal");
  const auto live = (a.dir / "audit.jsonl").string();
  EXPECT_EQ(e.fields,
            (field_list{{"sink", "audit"},
                        {"file", live},
                        {"chain_seq", "20"},
                        {"chain_hmac", state_after(lines_of(live).back(), &a.key).last_hash}}));
  // The key itself is in no seal.
  EXPECT_EQ(test::read_file(a.seals_file).find(key_bytes), std::string::npos);
}

TEST(sealed_archive, a_cut_tail_is_missing_at_the_end) {
  sealed_archive a(true);
  auto lines = lines_of(a.dir / "audit.jsonl");
  lines.pop_back();
  rewrite(a.dir / "audit.jsonl", lines);
  const auto r = a.verify(true);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r.seal_problems, "missing at the end: lines 20 to 20")) << a.problems(r);
  // The limit without seals: the chain ends where the file ends.
  sealed_archive plain(false);
  lines = lines_of(plain.dir / "audit.jsonl");
  lines.pop_back();
  rewrite(plain.dir / "audit.jsonl", lines);
  EXPECT_TRUE(plain.verify(false).ok());
}

TEST(sealed_archive, a_cut_head_is_missing_at_the_start) {
  const auto cut = [](const sealed_archive& a) {
    auto lines = lines_of(a.dir / "audit.jsonl.4");
    lines.erase(lines.begin(), lines.begin() + 3);
    rewrite(a.dir / "audit.jsonl.4", lines);
  };
  sealed_archive a(true);
  cut(a);
  const auto r = a.verify(true);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(mentions(r.seal_problems, "missing at the start: line 2 ")) << a.problems(r);
  // The limit without seals: the oldest line is trusted as the chain's start.
  sealed_archive plain(false);
  cut(plain);
  EXPECT_TRUE(plain.verify(false).ok());
}

TEST(sealed_archive, a_dropped_rotated_file_is_missing) {
  sealed_archive a(true);
  std::filesystem::remove(a.dir / "audit.jsonl.4");
  const auto oldest = a.verify(true);
  EXPECT_FALSE(oldest.ok());
  EXPECT_TRUE(mentions(oldest.seal_problems, "missing at the start: line 4 "))
      << a.problems(oldest);
  std::filesystem::remove(a.dir / "audit.jsonl.2");
  const auto middle = a.verify(true);
  EXPECT_FALSE(middle.intact);
  EXPECT_EQ(middle.problem, "4 line(s) removed before this line");
  EXPECT_TRUE(mentions(middle.seal_problems, "missing: line 10 ")) << a.problems(middle);
  // Without seals a file dropped from the middle still shows; the oldest one does not.
  sealed_archive plain(false);
  std::filesystem::remove(plain.dir / "audit.jsonl.4");
  EXPECT_TRUE(plain.verify(false).ok());
  std::filesystem::remove(plain.dir / "audit.jsonl.2");
  EXPECT_FALSE(plain.verify(false).intact);
}

TEST(sealed_archive, an_edited_line_is_tampered) {
  const auto edit = [](const sealed_archive& a) {
    auto lines = lines_of(a.dir / "audit.jsonl.2");
    lines[1].replace(lines[1].find("event"), 5, "EVENT");
    rewrite(a.dir / "audit.jsonl.2", lines);
  };
  sealed_archive a(true);
  edit(a);
  const auto r = a.verify(true);
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.file, a.dir / "audit.jsonl.2");
  EXPECT_EQ(r.line, 2U);
  EXPECT_TRUE(mentions(r.seal_problems, "tampered: line 10 ")) << a.problems(r);
  // The unkeyed chain sees an edit too.
  sealed_archive plain(false);
  edit(plain);
  EXPECT_FALSE(plain.verify(false).intact);
}

// Replaces line 18 (the live file's second) with a forged event and links it and the lines
// after it as `key` says: the forger's best without the real key.
void forge_and_relink(const sealed_archive& a, const chain_key* key) {
  const auto file = a.dir / "audit.jsonl";
  auto lines = lines_of(file);
  auto state = state_after(lines[0], key);
  std::vector<std::string> relinked{lines[0]};
  auto forged = numbered_batch(17, 20);
  auto changed = event_from_json(forged[0].body);
  changed.message = "nothing happened";
  forged[0] = queued_event(forged[0].seq, to_json(changed));
  for (const auto& e : forged) {
    relinked.push_back(chain_line(e.body, state, key));
  }
  rewrite(file, relinked);
}

TEST(sealed_archive, a_recomputed_chain_with_a_forged_line_is_tampered) {
  sealed_archive plain(false);
  forge_and_relink(plain, nullptr);
  // The limit of an unkeyed chain: whoever can write the file can recompute it.
  EXPECT_TRUE(plain.verify(false).ok());
  // Its seals, kept elsewhere, still show it.
  verify_options sealed;
  sealed.seals = read_seals(plain.seals_file);
  const auto seen = verify_archive(plain.files(), sealed);
  EXPECT_FALSE(seen.ok());
  EXPECT_TRUE(mentions(seen.seal_problems, "tampered: line 18 ")) << plain.problems(seen);

  // A keyed chain relinked without the key, or with another key: the key alone shows it.
  for (const bool other_key : {false, true}) {
    sealed_archive a(true);
    const chain_key wrong("another-key-0123456789abcdef-0123456789");
    forge_and_relink(a, other_key ? &wrong : nullptr);
    verify_options keyed;
    keyed.key = &a.key;
    const auto r = verify_archive(a.files(), keyed);
    EXPECT_FALSE(r.intact) << other_key;
    EXPECT_EQ(r.file, a.dir / "audit.jsonl");
    EXPECT_EQ(r.line, other_key ? 1U : 2U) << r.problem;
    EXPECT_FALSE(a.verify(true).ok());
  }
}

TEST(sealed_archive, a_file_written_without_hash_chain_is_not_chained_rather_than_tampered) {
  test::temp_dir dir;
  file_options o;
  o.path = dir / "plain.jsonl";
  {
    file_sink sink("plain", o);
    EXPECT_EQ(deliver(sink, numbered_batch(0, 3)).result, outcome::delivered);
  }
  const auto r = verify_archive({o.path});
  EXPECT_TRUE(r.intact);
  EXPECT_EQ(r.not_chained, 3U);
  EXPECT_EQ(r.lines, 3U);
  EXPECT_FALSE(r.ok());
}

TEST(sealed_archive, seals_are_read_from_syslog_lines_too) {
  const std::string hash(64, 'a');
  const auto s = find_seal(
      "<134>1 2026-12-07T02:00:00Z host qsanfwd - archive_seal - \xEF\xBB\xBF"
      "Archive seal: chain_seq=42 chain_hmac=" +
      hash + " at=2026-12-07T02:00:00Z file=/var/log/a b.jsonl\r");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->seq, 42U);
  EXPECT_TRUE(s->keyed);
  EXPECT_EQ(s->hash, hash);
  EXPECT_EQ(s->at, "2026-12-07T02:00:00Z");
  EXPECT_EQ(s->file, "/var/log/a b.jsonl");
  EXPECT_FALSE(find_seal("{\"type\":\"info\",\"message\":\"Archive seal: chain_seq=1\"}"));
  EXPECT_FALSE(find_seal("Archive seal: chain_seq=x chain=" + hash + " at=t file=f"));
  EXPECT_FALSE(find_seal("Archive seal: chain_seq=1 chain=abc at=t file=f"));
}

TEST(sealed_archive, seals_come_by_count_at_rotation_at_close_and_by_time) {
  test::temp_dir dir;
  file_options o;
  o.path = dir / "audit.jsonl";
  o.hash_chain = true;
  o.seal_every_events = 3;
  o.seal_every = duration{0};
  chain_state sample;
  o.rotate_max_bytes = 4 * (chain_line(numbered_batch(10, 11)[0].body, sample).size() + 1) + 8;
  std::vector<std::uint64_t> sealed;
  const auto collect = [&](const event& e) {
    sealed.push_back(std::stoull(e.fields.at(2).second));
  };
  {
    file_sink sink("audit", o);
    sink.report_to(collect);
    for (const auto& [from, to] : {std::pair{0, 3}, {3, 4}, {4, 5}}) {
      EXPECT_EQ(deliver(sink, numbered_batch(from, to)).result, outcome::delivered);
    }
    EXPECT_EQ(sink.counters().rotations, 1U);
    boost::asio::io_context io;
    test::run(io, [&]() -> boost::asio::awaitable<bool> {
      co_await sink.close();
      co_return true;
    }());
  }
  // By count after line 3, before the rotation that line 5 called for, and at close.
  EXPECT_EQ(sealed, (std::vector<std::uint64_t>{3, 4, 5}));
  o.seal_every_events = 0;
  o.seal_every = duration{1};
  sealed.clear();
  file_sink sink("audit", o);
  sink.report_to(collect);
  int next = 5;
  EXPECT_TRUE(test::wait_until([&] {
    EXPECT_EQ(deliver(sink, numbered_batch(next, next + 1)).result, outcome::delivered);
    ++next;
    return !sealed.empty();
  }));
  EXPECT_EQ(sealed.back(), static_cast<std::uint64_t>(next));
}

TEST(sealed_archive, lines_left_unsealed_when_writing_stops_are_sealed_by_a_timer) {
  test::temp_dir dir;
  file_options o;
  o.path = dir / "audit.jsonl";
  o.hash_chain = true;
  o.seal_every_events = 0;
  o.seal_every = duration{50};
  boost::asio::io_context io;
  file_sink sink("audit", o, io.get_executor());
  std::vector<std::uint64_t> sealed;
  sink.report_to([&](const event& e) { sealed.push_back(std::stoull(e.fields.at(2).second)); });
  EXPECT_EQ(deliver(sink, numbered_batch(0, 3)).result, outcome::delivered);
  EXPECT_TRUE(sealed.empty());
  EXPECT_TRUE(test::wait_until([&] {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
    return !sealed.empty();
  }));
  EXPECT_EQ(sealed, (std::vector<std::uint64_t>{3}));
  // Nothing new: the timer is not armed again, and no seal repeats.
  io.restart();
  io.run_for(std::chrono::milliseconds(120));
  EXPECT_EQ(sealed.size(), 1U);
}

TEST(sealed_archive, a_short_or_exposed_key_file) {
  test::temp_dir dir;
  test::write_file(dir / "short.key", "secret-but-short");
  file_options o;
  o.path = dir / "audit.jsonl";
  o.hash_chain = true;
  o.key_file = dir / "short.key";
  try {
    file_sink sink("audit", o);
    ADD_FAILURE() << "a 16-byte key was taken";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("holds 16 bytes"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("secret-but-short"), std::string::npos);
  }
  test::write_file(dir / "open.key", key_bytes);
  std::filesystem::permissions(dir / "open.key", std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  o.key_file = dir / "open.key";
  test::capture_log log;
  file_sink sink("audit", o);
  EXPECT_EQ(deliver(sink, numbered_batch(0, 1)).result, outcome::delivered);
  EXPECT_NE(log.text().find("can be read by its group or others"), std::string::npos);
  EXPECT_EQ(log.text().find(key_bytes), std::string::npos);
}

}  // namespace
}  // namespace qsanfwd::sinks

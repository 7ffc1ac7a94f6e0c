#include "sinks/file/file_options.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/config_error.hpp"

namespace qsanfwd::sinks {
namespace {

file_options parse(const std::string& text) {
  auto r = config::object_reader::open(
      nlohmann::json::parse(text), [](const std::string&) { return std::optional<std::string>(); });
  auto o = parse_file_options(r);
  r.finish();
  return o;
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "";
}

TEST(file_options, a_constant_path_is_a_path_and_braces_are_written_doubled) {
  const auto o = parse(R"({"path": "/var/log/q/{{x}}-100%%.jsonl"})");
  EXPECT_EQ(o.path, "/var/log/q/{x}-100%.jsonl");
  EXPECT_FALSE(o.path_template);
}

TEST(file_options, a_path_with_placeholders_is_a_template) {
  const auto o = parse(R"({"path": "/var/log/q/{device}/%Y-%m-%d.jsonl"})");
  ASSERT_TRUE(o.path_template);
  EXPECT_EQ(o.path_template->text(), "/var/log/q/{device}/%Y-%m-%d.jsonl");
  EXPECT_EQ(o.max_open_files, 64U);
  EXPECT_EQ(parse(R"({"path": "/q/{kind}", "max_open_files": 3})").max_open_files, 3U);
}

TEST(file_options, mistakes_are_named_with_their_path) {
  EXPECT_NE(error_of(R"({"path": "/q/{devise}.jsonl"})").find("/path: unknown field \"devise\""),
            std::string::npos)
      << error_of(R"({"path": "/q/{devise}.jsonl"})");
  EXPECT_NE(error_of(R"({"path": "/q/%Q.jsonl"})").find("/path: "), std::string::npos);
  EXPECT_NE(error_of(R"({"path": "/q/{device"})").find("not closed"), std::string::npos);
  EXPECT_NE(error_of(R"({"path": "/q/{device}/"})").find("/path: "), std::string::npos);
  EXPECT_NE(error_of(R"({"path": ""})").find("/path: "), std::string::npos);
  EXPECT_NE(error_of(R"({"path": "/q/a.jsonl", "max_open_files": 3})")
                .find("/max_open_files: applies to a path with placeholders only"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"path": "/q/{device}", "max_open_files": 0})").find("/max_open_files"),
            std::string::npos);
}

TEST(file_options, a_chain_takes_a_key_file_and_seals_with_defaults_in_the_effective_config) {
  auto r = config::object_reader::open(
      nlohmann::json::parse(R"({"path": "/q/a.jsonl", "hash_chain": true,
                                "key_file": "/etc/qsanfwd/archive.key", "seal": {"every": "1m"}})"),
      [](const std::string&) { return std::optional<std::string>(); });
  const auto o = parse_file_options(r);
  r.finish();
  EXPECT_EQ(o.key_file, "/etc/qsanfwd/archive.key");
  EXPECT_EQ(o.seal_every_events, 10000U);
  EXPECT_EQ(o.seal_every, duration{60000});
  const auto& effective = r.effective_document();
  EXPECT_EQ(effective["key_file"], "/etc/qsanfwd/archive.key");
  EXPECT_EQ(effective["seal"]["every_events"], 10000);
  EXPECT_EQ(effective["seal"]["every"], "1m");
  const auto plain = parse(R"({"path": "/q/a.jsonl", "hash_chain": true})");
  EXPECT_TRUE(plain.key_file.empty());
  EXPECT_EQ(plain.seal_every, duration{300000});
}

TEST(file_options, key_file_and_seal_need_a_chain) {
  EXPECT_NE(error_of(R"({"path": "/q/a.jsonl", "key_file": "/k"})")
                .find("/key_file: applies with \"hash_chain\": true only"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"path": "/q/a.jsonl", "seal": {}})").find("/seal: applies with"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"path": "/q/a.jsonl", "hash_chain": true, "seal": {"every_events": -1}})")
                .find("/seal/every_events"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"path": "/q/a.jsonl", "hash_chain": true, "seal": {"evry": "1m"}})")
                .find("/seal/evry: unknown key"),
            std::string::npos);
}

}  // namespace
}  // namespace qsanfwd::sinks

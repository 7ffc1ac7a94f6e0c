#include "agent/core/utf8.hpp"

#include <gtest/gtest.h>

namespace qsanfwd {
namespace {

constexpr std::string_view fffd = "\xEF\xBF\xBD";

TEST(repair_utf8, well_formed_text_is_left_as_it_is) {
  for (std::string text : {std::string(), std::string("plain ASCII"),
                           std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x92\xBE"),
                           std::string("nul \0 inside", 12)}) {
    const auto before = text;
    const auto* data = text.data();
    EXPECT_EQ(repair_utf8(text), 0U);
    EXPECT_EQ(text, before);
    EXPECT_EQ(text.data(), data) << "well-formed text must not be copied";
  }
}

TEST(repair_utf8, each_stray_byte_becomes_one_replacement_character) {
  struct example {
    std::string in;
    std::string out;
    std::size_t replaced;
  };
  const std::string r(fffd);
  const example examples[] = {
      {"Jos\xE9", "Jos" + r, 1},                              // Latin-1 é
      {"\xFF\xFE", r + r, 2},                                 // never in UTF-8
      {"\xC0\xAF", r + r, 2},                                 // overlong '/'
      {"\xED\xA0\x80", r + r + r, 3},                         // a surrogate
      {"\xF4\x90\x80\x80", r + r + r + r, 4},                 // beyond U+10FFFF
      {"cut \xE2\x82", "cut " + r + r, 2},                    // truncated at the end
      {"\x80 lone", r + " lone", 1},                          // a continuation alone
      {"a\xC3\xA9\xE9z", "a\xC3\xA9" + r + "z", 1},           // good then bad
  };
  for (const auto& e : examples) {
    auto text = e.in;
    EXPECT_EQ(count_invalid_utf8(text), e.replaced) << e.in;
    EXPECT_EQ(repair_utf8(text), e.replaced) << e.in;
    EXPECT_EQ(text, e.out);
    auto again = text;
    EXPECT_EQ(repair_utf8(again), 0U) << "the repaired text is well-formed";
  }
}

TEST(repair_utf8, the_same_bytes_repair_to_the_same_text) {
  std::string a = R"({"message":"User 'M)" "\xFC" R"(ller' logged in"})";
  std::string b = a;
  repair_utf8(a);
  repair_utf8(b);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("M\xEF\xBF\xBDller"), std::string::npos);
}

TEST(repair_utf8, stray_bytes_and_characters_at_every_offset_of_a_long_ascii_run) {
  // The scan takes ASCII eight bytes at a time: a stray byte or a well-formed character at
  // any offset from a word's start, and at the end, is found as it is byte by byte.
  for (std::size_t at = 0; at < 24; ++at) {
    std::string text(24, 'a');
    text.insert(at, "\xFC");
    EXPECT_EQ(count_invalid_utf8(text), 1U) << at;
    EXPECT_EQ(repair_utf8(text), 1U) << at;
    EXPECT_EQ(text.substr(at, 3), "\xEF\xBF\xBD") << at;
    std::string fine(24, 'a');
    fine.insert(at, "\xC3\xBC");
    EXPECT_EQ(count_invalid_utf8(fine), 0U) << at;
  }
}

}  // namespace
}  // namespace qsanfwd

#include "agent/core/plain_run.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace qsanfwd {
namespace {

// What plain_run_end must find, a byte at a time.
template <del_byte Del>
std::size_t reference(const std::string& s) {
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || (c == 0x7f && Del == del_byte::escaped)) {
      break;
    }
  }
  return i;
}

template <del_byte Del>
std::size_t run_of(const std::string& s) {
  return static_cast<std::size_t>(plain_run_end<Del>(s.data(), s.data() + s.size()) - s.data());
}

// Every byte value, at every place of runs around the eight-byte step, after plain text.
TEST(plain_run, stops_at_each_special_byte_wherever_it_stands) {
  for (int b = 0; b < 256; ++b) {
    for (std::size_t at = 0; at < 20; ++at) {
      for (std::size_t length : {at + 1, at + 9, std::size_t{24}}) {
        std::string s(std::max(length, at + 1), 'a');
        s[at] = static_cast<char>(b);
        ASSERT_EQ(run_of<del_byte::plain>(s), reference<del_byte::plain>(s)) << b << " at " << at;
        ASSERT_EQ(run_of<del_byte::escaped>(s), reference<del_byte::escaped>(s))
            << b << " at " << at;
      }
    }
  }
}

TEST(plain_run, del_is_plain_only_where_asked) {
  const std::string s = "abcdefghij\x7fz";
  EXPECT_EQ(run_of<del_byte::plain>(s), s.size());
  EXPECT_EQ(run_of<del_byte::escaped>(s), 10U);
}

// Bytes next to the tested ones (just below a space, just above a quote...) must not be taken
// for them, nor hide them: random text drawn mostly from such neighbours.
TEST(plain_run, agrees_with_a_byte_at_a_time_on_random_text) {
  std::mt19937 random(7);
  const std::string near = std::string("\x1f\x20\x21\x22\x23\x5b\x5c\x5d\x7e\x7f\x80\xff\x00", 13);
  std::uniform_int_distribution<std::size_t> pick(0, near.size() - 1);
  std::uniform_int_distribution<int> any(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 40);
  for (int round = 0; round < 20000; ++round) {
    std::string s(length(random), ' ');
    for (auto& c : s) {
      c = round % 2 == 0 ? near[pick(random)] : static_cast<char>(any(random));
    }
    // Mostly plain up front, so that runs cross the eight-byte steps.
    for (std::size_t i = 0; i < s.size() / 2; ++i) {
      s[i] = static_cast<char>('A' + i % 26);
    }
    ASSERT_EQ(run_of<del_byte::plain>(s), reference<del_byte::plain>(s)) << round;
    ASSERT_EQ(run_of<del_byte::escaped>(s), reference<del_byte::escaped>(s)) << round;
  }
}

}  // namespace
}  // namespace qsanfwd

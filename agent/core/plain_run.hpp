#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace qsanfwd {

/// Whether DEL (0x7f) counts as plain: JSON takes it as it is (and nlohmann's lexer reads it),
/// but the agent's writer escapes it.
enum class del_byte { plain, escaped };

namespace plain_run_detail {

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t high = 0x8080808080808080ULL;

/// The high bit of each byte of v that is zero. Borrows may mark bytes above a zero byte as
/// well, never below one: the lowest mark is exact, and that is all that is asked.
constexpr std::uint64_t zero_bytes(std::uint64_t v) {
  return (v - ones) & ~v & high;
}

/// Marks on the bytes of x (in memory order from the lowest) that a JSON string cannot hold as
/// they are, the lowest of them exact.
template <del_byte Del>
constexpr std::uint64_t special_bytes(std::uint64_t x) {
  auto marks = (x & high)                         // not ASCII
               | ((x - ones * 0x20) & ~x & high)  // a control character
               | zero_bytes(x ^ (ones * '"')) | zero_bytes(x ^ (ones * '\\'));
  if constexpr (Del == del_byte::escaped) {
    marks |= zero_bytes(x ^ (ones * 0x7f));
  }
  return marks;
}

/// Which byte, in memory order, the lowest mark is on.
inline std::size_t first_marked(std::uint64_t marks) {
  if constexpr (std::endian::native == std::endian::little) {
    return static_cast<std::size_t>(std::countr_zero(marks)) / 8;
  } else {
    return static_cast<std::size_t>(std::countl_zero(marks)) / 8;
  }
}

}  // namespace plain_run_detail

/// The end of the run of bytes at `p` that a JSON string holds as they are: printable ASCII
/// but '"' and '\\' (and DEL, as `Del` says). Reading queued events back and writing them spend
/// much of their time here, so eight bytes are tested at a time (callgrind: ~2 instructions a
/// byte of a log message, against ~7 with a table lookup per byte).
template <del_byte Del>
const char* plain_run_end(const char* p, const char* end) {
  using namespace plain_run_detail;
  for (; end - p >= 8; p += 8) {
    std::uint64_t x = 0;
    std::memcpy(&x, p, 8);
    if (const auto marks = special_bytes<Del>(x); marks != 0) {
      return p + first_marked(marks);
    }
  }
  // The last few bytes one at a time: most strings of an event are short (its kind, device,
  // type...), and a load of fewer than eight bytes costs a call of its own.
  static constexpr auto plain = [] {
    std::array<bool, 256> table{};
    for (unsigned c = 0; c < 256; ++c) {
      table[c] = (special_bytes<Del>(c) & 0x80) == 0;  // the lowest byte's mark
    }
    return table;
  }();
  while (p != end && plain[static_cast<unsigned char>(*p)]) {
    ++p;
  }
  return p;
}

}  // namespace qsanfwd

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace qsanfwd {

/// Length of the well-formed UTF-8 sequence of two to four bytes at the start of `s`
/// (RFC 3629, the ranges nlohmann's lexer accepts), or 0 for an ASCII byte, an empty `s` or
/// anything ill-formed. Inline: the JSON readers call it for every non-ASCII character.
inline std::size_t utf8_length(std::string_view s) {
  const auto byte = [&s](std::size_t i) {
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0U;
  };
  const auto in = [](unsigned b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  const unsigned b0 = byte(0);
  const unsigned b1 = byte(1);
  if (in(b0, 0xC2, 0xDF)) {
    return in(b1, 0x80, 0xBF) ? 2 : 0;
  }
  if (in(b0, 0xE0, 0xEF)) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(b1, lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(b1, lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

/// The offset of the first byte of `text` at or after `from` that neither is ASCII nor starts
/// (or continues) a well-formed sequence, or text.size(). ASCII is skipped eight bytes at a time.
std::size_t first_invalid_utf8(std::string_view text, std::size_t from);

/// How many bytes of `text` repair_utf8 would replace.
std::size_t count_invalid_utf8(std::string_view text);

/// The longest start of `text` of at most `max_bytes` that does not end inside a character.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

/// Replaces, in place, every byte of `text` that neither is ASCII nor starts (or continues) a
/// well-formed UTF-8 sequence with U+FFFD (EF BF BD), and returns how many it replaced. One
/// replacement per stray byte keeps the result a function of the bytes alone, so the same
/// answer always repairs to the same text. Well-formed text is only read, never copied.
std::size_t repair_utf8(std::string& text);

}  // namespace qsanfwd

#include "agent/core/utf8.hpp"

#include <cstdint>
#include <cstring>

#include "agent/core/plain_run.hpp"

namespace qsanfwd {

std::size_t first_invalid_utf8(std::string_view text, std::size_t from) {
  while (from < text.size()) {
    // Every answer body passes here: ASCII, nearly all of it, eight bytes at a time (a byte at
    // a time cost ~620 instructions an event in the drain benchmark).
    for (std::uint64_t x = 0; text.size() - from >= 8; from += 8) {
      std::memcpy(&x, text.data() + from, 8);
      if ((x & plain_run_detail::high) != 0) {
        break;
      }
    }
    if (from == text.size()) {
      break;
    }
    if (static_cast<unsigned char>(text[from]) < 0x80) {
      ++from;
      continue;
    }
    const auto len = utf8_length(text.substr(from));
    if (len == 0) {
      return from;
    }
    from += len;
  }
  return from;
}


std::size_t count_invalid_utf8(std::string_view text) {
  std::size_t count = 0;
  for (auto bad = first_invalid_utf8(text, 0); bad < text.size(); bad = first_invalid_utf8(text, bad + 1)) {
    ++count;
  }
  return count;
}

std::size_t repair_utf8(std::string& text) {
  auto bad = first_invalid_utf8(text, 0);
  if (bad == text.size()) {
    return 0;
  }
  constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  // Exactly the size it will have: growing by doubling would touch up to twice the memory.
  out.reserve(text.size() + 2 * count_invalid_utf8(std::string_view(text).substr(bad)));
  out.append(text, 0, bad);
  std::size_t replaced = 0;
  while (bad < text.size()) {
    out += replacement;
    ++replaced;
    const auto next = first_invalid_utf8(text, bad + 1);
    out.append(text, bad + 1, next - bad - 1);
    bad = next;
  }
  text = std::move(out);
  return replaced;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  auto end = max_bytes;
  // Back off continuation bytes (10xxxxxx): the cut falls before the character they belong to.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

}  // namespace qsanfwd

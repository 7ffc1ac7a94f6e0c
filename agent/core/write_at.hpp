#pragma once

// Writing text at a pointer into room made once for the longest form, the string cut to what
// was written afterwards: each small append's capacity check and call were most of writing an
// event's short fields (its canonical JSON, its id's input, its RFC 5424 message).

#include <cstddef>
#include <cstring>
#include <string_view>

namespace qsanfwd {

/// `text` at `p`; returns the end of what was written.
inline char* write_text(char* p, std::string_view text) {
  if (!text.empty()) {  // an empty view's data() may be null, which memcpy must not get
    std::memcpy(p, text.data(), text.size());
  }
  return p + text.size();
}

/// `literal` (a string literal, without its terminating NUL) at `p`: a copy of known size.
template <std::size_t N>
char* write_literal(char* p, const char (&literal)[N]) {
  std::memcpy(p, literal, N - 1);
  return p + N - 1;
}

}  // namespace qsanfwd

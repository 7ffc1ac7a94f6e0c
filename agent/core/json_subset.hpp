#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "agent/core/plain_run.hpp"
#include "agent/core/utf8.hpp"

namespace qsanfwd {

namespace json_subset_detail {

/// Appends code point `cp` (below U+10000) as UTF-8.
inline void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Decodes the escape at `p` (just past its backslash) onto `out`. False for what the subset
/// leaves to nlohmann: an unknown escape, a surrogate `\u`, too few bytes.
inline bool read_escape(const char*& p, const char* end, std::string& out) {
  if (p == end) {
    return false;
  }
  const char c = *p++;
  switch (c) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      break;
    default:
      return false;
  }
  if (end - p < 4) {
    return false;
  }
  unsigned cp = 0;
  for (int i = 0; i < 4; ++i, ++p) {
    const char h = *p;
    unsigned digit = 0;
    if (h >= '0' && h <= '9') {
      digit = static_cast<unsigned>(h - '0');
    } else if (h >= 'a' && h <= 'f') {
      digit = static_cast<unsigned>(h - 'a' + 10);
    } else if (h >= 'A' && h <= 'F') {
      digit = static_cast<unsigned>(h - 'A' + 10);
    } else {
      return false;
    }
    cp = (cp << 4) | digit;
  }
  if (cp >= 0xD800 && cp <= 0xDFFF) {
    return false;  // a surrogate pair: left to nlohmann
  }
  append_utf8(out, cp);
  return true;
}

/// Decodes the rest of a string, from `p` (past its opening quote) through its closing quote,
/// onto `out`; `p` is then past the closing quote. False for a control character, malformed
/// UTF-8, an escape the subset leaves to nlohmann, or no closing quote.
inline bool read_string_rest(const char*& p, const char* end, std::string& out) {
  for (;;) {
    const char* run = p;
    p = plain_run_end<del_byte::plain>(p, end);
    // By pointer and size: append(first, last) goes through _M_replace, ~45 instructions a
    // string more under callgrind (an event's JSON has about twenty of them).
    out.append(run, static_cast<std::size_t>(p - run));
    if (p == end) {
      return false;
    }
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') {
      ++p;
      return true;
    }
    if (c == '\\') {
      ++p;
      if (!read_escape(p, end, out)) {
        return false;
      }
      continue;
    }
    const auto len = c >= 0x80 ? utf8_length(std::string_view(p, end)) : 0;
    if (len == 0) {
      return false;  // a control character or malformed UTF-8
    }
    out.append(p, len);
    p += len;
  }
}

}  // namespace json_subset_detail

/// Feeds a SAX handler (the interface of json::sax_parse) from the part of JSON that arrays
/// send and the agent writes, several times faster than nlohmann's lexer, which spent most of
/// its time taking one byte at a time. Numbers are integers only (no fraction or exponent,
/// within 64 bits); `\u` escapes stay outside the surrogates; no byte-order mark; nesting up to
/// 64 deep. Anything else, valid JSON or not, makes run() false before the handler has seen a
/// wrong event: the caller then reads the text with nlohmann (json::sax_parse or the DOM), so
/// what is accepted, and as what, is always nlohmann's answer. A handler may move from the
/// strings it is given. A handler with `bool key_view(std::string_view)` is given keys that
/// hold no escape that way, and others by key().
template <typename Handler>
class subset_json_reader {
 public:
  subset_json_reader(std::string_view text, Handler& handler)
      : p_(text.data()), end_(text.data() + text.size()), handler_(handler) {}

  bool run() {
    skip_space();
    if (!value(0)) {
      return false;
    }
    skip_space();
    return p_ == end_;
  }

 private:
  static constexpr int max_depth = 64;
  static constexpr auto unknown_size = static_cast<std::size_t>(-1);

  bool at(char c) const { return p_ != end_ && *p_ == c; }

  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  bool value(int depth) {
    if (p_ == end_) {
      return false;
    }
    switch (*p_) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string() && handler_.string(token_);
      case 't':
        return literal("true") && handler_.boolean(true);
      case 'f':
        return literal("false") && handler_.boolean(false);
      case 'n':
        return literal("null") && handler_.null();
      default:
        return number();
    }
  }

  bool object(int depth) {
    if (depth > max_depth || !handler_.start_object(unknown_size)) {
      return false;
    }
    ++p_;
    skip_space();
    if (at('}')) {
      ++p_;
      return handler_.end_object();
    }
    for (;;) {
      if (!at('"') || !key()) {
        return false;
      }
      skip_space();
      if (!at(':')) {
        return false;
      }
      ++p_;
      skip_space();
      if (!value(depth)) {
        return false;
      }
      skip_space();
      if (at('}')) {
        ++p_;
        return handler_.end_object();
      }
      if (!at(',')) {
        return false;
      }
      ++p_;
      skip_space();
    }
  }

  bool array(int depth) {
    if (depth > max_depth || !handler_.start_array(unknown_size)) {
      return false;
    }
    ++p_;
    skip_space();
    if (at(']')) {
      ++p_;
      return handler_.end_array();
    }
    for (;;) {
      if (!value(depth)) {
        return false;
      }
      skip_space();
      if (at(']')) {
        ++p_;
        return handler_.end_array();
      }
      if (!at(',')) {
        return false;
      }
      ++p_;
      skip_space();
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  /// An integer as nlohmann reads one: unsigned without a sign, signed with one.
  bool number() {
    const char* start = p_;
    const bool negative = at('-');
    if (negative) {
      ++p_;
    }
    if (at('0')) {
      ++p_;
    } else if (p_ != end_ && *p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        ++p_;
      }
    } else {
      return false;
    }
    if (at('.') || at('e') || at('E')) {
      return false;
    }
    if (negative) {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(start, p_, v);
      return ec == std::errc{} && end == p_ && handler_.number_integer(v);
    }
    std::uint64_t u = 0;
    const auto [end, ec] = std::from_chars(start, p_, u);
    return ec == std::errc{} && end == p_ && handler_.number_unsigned(u);
  }

  /// The key at p_ (at its opening quote). One without escapes goes to a handler that takes
  /// keys as views (`key_view`) from where it lies: copied into token_ first, an event's eleven
  /// keys cost ~800 instructions under callgrind.
  bool key() {
    if constexpr (requires(std::string_view k) { handler_.key_view(k); }) {
      const char* start = p_ + 1;
      const char* stop = plain_run_end<del_byte::plain>(start, end_);
      if (stop != end_ && *stop == '"') {
        p_ = stop + 1;
        return handler_.key_view(std::string_view(start, static_cast<std::size_t>(stop - start)));
      }
    }
    return string() && handler_.key(token_);
  }

  /// The string at p_ (at its opening quote), decoded into token_.
  bool string() {
    ++p_;
    token_.clear();
    return json_subset_detail::read_string_rest(p_, end_, token_);
  }

  const char* p_;
  const char* end_;
  Handler& handler_;
  std::string token_;
};

}  // namespace qsanfwd

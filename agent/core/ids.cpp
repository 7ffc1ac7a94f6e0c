#include "agent/core/ids.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <memory>
#include <new>
#include <stdexcept>

#include "agent/core/write_at.hpp"

namespace qsanfwd {
namespace {

using digest = std::array<unsigned char, 32>;

/// One SHA-256 at a time per thread. The algorithm is fetched from OpenSSL's provider once and
/// the context reused: an event id per log line made the per-call fetch and allocation show up
/// in drain profiles.
class sha256 {
 public:
  sha256() : ctx_(context()) {
    if (EVP_DigestInit_ex2(ctx_, algorithm(), nullptr) != 1) {
      throw std::runtime_error("SHA-256 is not available from OpenSSL");
    }
  }
  void update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  digest finish() {
    digest out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out.data(), &len);
    return out;
  }

 private:
  static const EVP_MD* algorithm() {
    static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
        EVP_MD_fetch(nullptr, "SHA256", nullptr), &EVP_MD_free);
    if (!md) {
      throw std::runtime_error("SHA-256 is not available from OpenSSL");
    }
    return md.get();
  }
  static EVP_MD_CTX* context() {
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
        EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx) {
      throw std::bad_alloc();
    }
    return ctx.get();
  }

  EVP_MD_CTX* ctx_;
};

void to_hex(const unsigned char* data, std::size_t n, std::string& out) {
  static constexpr char digits[] = "0123456789abcdef";
  out.resize(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
}

}  // namespace

std::string stable_id(std::initializer_list<std::string_view> parts) {
  std::string out;
  stable_id(out, parts);
  return out;
}

void stable_id(std::string& out, std::initializer_list<std::string_view> parts) {
  // One digest update of the whole input, built in a buffer kept per thread: an update per part
  // and a string per length prefix cost more than the hashing (one id per log line). Written
  // into room made once: three appends a part were ~500 instructions an id under callgrind.
  constexpr std::size_t max_prefix = 21;  // 20 digits and ':'
  thread_local std::string input;
  std::size_t room = 0;
  for (auto part : parts) {
    room += max_prefix + part.size();
  }
  if (input.size() < room) {
    input.resize(room);
  }
  char* p = input.data();
  for (auto part : parts) {
    p = std::to_chars(p, p + max_prefix, part.size()).ptr;
    *p++ = ':';
    p = write_text(p, part);
  }
  sha256 h;
  h.update(std::string_view(input.data(), static_cast<std::size_t>(p - input.data())));
  const auto d = h.finish();
  to_hex(d.data(), 8, out);
}

std::string sha256_hex(std::string_view data) {
  sha256 h;
  h.update(data);
  const auto d = h.finish();
  std::string out;
  to_hex(d.data(), d.size(), out);
  return out;
}

}  // namespace qsanfwd

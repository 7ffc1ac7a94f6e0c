#include "agent/core/ids.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace qsanfwd {
namespace {

using digest = std::array<unsigned char, 32>;

class sha256 {
 public:
  sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("SHA-256 is not available from OpenSSL");
    }
  }
  void update(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }
  digest finish() {
    digest out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), out.data(), &len);
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string stable_id(std::initializer_list<std::string_view> parts) {
  sha256 h;
  for (auto part : parts) {
    const std::string len = std::to_string(part.size()) + ":";
    h.update(len);
    h.update(part);
  }
  const auto d = h.finish();
  return to_hex(d.data(), 8);
}

std::string sha256_hex(std::string_view data) {
  sha256 h;
  h.update(data);
  const auto d = h.finish();
  return to_hex(d.data(), d.size());
}

}  // namespace qsanfwd

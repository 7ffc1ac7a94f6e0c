#include "agent/ops/status_page.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <string>

namespace qsanfwd::ops {
namespace {

/// What lies between `<tag>` and `</tag>`: the text the browser hashes for the policy.
std::string_view inline_block(std::string_view html, std::string_view tag) {
  const auto open = "<" + std::string(tag) + ">";
  const auto close = "</" + std::string(tag) + ">";
  const auto begin = html.find(open);
  const auto end = html.find(close, begin);
  if (begin == std::string_view::npos || end == std::string_view::npos) {
    return {};
  }
  return html.substr(begin + open.size(), end - begin - open.size());
}

/// The CSP source that allows exactly `text` inline: 'sha256-<base64>'.
std::string hash_source(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  std::string base64(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()), digest,
                                static_cast<int>(size));
  base64.resize(static_cast<std::size_t>(n));
  return "'sha256-" + base64 + "'";
}

}  // namespace

std::string status_page_policy(std::string_view html) {
  return "default-src 'none'; style-src " + hash_source(inline_block(html, "style")) +
         "; script-src " + hash_source(inline_block(html, "script")) +
         "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
         "frame-ancestors 'none'";
}

reply status_page_reply() {
  // Hashed once: the page is the same for the life of the process.
  static const std::string policy = status_page_policy(status_page_html);
  reply r{200, "text/html; charset=utf-8", std::string(status_page_html)};
  r.headers = {{"Content-Security-Policy", policy},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"}};
  return r;
}

}  // namespace qsanfwd::ops

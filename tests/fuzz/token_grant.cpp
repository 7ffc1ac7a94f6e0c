// libFuzzer target: the login and refresh answers (device::parse_token_grant).
#include "agent/device/parse.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qsanfwd;
  const auto body = fuzz::as_text(data, size);
  // Both /auth/get and /auth/refresh answer a token grant.
  for (const std::string_view endpoint : {"/auth/get", "/auth/refresh"}) {
    const auto g = device::parse_token_grant(endpoint, body);
    fuzz::check_failure_names(g, endpoint);
    if (g) {
      fuzz::check(!g->access_token.empty(), "a token grant without an access token");
      fuzz::check(!g->refresh_token || !g->refresh_token->empty(), "an empty refresh token");
    }
  }
  return 0;
}

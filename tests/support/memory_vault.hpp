#pragma once

#include <optional>
#include <string>

#include "agent/device/device_client.hpp"

namespace qsanfwd::test {

/// A refresh token kept in memory: for tests of what stands on the device client, where the
/// store-backed vault (app::store_token_vault, tested in tests/agent/app) is beside the point.
class memory_vault final : public device::token_vault {
 public:
  std::optional<std::string> load(const std::string&) override { return token; }
  void save(const std::string&, const std::string& t) override { token = t; }
  void forget(const std::string&) override { token.reset(); }
  std::optional<std::string> token;
};

}  // namespace qsanfwd::test

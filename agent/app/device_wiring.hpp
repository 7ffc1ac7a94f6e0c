#pragma once

#include "agent/device/device_client.hpp"
#include "agent/store/state_store.hpp"
#include "config/config.hpp"

namespace qsanfwd::app {

/// The device client's settings from a device's configuration.
device::client_settings client_settings_for(const config::device_config& cfg);

/// Refresh tokens kept in the state store. A read-only store (the agent runs and holds the
/// lock) still lends its token but cannot keep a new one.
class store_token_vault final : public device::token_vault {
 public:
  explicit store_token_vault(state_store& store) : store_(store) {}
  std::optional<std::string> load(const std::string& device) override;
  void save(const std::string& device, const std::string& refresh_token) override;
  void forget(const std::string& device) override;

 private:
  state_store& store_;
};

}  // namespace qsanfwd::app

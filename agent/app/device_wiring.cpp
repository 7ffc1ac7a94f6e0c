#include "agent/app/device_wiring.hpp"

namespace qsanfwd::app {

device::client_settings client_settings_for(const config::device_config& cfg) {
  device::client_settings s;
  s.name = cfg.name;
  s.peer = net::endpoint{cfg.endpoint.host, cfg.endpoint.port, cfg.endpoint.tls(),
                         cfg.endpoint.base_path, cfg.proxy};
  s.tls = cfg.tls;
  s.username = cfg.username;
  s.password = cfg.password;
  s.scheme = cfg.auth == config::auth_scheme::bearer ? device::auth_scheme::bearer
                                                     : device::auth_scheme::raw;
  s.timeout = cfg.timeout;
  s.max_response_bytes = cfg.max_response_bytes;
  return s;
}

std::optional<std::string> store_token_vault::load(const std::string& device) {
  auto token = store_.load_refresh_token(device);
  if (!token) {
    return std::nullopt;
  }
  return token->reveal();
}

void store_token_vault::save(const std::string& device, const std::string& refresh_token) {
  if (!store_.read_only()) {
    store_.save_refresh_token(device, secret(refresh_token));
  }
}

void store_token_vault::forget(const std::string& device) {
  if (!store_.read_only()) {
    store_.forget_refresh_token(device);
  }
}

}  // namespace qsanfwd::app

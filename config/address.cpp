#include "config/address.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace qsanfwd::config {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

/// Splits "host[:port]" or "[v6][:port]"; the port text is empty when there is none.
std::optional<std::pair<std::string, std::string_view>> split_authority(std::string_view text) {
  std::string_view host;
  std::string_view rest;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    const bool v6 = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
    });
    if (!v6) {
      return std::nullopt;
    }
  } else {
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    if (host.empty() || !std::all_of(host.begin(), host.end(), host_char)) {
      return std::nullopt;
    }
  }
  if (!rest.empty() && (!rest.starts_with(':') || rest.size() == 1)) {
    return std::nullopt;
  }
  return std::pair{std::string(host), rest.empty() ? rest : rest.substr(1)};
}

}  // namespace

std::string url_without_query(std::string_view url) {
  const auto cut = url.find_first_of("?#");
  if (cut == std::string_view::npos) {
    return std::string(url);
  }
  return std::string(url.substr(0, cut)) + "?...";
}

std::optional<url_parts> parse_url(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  url_parts url;
  for (char c : text.substr(0, scheme_end)) {
    url.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (url.scheme != "http" && url.scheme != "https") {
    return std::nullopt;
  }
  const std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority = rest.substr(0, path_start);
  std::string_view path = rest.substr(path_start);
  const auto visible = [](char c) { return c > ' ' && c < '\x7f'; };
  if (authority.find('@') != std::string_view::npos || path.find('#') != std::string_view::npos ||
      !std::all_of(path.begin(), path.end(), visible)) {
    return std::nullopt;
  }
  if (const auto q = path.find('?'); q != std::string_view::npos) {
    url.query = std::string(path.substr(q + 1));
    path = path.substr(0, q);
  }
  auto split = split_authority(authority);
  if (!split) {
    return std::nullopt;
  }
  url.host = std::move(split->first);
  if (split->second.empty()) {
    url.port = url.tls() ? 443 : 80;
  } else if (auto port = parse_port(split->second)) {
    url.port = *port;
  } else {
    return std::nullopt;
  }
  while (path.ends_with('/')) {
    path.remove_suffix(1);
  }
  url.base_path = std::string(path);
  return url;
}

std::optional<host_port> parse_host_port(std::string_view text, port_zero zero) {
  auto split = split_authority(text);
  if (!split || split->second.empty()) {
    return std::nullopt;
  }
  if (zero == port_zero::allowed && split->second == "0") {
    return host_port{std::move(split->first), 0};
  }
  auto port = parse_port(split->second);
  if (!port) {
    return std::nullopt;
  }
  return host_port{std::move(split->first), *port};
}

}  // namespace qsanfwd::config

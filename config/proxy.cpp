#include "config/proxy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <vector>

namespace qsanfwd::config {
namespace {

constexpr std::uint16_t curl_default_proxy_port = 1080;

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
}

/// "%40" and the like decoded; nullopt for a broken escape or a decoded control byte, which
/// no header may carry.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = hi < 0 ? -1 : hex_value(text[i + 2]);
      if (lo < 0) {
        return std::nullopt;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return std::nullopt;
    }
    out += c;
  }
  return out;
}

/// Why a scheme other than http:// cannot be used.
std::string unsupported_scheme(const std::string& scheme) {
  if (scheme == "https") {
    return "an https:// proxy (TLS to the proxy) is not supported; give its http:// address "
           "(https:// peers still get TLS end to end inside the proxy's CONNECT tunnel)";
  }
  if (scheme.starts_with("socks")) {
    return "SOCKS proxies are not supported; give an http:// proxy";
  }
  const bool plain = std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-';
  });
  return "unsupported proxy scheme" + (plain ? " \"" + scheme + "\"" : std::string()) +
         "; give an http:// proxy";
}

bool reads_credentials(std::string_view userinfo, net::proxy_options& proxy) {
  const auto colon = userinfo.find(':');
  auto user = percent_decode(userinfo.substr(0, colon));
  auto password = percent_decode(colon == std::string_view::npos ? std::string_view()
                                                                 : userinfo.substr(colon + 1));
  // A ':' in the user would move the split of the Basic credentials.
  if (!user || !password || user->empty() || user->find(':') != std::string::npos) {
    return false;
  }
  proxy.user = std::move(*user);
  proxy.password = secret(std::move(*password));
  return true;
}

/// The 4 or 16 bytes of an IP address, or nullopt for a name.
std::optional<std::vector<unsigned char>> ip_bytes(const std::string& text) {
  std::array<unsigned char, 16> buffer{};
  if (inet_pton(AF_INET, text.c_str(), buffer.data()) == 1) {
    return std::vector<unsigned char>(buffer.begin(), buffer.begin() + 4);
  }
  if (inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1) {
    return std::vector<unsigned char>(buffer.begin(), buffer.end());
  }
  return std::nullopt;
}

bool same_prefix(const std::vector<unsigned char>& a, const std::vector<unsigned char>& b,
                 unsigned bits) {
  for (std::size_t i = 0; i < a.size() && bits > 0; ++i) {
    const unsigned take = std::min(bits, 8U);
    const auto mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((a[i] & mask) != (b[i] & mask)) {
      return false;
    }
    bits -= take;
  }
  return true;
}

/// One NO_PROXY entry, without its port, against the host.
bool entry_matches(std::string entry, const std::string& host) {
  std::optional<unsigned> bits;
  if (const auto slash = entry.find('/'); slash != std::string::npos) {
    const auto text = std::string_view(entry).substr(slash + 1);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return false;
    }
    bits = n;
    entry.resize(slash);
  }
  if (const auto target_ip = ip_bytes(host)) {
    const auto entry_ip = ip_bytes(entry);
    const auto all = static_cast<unsigned>(8 * target_ip->size());
    return entry_ip && entry_ip->size() == target_ip->size() && bits.value_or(all) <= all &&
           same_prefix(*entry_ip, *target_ip, bits.value_or(all));
  }
  if (bits) {
    return false;  // an address range holds no name
  }
  while (entry.starts_with('.')) {
    entry.erase(0, 1);
  }
  while (entry.ends_with('.')) {
    entry.pop_back();
  }
  entry = lower_ascii(entry);
  return !entry.empty() &&
         (host == entry || (host.ends_with(entry) && host[host.size() - entry.size() - 1] == '.'));
}

/// Splits "host:port", "[v6]:port", "[v6]", "v6" or "host" into the host and the port text.
std::pair<std::string, std::string_view> split_entry(std::string_view entry) {
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) {
      return {std::string(entry), {}};
    }
    const auto rest = entry.substr(close + 1);
    return {std::string(entry.substr(1, close - 1)),
            rest.starts_with(':') ? rest.substr(1) : std::string_view()};
  }
  const auto colon = entry.find(':');
  if (colon == std::string_view::npos || entry.find(':', colon + 1) != std::string_view::npos) {
    return {std::string(entry), {}};  // a name, or a bare IPv6 address
  }
  return {std::string(entry.substr(0, colon)), entry.substr(colon + 1)};
}

std::optional<std::string> first_set(const object_reader& r,
                                     std::initializer_list<const char*> names, std::string& which) {
  for (const char* name : names) {
    auto value = r.environment(name);
    if (value && !value->empty()) {
      which = name;
      return value;
    }
  }
  return std::nullopt;
}

net::proxy_options from_environment(object_reader& r, const url_parts& peer) {
  std::string variable;
  const auto value = peer.tls() ? first_set(r, {"https_proxy", "HTTPS_PROXY"}, variable)
                                : first_set(r, {"http_proxy", "HTTP_PROXY"}, variable);
  std::string ignored;
  const auto no_proxy = first_set(r, {"no_proxy", "NO_PROXY"}, ignored);
  if (!value || (no_proxy && no_proxy_matches(*no_proxy, peer.host, peer.port))) {
    r.record("proxy", "none");
    return {};
  }
  std::string why;
  auto proxy = parse_proxy_url(*value, why);
  if (!proxy) {
    throw r.error("proxy",
                  "the environment's " + variable + " (used when proxy is not given): " + why);
  }
  r.record("proxy", proxy_for_display(*proxy));
  return *proxy;
}

net::proxy_options from_object(object_reader& r) {
  r.record("proxy", nlohmann::ordered_json::object());
  auto o = r.object("proxy");
  std::string why;
  auto proxy = parse_proxy_url(o.string("url"), why);
  if (!proxy) {
    throw o.error("url", why);
  }
  if (!proxy->user.empty()) {
    throw o.error("url", "give the proxy's credentials as user and password, not in the url");
  }
  o.record("url", proxy_for_display(*proxy));
  proxy->user = o.string("user", "");
  if (proxy->user.find(':') != std::string::npos) {
    throw o.error("user", "a proxy user name cannot contain ':'");
  }
  auto password = o.optional_secret_or_file("password");
  if (password && proxy->user.empty()) {
    throw o.error("password", "a proxy password needs a user");
  }
  proxy->password = password.value_or(secret());
  o.finish();
  return *proxy;
}

}  // namespace

std::optional<net::proxy_options> parse_proxy_url(std::string_view text, std::string& why) {
  const auto quoted = text.find('@') == std::string_view::npos
                          ? " \"" + url_without_query(text) + "\""
                          : std::string(" (not quoted: it may hold a password)");
  const auto expected = "expected an http:// proxy URL such as \"http://proxy.example:3128\", got";
  std::string_view rest = text;
  if (const auto scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    const auto scheme = lower_ascii(text.substr(0, scheme_end));
    if (scheme != "http") {
      why = unsupported_scheme(scheme);
      return std::nullopt;
    }
    rest = text.substr(scheme_end + 3);
  }
  const auto end = std::min(rest.find_first_of("/?#"), rest.size());
  auto authority = rest.substr(0, end);
  if (rest.substr(end) != "" && rest.substr(end) != "/") {
    why = std::string(expected) + quoted + ": a proxy URL takes no path, query or fragment";
    return std::nullopt;
  }
  net::proxy_options proxy;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    if (!reads_credentials(authority.substr(0, at), proxy)) {
      why =
          "the proxy URL's user or password is not valid (an empty user, a ':' in the user, a "
          "broken %-escape or a control byte)";
      return std::nullopt;
    }
    authority = authority.substr(at + 1);
  }
  const auto parsed = parse_url("http://" + std::string(authority));
  if (authority.empty() || !parsed) {
    why = std::string(expected) + quoted;
    return std::nullopt;
  }
  const auto bracket = authority.rfind(']');
  const bool explicit_port = authority.find(':', bracket == std::string_view::npos ? 0 : bracket) !=
                             std::string_view::npos;
  proxy.host = parsed->host;
  proxy.port = explicit_port ? parsed->port : curl_default_proxy_port;
  return proxy;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
  auto target = lower_ascii(host);
  while (target.ends_with('.')) {
    target.pop_back();
  }
  std::size_t i = 0;
  while (i < no_proxy.size()) {
    const auto stop = std::min(no_proxy.find_first_of(", \t", i), no_proxy.size());
    const auto entry = no_proxy.substr(i, stop - i);
    i = stop + 1;
    if (entry == "*") {
      return true;
    }
    if (entry.empty()) {
      continue;
    }
    const auto [name, port_text] = split_entry(entry);
    unsigned entry_port = 0;
    if (!port_text.empty()) {
      auto [end, ec] =
          std::from_chars(port_text.data(), port_text.data() + port_text.size(), entry_port);
      if (ec != std::errc{} || end != port_text.data() + port_text.size() || entry_port != port) {
        continue;
      }
    }
    if (entry_matches(name, target)) {
      return true;
    }
  }
  return false;
}

std::string proxy_for_display(const net::proxy_options& proxy) {
  const bool v6 = proxy.host.find(':') != std::string::npos;
  const auto host = v6 ? "[" + proxy.host + "]" : proxy.host;
  const auto user = proxy.user.empty() ? std::string() : proxy.user + ":" + secret::mask + "@";
  return "http://" + user + host + ":" + std::to_string(proxy.port);
}

net::proxy_options read_proxy(object_reader& r, const url_parts& peer) {
  const auto value = r.raw_value("proxy");
  if (!value) {
    return from_environment(r, peer);
  }
  if (*value == false || *value == "none") {
    r.record("proxy", "none");
    return {};
  }
  if (value->is_object()) {
    return from_object(r);
  }
  if (!value->is_string()) {
    throw r.error("proxy",
                  "expected an http:// proxy URL, \"none\", false, or an object with url, user "
                  "and password");
  }
  std::string why;
  auto proxy = parse_proxy_url(value->get<std::string>(), why);
  if (!proxy) {
    throw r.error("proxy", why);
  }
  r.record("proxy", proxy_for_display(*proxy));
  return *proxy;
}

}  // namespace qsanfwd::config

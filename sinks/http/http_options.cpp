#include "sinks/http/http_options.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "config/proxy.hpp"

namespace qsanfwd::sinks {
namespace {

constexpr std::array format_names = {"ndjson",        "json_array", "splunk_hec",
                                     "elasticsearch", "loki",       "otlp"};

http_format format_of(const std::string& name) {
  for (std::size_t i = 0; i < format_names.size(); ++i) {
    if (name == format_names[i]) {
      return static_cast<http_format>(i);
    }
  }
  return http_format::ndjson;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// The URL as the effective configuration shows it: a receiver may take its API key as a query
/// parameter, so every parameter's value is masked.
std::string url_for_display(std::string_view url) {
  const auto q = url.find('?');
  std::string out(url.substr(0, q + 1));
  std::string_view rest = url.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = std::min(rest.find('&'), rest.size());
    const auto param = rest.substr(0, amp);
    const auto eq = param.find('=');
    out += eq == std::string_view::npos ? param : std::string(param.substr(0, eq + 1)) + "***";
    rest.remove_prefix(amp);
    if (!rest.empty()) {
      out += '&';
      rest.remove_prefix(1);
    }
  }
  return out;
}

config::url_parts read_url(config::object_reader& r, http_format format) {
  const auto url = r.string("url");
  auto parts = config::parse_url(url);
  if (!parts) {
    // The text may hold a password: quote it only when it holds no user info.
    throw r.error("url", url.find('@') != std::string::npos
                             ? "credentials in the URL are not allowed; use auth"
                             : "expected an http:// or https:// URL with a host and an optional "
                               "port, path and query, got \"" +
                                   config::url_without_query(url) + "\"");
  }
  if (parts->base_path.empty()) {
    parts->base_path = default_path(format);
  }
  if (!parts->query.empty()) {
    r.record("url", url_for_display(url));
  }
  return *parts;
}

http_auth read_auth(config::object_reader r) {
  http_auth auth;
  const bool basic = r.has("basic");
  const bool bearer = r.has("bearer") || r.has("bearer_file");
  if (basic && bearer) {
    throw r.error("bearer", "give one of basic and bearer, not both");
  }
  if (basic) {
    auto b = r.object("basic");
    auth.scheme = http_auth::kind::basic;
    auth.user = b.string("user");
    if (auth.user.find(':') != std::string::npos) {
      throw b.error("user", "a basic auth user name cannot contain ':'");
    }
    auth.credential = b.secret_value_or_file("password");
    b.finish();
  } else if (bearer) {
    auth.scheme = http_auth::kind::bearer;
    auth.credential = r.secret_value_or_file("bearer");
  }
  r.finish();
  return auth;
}

std::map<std::string, std::string> read_headers(config::object_reader& r) {
  auto headers = r.string_map("headers");
  for (const auto& [name, value] : headers) {
    const auto key = lower(name);
    // Those the connection owns: the framing and the peer's address.
    if (key == "host" || key == "content-length" || key == "transfer-encoding" ||
        key == "connection") {
      throw r.error("headers", "the header " + name + " is set by the sink and cannot be given");
    }
    const bool bad_name =
        name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) == 0 &&
                 std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos;
        });
    // Values are one line already: the reader refuses control bytes in every string.
    if (bad_name) {
      throw r.error("headers", "\"" + name + "\" is not a valid header name");
    }
  }
  // Values may be credentials (an API key, an Authorization header): shown masked.
  auto shown = nlohmann::ordered_json::object();
  for (const auto& [name, value] : headers) {
    shown[name] = "***";
  }
  r.record("headers", std::move(shown));
  return headers;
}

}  // namespace

std::string_view default_path(http_format f) {
  switch (f) {
    case http_format::splunk_hec:
      return "/services/collector/event";
    case http_format::elasticsearch:
      return "/_bulk";
    case http_format::loki:
      return "/loki/api/v1/push";
    case http_format::otlp:
      return "/v1/logs";
    case http_format::ndjson:
    case http_format::json_array:
      break;
  }
  return "/";
}

http_options parse_http_options(config::object_reader& r) {
  http_options o;
  const auto format = r.one_of(
      "format", {"ndjson", "json_array", "splunk_hec", "elasticsearch", "loki", "otlp"}, "ndjson");
  o.encoding.format = format_of(format);
  o.endpoint = read_url(r, o.encoding.format);
  o.method = r.one_of("method", {"POST", "PUT"}, "POST");
  o.headers = read_headers(r);
  o.auth = read_auth(r.object("auth"));
  const auto token = r.optional_secret_or_file("token");
  const bool splunk = o.encoding.format == http_format::splunk_hec;
  if (token && !splunk) {
    throw r.error("token", "token is the Splunk HEC token, for format splunk_hec; use auth.bearer");
  }
  if (splunk) {
    if (!token) {
      throw r.error("token", "format splunk_hec needs the HEC token (token or token_file)");
    }
    if (o.auth.scheme != http_auth::kind::none) {
      throw r.error("auth", "format splunk_hec authenticates with token; leave auth out");
    }
    o.auth = {http_auth::kind::splunk, "", *token};
    o.channel = r.string("channel", "");
    o.encoding.source = r.string("source", "qsanfwd");
    o.encoding.sourcetype = r.string("sourcetype", "qsan:event");
  }
  if (o.encoding.format == http_format::elasticsearch) {
    o.encoding.index = r.string("index", "logs-qsan-default");
    // Elasticsearch's own rules for index and data stream names.
    const auto& index = o.encoding.index;
    if (index.empty() || lower(index) != index || index.front() == '-' || index.front() == '_' ||
        index.find_first_of("\\/*?\"<>| ,#:") != std::string::npos) {
      throw r.error(
          "index", "expected a lowercase index or data stream name without \\/*?\"<>| ,#:, got \"" +
                       index + "\"");
    }
  } else if (splunk) {
    o.encoding.index = r.string("index", "");
  }
  if (!o.endpoint.tls() && r.has("tls")) {
    throw r.error("tls", "TLS options need an https:// url");
  }
  auto tls = r.object("tls");
  o.tls = config::read_tls_options(tls);
  tls.finish();
  o.proxy = config::read_proxy(r, o.endpoint);
  o.gzip = r.one_of("compression", {"none", "gzip"}, "none") == "gzip";
  o.timeout = r.duration_value("timeout", duration{30000}, duration{100});
  return o;
}

}  // namespace qsanfwd::sinks

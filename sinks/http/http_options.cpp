#include "sinks/http/http_options.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "config/json_pointer.hpp"

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

/// Whether `name` holds a byte no Elasticsearch index name may: an uppercase letter, one of
/// \/*?"<>| ,#:, or a control byte.
bool has_index_specials(std::string_view name) {
  return std::any_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isupper(u) != 0 || u < 0x20 || u == 0x7f ||
           std::string_view("\\/*?\"<>| ,#:").find(c) != std::string_view::npos;
  });
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

/// `key` read as an event_template; a mistake in it is an error at its path.
event_template read_template(config::object_reader& r, std::string_view key,
                             std::string_view fallback) {
  const auto text = r.string(key, fallback);
  try {
    return event_template::parse(text);
  } catch (const std::invalid_argument& e) {
    throw r.error(key, std::string("in the template \"") + text + "\": " + e.what());
  }
}

/// Elasticsearch's rules for index and data stream names: lowercase, none of \/*?"<>| ,#:,
/// not starting with -, _ or +, not . or .., at most 255 bytes.
bool is_valid_index_name(std::string_view name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find_first_of("-_+") != 0 && !has_index_specials(name);
}

/// An elasticsearch `index`: a constant one must be a valid name; a template's own text must
/// not hold what no rendered name may (sanitize_index_name mends what the events put in).
event_template read_index(config::object_reader& r) {
  auto index = read_template(r, "index", "logs-qsan-default");
  if (index.constant()) {
    const auto name = index.render(event{});
    if (!is_valid_index_name(name)) {
      throw r.error("index",
                    "expected a lowercase index or data stream name without \\/*?\"<>| ,#: that "
                    "does not start with -, _ or +, got \"" +
                        name + "\"");
    }
    return index;
  }
  // Every field of the probe is a valid name, so what fails is the template's own text.
  event probe;
  probe.device = probe.host = probe.type = probe.component = probe.model = probe.serial = "x";
  if (has_index_specials(index.render(probe))) {
    throw r.error("index", "the text of the template \"" + index.text() +
                               "\" must be lowercase, without \\/*?\"<>| ,#:");
  }
  return index;
}

/// Loki's (Prometheus's) label names: [a-zA-Z_][a-zA-Z0-9_]*, and `__` starts reserved ones.
bool is_valid_label_name(std::string_view name) {
  const auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  };
  return !name.empty() && std::isdigit(static_cast<unsigned char>(name.front())) == 0 &&
         std::all_of(name.begin(), name.end(), word) && !name.starts_with("__");
}

std::vector<loki_label> read_labels(config::object_reader& r) {
  if (!r.has("labels")) {
    auto shown = nlohmann::ordered_json::object();
    for (const auto& [name, value] : default_loki_labels()) {
      shown[name] = value.text();
    }
    r.record("labels", std::move(shown));
    return default_loki_labels();
  }
  std::vector<loki_label> labels;
  for (const auto& [name, text] : r.string_map("labels")) {
    const auto at = r.path_of("labels") + "/" + config::pointer_token(name);
    if (!is_valid_label_name(name)) {
      throw config::config_error(at, "\"" + name +
                                         "\" is not a Loki label name: letters, digits and _, "
                                         "not starting with a digit or __");
    }
    try {
      labels.emplace_back(name, event_template::parse(text));
    } catch (const std::invalid_argument& e) {
      throw config::config_error(at, "in the template \"" + text + "\": " + e.what());
    }
  }
  // Loki's default max_label_names_per_series: a stream with more is refused.
  constexpr std::size_t max_labels = 15;
  if (labels.empty() || labels.size() > max_labels) {
    throw r.error("labels", "a Loki stream needs 1.." + std::to_string(max_labels) +
                                " labels, got " + std::to_string(labels.size()));
  }
  return labels;
}

}  // namespace

std::vector<loki_label> default_loki_labels() {
  return {{"device", event_template::parse("{device}")},
          {"kind", event_template::parse("{kind}")},
          {"level", event_template::parse("{severity}")}};
}

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
    o.encoding.source = read_template(r, "source", "qsanfwd");
    o.encoding.sourcetype = read_template(r, "sourcetype", "qsan:event");
    o.encoding.index = read_template(r, "index", "");
  }
  if (o.encoding.format == http_format::elasticsearch) {
    o.encoding.index = read_index(r);
  }
  if (o.encoding.format == http_format::loki) {
    o.encoding.labels = read_labels(r);
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

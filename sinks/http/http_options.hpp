#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/core/duration.hpp"
#include "agent/core/event_template.hpp"
#include "agent/core/secret.hpp"
#include "agent/net/proxy_options.hpp"
#include "config/address.hpp"
#include "config/config.hpp"
#include "config/object_reader.hpp"

namespace qsanfwd::sinks {

/// The body an HTTP sink sends (`format`).
enum class http_format { ndjson, json_array, splunk_hec, elasticsearch, loki, otlp };

/// How an HTTP sink proves who it is.
struct http_auth {
  enum class kind { none, basic, bearer, splunk };
  kind scheme = kind::none;
  std::string user;   ///< for basic
  secret credential;  ///< the password, the bearer token or the Splunk HEC token
};

/// A Loki stream label: its name and the template of its value.
using loki_label = std::pair<std::string, event_template>;

/// The labels Loki streams get unless `labels` says otherwise: device, kind, level.
std::vector<loki_label> default_loki_labels();

/// What the encoders need besides the events. The templates are read from each event.
struct format_settings {
  http_format format = http_format::ndjson;
  event_template index;  ///< splunk_hec (optional) and elasticsearch
  event_template source = event_template::parse("qsanfwd");         ///< splunk_hec
  event_template sourcetype = event_template::parse("qsan:event");  ///< splunk_hec
  std::vector<loki_label> labels = default_loki_labels();           ///< loki, by name
};

/// The HTTP sink's options (`type: "http"`).
struct http_options {
  config::url_parts endpoint;  ///< with the format's default path when the URL has none
  std::string method = "POST";
  format_settings encoding;
  std::map<std::string, std::string> headers;
  http_auth auth;
  std::string channel;  ///< splunk_hec: X-Splunk-Request-Channel, when not empty
  config::tls_options tls;
  net::proxy_options proxy;  ///< `proxy`, else the environment's (config/proxy.hpp)
  bool gzip = false;
  duration timeout{30000};
};

/// The request path a format is sent to when the URL gives none.
std::string_view default_path(http_format f);

/// Reads `url`, `method`, `format`, `headers`, `auth`, `token`/`token_file`, `channel`, `index`,
/// `source`, `sourcetype`, `tls`, `proxy`, `compression` and `timeout`. Throws config_error naming
/// the key for a bad value or a combination that cannot work (a Splunk format without a token,
/// `token` with another format, TLS options with an http:// URL).
http_options parse_http_options(config::object_reader& r);

}  // namespace qsanfwd::sinks

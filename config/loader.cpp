#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "config/config.hpp"
#include "config/device_sources.hpp"
#include "config/event_routing.hpp"
#include "config/json_pointer.hpp"
#include "config/json_text.hpp"
#include "config/proxy.hpp"
#include "config/read_file.hpp"
#include "config/yaml_text.hpp"

namespace qsanfwd::config {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string json_quote(std::string_view text) {
  return json(text).dump();
}

std::string read_name(object_reader& r) {
  std::string name = r.string("name");
  const bool valid_chars = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
  });
  // Names become file names and metric labels: "." and ".." would be path components.
  const bool only_dots = std::all_of(name.begin(), name.end(), [](char c) { return c == '.'; });
  if (name.empty() || !valid_chars || only_dots) {
    throw r.error("name", "expected a name of letters, digits, \"_\", \".\" and \"-\", got " +
                              json_quote(name));
  }
  return name;
}

/// Rejects a name used twice in one list; the error points at the second use.
class name_registry {
 public:
  explicit name_registry(std::string what) : what_(std::move(what)) {}

  void add(const std::string& name, const object_reader& r) {
    auto [it, fresh] = first_.emplace(name, r.path());
    if (!fresh) {
      throw r.error("name", "duplicate " + what_ + " name " + json_quote(name) + " (first at " +
                                it->second + ")");
    }
  }

 private:
  std::string what_;
  std::map<std::string, std::string> first_;
};

url_parts read_url(object_reader& r, const std::string& url) {
  auto parts = parse_url(url);
  if (parts && !parts->query.empty()) {
    throw r.error("url",
                  "an array's URL takes no query string (\"" + url_without_query(url) + "\")");
  }
  if (parts) {
    return *parts;
  }
  if (url.find('@') != std::string::npos) {
    // The text may hold a password: do not quote it.
    throw r.error("url", "credentials in the URL are not allowed; use username and password");
  }
  throw r.error("url",
                "expected an http:// or https:// URL with a host and an optional port and path, "
                "such as \"https://192.0.2.10\", got " +
                    json_quote(url_without_query(url)));
}

std::string normalise_pin(object_reader& r) {
  std::string pin;
  for (char c : r.string("pin_sha256", "")) {
    if (c != ':') {
      pin += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  const bool hex = std::all_of(pin.begin(), pin.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  });
  if (!pin.empty() && (pin.size() != 64 || !hex)) {
    throw r.error("pin_sha256", "expected 64 hex digits (colons allowed), got " +
                                    std::to_string(pin.size()) + " characters");
  }
  r.record("pin_sha256", pin);
  return pin;
}

}  // namespace

tls_options read_tls_options(object_reader& r) {
  tls_options tls;
  tls.verify = r.boolean("verify", true);
  tls.ca_file = r.string("ca_file", "");
  tls.cert_file = r.string("cert_file", "");
  tls.key_file = r.string("key_file", "");
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    throw r.error(tls.cert_file.empty() ? "cert_file" : "key_file",
                  "a client certificate needs both cert_file and key_file");
  }
  tls.pin_sha256 = normalise_pin(r);
  return tls;
}

namespace {

start_point read_start_point(object_reader& r) {
  const auto value = r.raw_value("start_at");
  if (!value || *value == "beginning") {
    r.record("start_at", "beginning");
    return {};
  }
  if (*value == "now") {
    return {.where = start_point::kind::now};
  }
  // JSON integers >= 0 parse as unsigned; negative ones as signed.
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (value->is_number_unsigned() && value->get<std::uint64_t>() <= max) {
    return {.where = start_point::kind::timestamp, .timestamp = value->get<std::int64_t>()};
  }
  throw r.error("start_at",
                "expected \"beginning\", \"now\" or a unix timestamp (an integer >= 0), got " +
                    value->dump());
}

log_options read_logs(object_reader r) {
  static const std::set<std::string, std::less<>> known_types{"access", "info", "warning", "error"};
  log_options logs;
  logs.enabled = r.boolean("enabled", true);
  logs.interval = r.duration_value("interval", 10s, 1s);
  logs.page_size = static_cast<int>(r.integer("page_size", 1, 10000, 1000));
  logs.types = r.string_list("types");
  for (std::size_t i = 0; i < logs.types.size(); ++i) {
    if (!known_types.contains(logs.types[i])) {
      throw config_error(
          r.path_of("types") + "/" + std::to_string(i),
          "expected one of access, info, warning, error, got " + json_quote(logs.types[i]));
    }
  }
  logs.start_at = read_start_point(r);
  logs.clock_step_window = r.duration_value("clock_step_window", 2h, 0s);
  r.finish();
  return logs;
}

health_options read_health(object_reader r) {
  health_options health;
  health.enabled = r.boolean("enabled", true);
  health.interval = r.duration_value("interval", 60s, 1s);
  auto t = r.object("thresholds");
  health.limits.temperature_c = t.number("temperature_c", 0, 150, 70);
  health.limits.disk_temperature_c = t.number("disk_temperature_c", 0, 150, 55);
  health.limits.ssd_life_remain_pct = t.number("ssd_life_remain_pct", 0, 100, 10);
  health.limits.pool_used_pct = t.number("pool_used_pct", 0, 100, 90);
  health.limits.snapshot_used_pct = t.number("snapshot_used_pct", 0, 100, 80);
  t.finish();
  r.finish();
  return health;
}

device_config read_device(object_reader& r) {
  device_config d;
  d.name = read_name(r);
  d.url = r.string("url");
  d.endpoint = read_url(r, d.url);
  d.username = r.string("username");
  d.password = r.secret_value_or_file("password");
  d.auth = r.one_of("auth_scheme", {"raw", "bearer"}, "raw") == "bearer" ? auth_scheme::bearer
                                                                         : auth_scheme::raw;
  d.timeout = r.duration_value("timeout", 15s, 1ms);
  // Below 64 KiB a login answer or a small page would not fit.
  d.max_response_bytes = static_cast<std::size_t>(
      r.integer("max_response_bytes", 64 * 1024, static_cast<std::int64_t>(max_max_response_bytes),
                static_cast<std::int64_t>(default_max_response_bytes)));
  auto tls = r.object("tls");
  d.tls = read_tls_options(tls);
  tls.finish();
  d.proxy = read_proxy(r, d.endpoint);
  d.logs = read_logs(r.object("logs"));
  d.health = read_health(r.object("health"));
  d.fields = read_fields(r);
  r.finish();
  d.secrets = r.secrets_within();
  return d;
}

std::string known_types(const sink_type_table& table) {
  std::string out;
  for (const auto& [name, parser] : table) {
    out += out.empty() ? "" : ", ";
    out += name;
  }
  return out.empty() ? "none registered" : out;
}

std::string format_rate(double events_per_second) {
  // Whole rates as integers: "2000000", where the shortest form would be "2e+06".
  if (std::abs(events_per_second) < 1e15 && std::trunc(events_per_second) == events_per_second) {
    return std::to_string(static_cast<std::int64_t>(events_per_second));
  }
  char buffer[32];
  const auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), events_per_second);
  return ec == std::errc{} ? std::string(buffer, end) : std::to_string(events_per_second);
}

/// `rate_limit`; what it leaves out comes from `fallback`, the type's default pace. A burst
/// follows a rate set here (default_burst), the type's own burst only the type's own rate.
rate_limit read_rate_limit(object_reader r, const rate_limit& fallback) {
  constexpr double slowest = 0.01;  // one event in 100 s: slower is a mistake, not a pace
  constexpr double fastest = 1'000'000;
  constexpr double any = std::numeric_limits<double>::max();
  rate_limit pace;
  const bool rate_given = r.has("events_per_second");
  const double rate = r.number("events_per_second", -any, any, fallback.events_per_second);
  if (rate != 0 && (rate < slowest || rate > fastest)) {
    throw r.error("events_per_second",
                  "expected 0 (unpaced) or 0.01..1000000, got " + format_rate(rate));
  }
  pace.events_per_second = rate;
  if (!pace.paced()) {
    if (r.has("burst")) {
      throw r.error("burst", "applies only with events_per_second above 0 (0 is unpaced)");
    }
    r.finish();
    return {};
  }
  const auto burst =
      rate_given || fallback.burst == 0 ? default_burst(pace.events_per_second) : fallback.burst;
  pace.burst =
      static_cast<std::size_t>(r.integer("burst", 1, 1'000'000, static_cast<std::int64_t>(burst)));
  r.finish();
  return pace;
}

sink_config read_sink(object_reader& r, const sink_type_table& table, const fs::path& state_dir) {
  sink_config s;
  s.name = read_name(r);
  s.type = r.string("type");
  const auto parser = table.find(s.type);
  if (parser == table.end()) {
    throw r.error(
        "type", "unknown sink type " + json_quote(s.type) + " (known: " + known_types(table) + ")");
  }

  auto batch = r.object("batch");
  s.batch.max_events = static_cast<std::size_t>(batch.integer("max_events", 1, 1'000'000, 1000));
  s.batch.max_bytes = static_cast<std::size_t>(batch.integer("max_bytes", 1, 1 << 30, 1 << 20));
  s.batch.max_delay = batch.duration_value("max_delay", 1s);
  batch.finish();

  auto retry = r.object("retry");
  s.retry.initial = retry.duration_value("initial", 1s, 1ms);
  s.retry.max = retry.duration_value("max", 5min, s.retry.initial);
  retry.finish();

  auto queue = r.object("queue");
  s.queue.max_bytes = static_cast<std::uint64_t>(
      queue.integer("max_bytes", 1, std::numeric_limits<std::int64_t>::max(), 1LL << 30));
  s.queue.on_full = queue.one_of("when_full", {"block", "drop_oldest"}, "block") == "block"
                        ? when_full::block
                        : when_full::drop_oldest;
  queue.finish();

  s.start_at = r.one_of("start_at", {"end", "oldest"}, "end") == "end" ? sink_start::end
                                                                       : sink_start::oldest;
  s.dead_letter_path =
      r.string("dead_letter_path", (state_dir / "dead-letter" / (s.name + ".jsonl")).string());
  s.filter = read_event_filter(r);
  s.shape = read_event_shape(r);
  r.has("rate_limit");  // listed with the common keys; read once the type's default is known
  s.options = parser->second.parse(r);
  const auto& default_pace = parser->second.default_pace;
  s.pace = read_rate_limit(r.object("rate_limit"),
                           default_pace ? default_pace(s.options) : rate_limit{});
  r.finish();
  s.secrets = r.secrets_within();
  return s;
}

std::string read_listen(object_reader r) {
  std::string listen = r.string("listen", "");
  // Port 0 takes any free port (the agent logs which): tests and side-by-side instances.
  if (!listen.empty() && !parse_host_port(listen, port_zero::allowed)) {
    throw r.error("listen",
                  "expected \"host:port\" with a port in 0..65535, got " + json_quote(listen));
  }
  r.finish();
  return listen;
}

shard_spec read_shard(object_reader r) {
  shard_spec shard;
  shard.count = static_cast<std::size_t>(
      r.integer("count", 1, static_cast<std::int64_t>(max_shard_count), 1));
  shard.index = static_cast<std::size_t>(
      r.integer("index", 0, static_cast<std::int64_t>(shard.count) - 1, 0));
  r.finish();
  return shard;
}

/// Every device of `sources`, each read from its block merged over the defaults; an error names
/// where the bad value was written. `effective` receives their effective blocks.
std::vector<device_config> read_devices(device_sources& sources, const env_lookup& env,
                                        const fs::path& base_dir, secret_reading secrets,
                                        nlohmann::ordered_json& effective) {
  json document = json::object();
  document["devices"] = std::move(sources.devices);
  auto all = object_reader::open(
      std::move(document), env, base_dir,
      [&sources](const std::string& at) { return sources.is_text(at); }, secrets);
  auto readers = all.array_of_objects("devices");
  std::vector<device_config> devices;
  std::map<std::string, std::size_t, std::less<>> first_of_name;
  for (std::size_t i = 0; i < readers.size(); ++i) {
    try {
      devices.push_back(read_device(readers[i]));
      const auto [first, fresh] = first_of_name.emplace(devices.back().name, i);
      if (!fresh) {
        throw readers[i].error("name", "duplicate device name " + json_quote(first->first) +
                                           " (first at " +
                                           sources.origins[first->second].describe() + ")");
      }
    } catch (const config_error& e) {
      throw sources.relocate(e, i);
    }
  }
  effective = all.effective_document().at("devices");
  return devices;
}

/// Keeps the devices of `shard` in cfg.devices and in the effective configuration.
void keep_shard(agent_config& cfg, const shard_spec& shard) {
  cfg.shard = shard;
  cfg.fleet_devices = cfg.devices.size();
  auto& effective_devices = cfg.effective["devices"];
  std::vector<device_config> kept;
  auto kept_effective = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < cfg.devices.size(); ++i) {
    if (shard_of(cfg.devices[i].name, shard.count) == shard.index) {
      kept.push_back(std::move(cfg.devices[i]));
      kept_effective.push_back(std::move(effective_devices[i]));
    }
  }
  cfg.devices = std::move(kept);
  effective_devices = std::move(kept_effective);
  cfg.effective["shard"] = {{"index", shard.index}, {"count", shard.count}};
}

agent_config read_config(json document, const sink_type_table& sinks, const env_lookup& env,
                         const fs::path& base_dir, const std::optional<shard_spec>& shard_override,
                         secret_reading secrets) {
  auto root = object_reader::open(std::move(document), env, base_dir, {}, secrets);
  agent_config cfg;
  cfg.state_dir = root.string("state_dir", "/var/lib/qsanfwd");
  if (cfg.state_dir.empty()) {
    throw root.error("state_dir", "expected a directory, got \"\"");
  }
  cfg.log_level = root.one_of(
      "log_level", {"trace", "debug", "info", "warn", "warning", "error", "critical", "off"},
      "info");
  cfg.log_format = root.one_of("log_format", {"text", "json"}, "text");
  cfg.shutdown_timeout = root.duration_value("shutdown_timeout", 10s);
  cfg.http_api_listen = read_listen(root.object("http_api"));
  auto device_blocks = take_device_sources(root, base_dir);
  const auto shard = read_shard(root.object("shard"));
  auto sink_readers = root.array_of_objects("sinks");
  // Unknown top-level keys first: a misspelt "sinks" should say so, not "no sink".
  root.finish();

  device_blocks.read_files();
  nlohmann::ordered_json effective_devices;
  cfg.devices = read_devices(device_blocks, env, base_dir, secrets, effective_devices);
  if (cfg.devices.empty()) {
    throw config_error("/devices",
                       "at least one device is required (in devices, devices_dir or inventory)");
  }
  name_registry sink_names("sink");
  for (auto& r : sink_readers) {
    cfg.sinks.push_back(read_sink(r, sinks, cfg.state_dir));
    sink_names.add(cfg.sinks.back().name, r);
  }
  if (cfg.sinks.empty()) {
    throw config_error("/sinks", "at least one sink is required");
  }
  cfg.effective = root.effective_document();
  // The devices show their defaults applied: the defaults themselves would say it twice.
  cfg.effective.erase("device_defaults");
  cfg.effective["devices"] = std::move(effective_devices);
  keep_shard(cfg, shard_override.value_or(shard));
  for (const auto& d : cfg.devices) {
    for (auto& s : cfg.sinks) {
      if (!d.fields.empty()) {
        s.shape.devices.emplace(d.name, d.fields);
      }
    }
  }
  return cfg;
}

}  // namespace

std::size_t default_burst(double events_per_second) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(events_per_second / 10)));
}

std::string describe(const rate_limit& pace) {
  if (!pace.paced()) {
    return "unpaced";
  }
  return format_rate(pace.events_per_second) + " events/s, burst " + std::to_string(pace.burst);
}

agent_config load_config_file(const fs::path& file, const sink_type_table& sinks,
                              const env_lookup& env, std::optional<shard_spec> shard_override,
                              secret_reading secrets) {
  std::string why;
  const auto text = read_whole_file(file, why);
  if (!text) {
    throw config_error::in_file(file.string(), "cannot read: " + why);
  }
  if (is_yaml_file(file)) {
    auto document = parse_yaml(*text, file.string());
    try {
      return read_config(std::move(document.value), sinks, env, file.parent_path(),
                         shard_override, secrets);
    } catch (const config_error& e) {
      throw document.locate(e);
    }
  }
  return read_config(parse_json(*text, file.string()), sinks, env, file.parent_path(),
                     shard_override, secrets);
}

agent_config parse_config(std::string_view json_text, const sink_type_table& sinks,
                          const env_lookup& env, std::string_view source_name,
                          std::optional<shard_spec> shard_override, secret_reading secrets) {
  return read_config(parse_json(json_text, std::string(source_name)), sinks, env, {},
                     shard_override, secrets);
}

}  // namespace qsanfwd::config

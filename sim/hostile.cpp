#include "sim/hostile.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "agent/device/rest_api.hpp"

namespace qsanfwd::sim {
namespace {

struct body_names {
  hostile_body kind;
  std::string_view name;
  std::string_view json_key;
};

constexpr std::array<body_names, hostile_body_count> bodies{{
    {hostile_body::nested_timestamp, "nested_timestamp", "nestedTimestamp"},
    {hostile_body::huge_page, "huge_page", "hugePage"},
    {hostile_body::endless_chunked, "endless_chunked", "endlessChunked"},
    {hostile_body::nested_health, "nested_health", "nestedHealth"},
    {hostile_body::health_junk, "health_junk", "healthJunk"},
}};

bool is_health_path(std::string_view path) {
  return path == device::rest::disk_list ||
         (path.starts_with(device::rest::enclosure_info_prefix) &&
          path.ends_with(device::rest::enclosure_info_suffix) &&
          path != device::rest::hardware_info);
}

template <class T>
void take(const nlohmann::json& j, std::string_view key, T& field) {
  if (const auto it = j.find(key); it != j.end()) {
    field = it->get<T>();
  }
}

/// What every filler line starts with: all but its number.
std::string line_opening(std::int64_t timestamp) {
  return R"({"type":"info","timestamp":)" + std::to_string(timestamp) + R"(,"message":"x)";
}

// Plain appends: a million formatted lines took seconds on a loaded machine.
void append_log_line(std::string& out, std::string_view opening, std::size_t n) {
  out += opening;
  char digits[6];
  for (auto i = std::size(digits); i-- > 0; n /= 10) {
    digits[i] = static_cast<char>('0' + n % 10);
  }
  out.append(digits, std::size(digits));
  out += R"("})";
}

}  // namespace

std::string_view to_string(hostile_body b) {
  return bodies[static_cast<std::size_t>(b)].name;
}

std::optional<hostile_body> parse_hostile_body(std::string_view name) {
  for (const auto& b : bodies) {
    if (b.name == name) {
      return b.kind;
    }
  }
  return std::nullopt;
}

bool hostile_body_applies(hostile_body b, std::string_view path) {
  switch (b) {
    case hostile_body::nested_timestamp:
    case hostile_body::huge_page:
      return path == device::rest::log_list;
    case hostile_body::endless_chunked:
      return true;
    case hostile_body::nested_health:
    case hostile_body::health_junk:
      return is_health_path(path);
  }
  return false;
}

void update_hostile(hostile_settings& s, const nlohmann::json& j) {
  take(j, "ignorePageNumber", s.ignore_page_number);
  take(j, "alwaysNextPage", s.always_next_page);
  take(j, "ignoreStartTime", s.ignore_start_time);
  if (const auto it = j.find("total"); it != j.end()) {
    const auto mode = parse_total_mode(it->get<std::string>());
    if (!mode) {
      throw std::invalid_argument("total must be exact, missing, constant or shrinking");
    }
    s.total = *mode;
  }
  take(j, "oversizePages", s.oversize_pages);
  take(j, "maxLogLines", s.max_log_lines);
  take(j, "latin1Ratio", s.latin1_ratio);
  take(j, "tokenCrlf", s.token_crlf);
  take(j, "nestingDepth", s.nesting_depth);
  take(j, "hugePageLines", s.huge_page_lines);
  take(j, "healthJunkMb", s.health_junk_mb);
  for (const auto& b : bodies) {
    take(j, b.json_key, s.body_chance[static_cast<std::size_t>(b.kind)]);
  }
  check_hostile(s);
}

void check_hostile(const hostile_settings& s) {
  const auto chance = [](double p) { return p >= 0 && p <= 1; };
  bool ok = chance(s.latin1_ratio) && s.oversize_pages >= 0 && s.nesting_depth > 0 &&
            s.huge_page_lines > 0 && s.health_junk_mb > 0;
  for (const auto p : s.body_chance) {
    ok = ok && chance(p);
  }
  if (!ok) {
    throw std::invalid_argument(
        "chances must lie in [0, 1], sizes and depths be positive, oversize not negative");
  }
}

std::string nested_array(std::size_t depth) {
  std::string out(depth, '[');
  out += '1';
  out.append(depth, ']');
  return out;
}

void prepend_nested_line(std::string& page, std::size_t depth) {
  constexpr std::string_view opening = R"({"logs":[)";
  if (!page.starts_with(opening)) {
    return;
  }
  std::string line = R"({"type":"error","timestamp":)" + nested_array(depth) +
                     R"(,"message":"Timestamp from a confused firmware."})";
  if (page.size() > opening.size() && page[opening.size()] != ']') {
    line += ',';
  }
  page.insert(opening.size(), line);
}

std::string huge_log_page(std::size_t lines, std::int64_t timestamp) {
  std::string out;
  out.reserve(lines * 70 + 64);
  out += R"({"logs":[)";
  const auto opening = line_opening(timestamp);
  for (std::size_t i = 0; i < lines; ++i) {
    if (i != 0) {
      out += ',';
    }
    append_log_line(out, opening, i);
  }
  fmt::format_to(std::back_inserter(out), R"(],"total":{},"haveNextPage":false}})", lines);
  return out;
}

void insert_ignored_field(std::string& body, std::string_view value) {
  // Inside the objects the agent reads (an enclosure's info, a disk), not around them.
  std::size_t at = std::string::npos;
  for (const std::string_view opening : {R"("info":{)", R"("disks":[{)"}) {
    if (const auto found = body.find(opening); found != std::string::npos) {
      at = found + opening.size();
      break;
    }
  }
  if (at == std::string::npos) {
    return;
  }
  const auto next = body.find_first_not_of(" \t\r\n", at);
  const bool empty = next != std::string::npos && body[next] == '}';
  std::string out;
  out.reserve(body.size() + value.size() + 16);
  out.append(body, 0, at);
  out += R"("oemData":)";
  out += value;
  if (!empty) {
    out += ',';
  }
  out.append(body, at);
  body = std::move(out);
}

std::string junk_array(std::size_t bytes) {
  constexpr std::string_view item = R"({"k":1},)";
  std::string out;
  out.reserve(bytes + 2 * item.size() + 2);
  out += '[';
  out += item;
  // Doubling copies: tens of MB in a few large appends rather than millions of small ones.
  while (out.size() < bytes) {
    out.append(
        out, 1,
        std::min(out.size() - 1, bytes - out.size() + item.size()) / item.size() * item.size());
  }
  out += R"({"k":1}])";
  return out;
}

std::string endless_head(std::string_view date) {
  constexpr std::string_view opening = R"({"logs":[)";
  return fmt::format(
      "HTTP/1.1 200 OK\r\nServer: qsan-sim\r\nDate: {}\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n",
      date, opening.size(), opening);
}

std::string endless_chunk(std::int64_t timestamp, std::size_t bytes) {
  std::string lines;
  const auto opening = line_opening(timestamp);
  for (std::size_t i = 0; lines.size() < bytes; ++i) {
    append_log_line(lines, opening, i);
    lines += ',';
  }
  return fmt::format("{:x}\r\n{}\r\n", lines.size(), lines);
}

}  // namespace qsanfwd::sim

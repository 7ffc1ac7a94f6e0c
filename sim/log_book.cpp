#include "sim/log_book.hpp"

#include <algorithm>
#include <array>

#include "agent/core/event.hpp"

namespace qsanfwd::sim {
namespace {

struct message_template {
  log_type type;
  std::string_view text;
};

// Placeholders are filled from a line's parameter, so one template gives many distinct lines.
// The texts carry what real arrays write: quotes, brackets, backslashes, newlines, non-ASCII.
constexpr std::array<message_template, 24> templates{{
    {log_type::access, "User '{user}' is login from {ip}."},
    {log_type::access, "User '{user}' is logout."},
    {log_type::access, "User '{user}' failed to login from {ip}: wrong password."},
    {log_type::access, "Session of user \"{user}\" timed out [idle {n} minutes]."},
    {log_type::access, "SSH login of '{user}' from {ip} port {port} accepted."},
    {log_type::info, "Volume \"{vol}\" created in pool \"{pool}\" [{n} GB]."},
    {log_type::info, "Snapshot \"{vol}.snap{n}\" of volume {vol} taken."},
    {log_type::info, "Scheduled task 'backup-{n}' completed in {n} s."},
    {log_type::info, "Share \\\\qsan\\{vol} exported to host {ip}."},
    {log_type::info, "iSCSI session from iqn.1991-05.com.microsoft:host-{n} logged in."},
    {log_type::info, "Disk {disk} is ready."},
    {log_type::info, "Configuration saved by '{user}' (réglage «cache»)."},
    {log_type::info, "Rebuild of raidset {n} in pool {pool} completed."},
    {log_type::warning, "Disk {disk} temperature {pct} °C is above the warning threshold."},
    {log_type::warning, "Pool \"{pool}\" used capacity reached {pct}%."},
    {log_type::warning, "Fan [FAN{n}] speed low: {port} rpm."},
    {log_type::warning, "SSD {disk} life remaining {pct}% [replace soon]."},
    {log_type::warning, "Link down on port eth{n}; path C:\\cfg\\net{n}.ini unchanged."},
    {log_type::warning,
     "Battery backup unit learning cycle started.\nWrite cache is write-through."},
    {log_type::error, "Disk {disk} failed: medium error at LBA {port}{n}."},
    {log_type::error, "Raidset {n} of pool \"{pool}\" is degraded [disk {disk} missing]."},
    {log_type::error, "PSU {n} failed: input voltage lost."},
    {log_type::error, "Volume {vol} is offline.\nReason: \"I/O error\" on {disk}."},
    {log_type::error, "Controller {n} heartbeat lost; failover to the partner (アラート)."},
}};

constexpr std::array<std::string_view, 6> users{"admin",  "operator", "backup",
                                                "jsmith", "monitor",  "müller"};
constexpr std::array<std::string_view, 3> pools{"Pool1", "Pool2", "SSD-Pool"};

void append_placeholder(std::string& out, std::string_view name, std::uint32_t p) {
  if (name == "user") {
    out += users[p % users.size()];
  } else if (name == "ip") {
    out += "192.168.";
    out += std::to_string((p >> 8) % 256);
    out += '.';
    out += std::to_string(p % 254 + 1);
  } else if (name == "disk") {
    out += 'e';
    out += std::to_string(p % 2);
    out += 'd';
    out += std::to_string((p >> 1) % 8);
  } else if (name == "vol") {
    out += "vol-";
    out += std::to_string(p % 40);
  } else if (name == "pool") {
    out += pools[p % pools.size()];
  } else if (name == "pct") {
    out += std::to_string(40 + p % 60);
  } else if (name == "port") {
    out += std::to_string(1024 + p % 60000);
  } else {
    out += std::to_string(p % 97);
  }
}

// A verbatim message is sent as the array holds it: only what JSON cannot carry raw is escaped,
// and bytes that are not UTF-8 go out unchanged (append_json_string would repair them).
void append_json_bytes(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else {
      out += ch;
    }
  }
  out += '"';
}

void append_total(std::string& out, std::size_t total, const log_order& order) {
  if (order.total == total_mode::missing) {
    return;
  }
  if (order.total == total_mode::constant) {
    total = 1;
  } else if (order.total == total_mode::shrinking) {
    total -= std::min(total, order.total_less);
  }
  out += ",\"total\":";
  if (order.total_as_string) {
    out += '"';
    out += std::to_string(total);
    out += '"';
  } else {
    out += std::to_string(total);
  }
}

std::string latin1_login(std::uint32_t p) {
  // "J\xf6rg": o-umlaut in Latin-1, a lone byte that is not UTF-8.
  return "User 'J\xf6"
         "rg' is login from 192.168." +
         std::to_string((p >> 8) % 256) + "." + std::to_string(p % 254 + 1) + ".";
}

}  // namespace

std::string_view to_string(total_mode m) {
  switch (m) {
    case total_mode::exact:
      return "exact";
    case total_mode::missing:
      return "missing";
    case total_mode::constant:
      return "constant";
    case total_mode::shrinking:
      return "shrinking";
  }
  return "exact";
}

std::optional<total_mode> parse_total_mode(std::string_view name) {
  for (auto m :
       {total_mode::exact, total_mode::missing, total_mode::constant, total_mode::shrinking}) {
    if (to_string(m) == name) {
      return m;
    }
  }
  return std::nullopt;
}

std::string_view to_string(log_type t) {
  switch (t) {
    case log_type::access:
      return "access";
    case log_type::info:
      return "info";
    case log_type::warning:
      return "warning";
    case log_type::error:
      return "error";
  }
  return "info";
}

std::optional<log_type> parse_log_type(std::string_view name) {
  for (auto t : {log_type::access, log_type::info, log_type::warning, log_type::error}) {
    if (to_string(t) == name) {
      return t;
    }
  }
  return std::nullopt;
}

log_book::log_book(std::uint64_t seed, double duplicate_ratio)
    : rng_(seed), duplicate_ratio_(duplicate_ratio) {}

void log_book::generate(std::size_t n, std::int64_t first, std::int64_t last) {
  entries_.reserve(entries_.size() + n);
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  std::uniform_int_distribution<std::size_t> pick_template(0, templates.size() - 1);
  const auto span = static_cast<double>(std::max<std::int64_t>(last - first, 0));
  for (std::size_t i = 0; i < n; ++i) {
    // Evenly spread, the last line exactly at `last`; integer seconds never go backwards.
    const auto offset = n == 1 ? span : span * static_cast<double>(i) / static_cast<double>(n - 1);
    const auto ts = first + static_cast<std::int64_t>(offset);
    if (!entries_.empty() && entries_.back().timestamp == ts && chance(rng_) < duplicate_ratio_) {
      auto copy = entries_.back();
      push(copy);
      continue;
    }
    // Drawn only when asked for, so that seeds give the same logs as before this knob.
    if (latin1_ratio_ > 0 && chance(rng_) < latin1_ratio_) {
      add(ts, log_type::access, latin1_login(static_cast<std::uint32_t>(rng_())));
      continue;
    }
    const auto tmpl = pick_template(rng_);
    push({ts, static_cast<std::uint32_t>(rng_()), 0, static_cast<std::uint16_t>(tmpl),
          templates[tmpl].type});
  }
}

void log_book::add(std::int64_t timestamp, log_type type, std::string message) {
  custom_.push_back(std::move(message));
  push({timestamp, static_cast<std::uint32_t>(custom_.size() - 1), 0, custom_template, type});
}

void log_book::push(entry e) {
  e.seq = next_seq_++;
  if (entries_.empty() || entries_.back().timestamp <= e.timestamp) {
    entries_.push_back(e);
  } else {
    // A late line: keep the vector sorted so queries can binary-search it.
    const auto at =
        std::upper_bound(entries_.begin(), entries_.end(), e.timestamp,
                         [](std::int64_t ts, const entry& x) { return ts < x.timestamp; });
    entries_.insert(at, e);
  }
  trim();
}

void log_book::set_capacity(std::size_t lines) {
  capacity_ = lines;
  trim();
}

void log_book::trim() {
  if (capacity_ == 0 || entries_.size() <= capacity_) {
    return;
  }
  const auto cut = entries_.begin() + static_cast<std::ptrdiff_t>(entries_.size() - capacity_);
  dropped_.insert(dropped_.end(), entries_.begin(), cut);
  entries_.erase(entries_.begin(), cut);
}

void log_book::clear() {
  dropped_.insert(dropped_.end(), entries_.begin(), entries_.end());
  entries_.clear();
}

void log_book::append_message(std::string& out, const entry& e) const {
  if (e.tmpl == custom_template) {
    out += custom_[e.param];
    return;
  }
  const auto text = templates[e.tmpl].text;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find('{', i);
    if (open == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    const auto close = text.find('}', open);
    out.append(text.substr(i, open - i));
    append_placeholder(out, text.substr(open + 1, close - open - 1), e.param);
    i = close + 1;
  }
}

void log_book::append_line(std::string& out, std::string& scratch, const entry& e) const {
  out += "{\"type\":\"";
  out += to_string(e.type);
  out += "\",\"timestamp\":";
  out += std::to_string(e.timestamp);
  out += ",\"message\":";
  scratch.clear();
  append_message(scratch, e);
  if (e.tmpl == custom_template) {
    append_json_bytes(out, scratch);
  } else {
    append_json_string(out, scratch);
  }
  out += '}';
}

std::vector<log_line> log_book::ledger() const {
  auto all = dropped_;
  all.insert(all.end(), entries_.begin(), entries_.end());
  return render(std::move(all));
}

std::vector<log_line> log_book::dropped() const {
  return render(dropped_);
}

std::vector<log_line> log_book::render(std::vector<entry> list) const {
  const auto by_seq = [](const entry& a, const entry& b) { return a.seq < b.seq; };
  // Late lines and a ring that dropped by timestamp leave the list out of insertion order.
  if (!std::is_sorted(list.begin(), list.end(), by_seq)) {
    std::sort(list.begin(), list.end(), by_seq);
  }
  std::vector<log_line> lines;
  lines.reserve(list.size());
  for (const auto& e : list) {
    log_line line{e.timestamp, std::string(to_string(e.type)), {}};
    append_message(line.message, e);
    lines.push_back(std::move(line));
  }
  return lines;
}

std::size_t log_book::render_page(std::string& out, const log_query& q,
                                  const log_order& order) const {
  auto lo = entries_.begin();
  if (q.start_time) {
    const auto ts = *q.start_time;
    lo = order.start_time_inclusive
             ? std::lower_bound(entries_.begin(), entries_.end(), ts,
                                [](const entry& x, std::int64_t t) { return x.timestamp < t; })
             : std::upper_bound(entries_.begin(), entries_.end(), ts,
                                [](std::int64_t t, const entry& x) { return t < x.timestamp; });
  }
  const auto first = static_cast<std::size_t>(lo - entries_.begin());
  const auto matches = [&q](const entry& e) {
    return (q.type_mask & (1U << static_cast<unsigned>(e.type))) != 0;
  };

  // Ranks count matching lines in the answer's order; without a type filter a rank maps
  // straight to an index, otherwise the range is scanned once.
  std::vector<std::size_t> picked;
  std::size_t total = 0;
  const auto skip = (q.page_number - 1) * q.page_size;
  const auto served =
      order.oversize > 1
          ? static_cast<std::size_t>(static_cast<double>(q.page_size) * order.oversize)
          : q.page_size;
  const auto keep = [&](std::size_t index) {
    if (total >= skip && total - skip < served) {
      picked.push_back(index);
    }
    ++total;
  };
  if (q.type_mask == 0xF) {
    total = entries_.size() - first;
    for (std::size_t r = skip; r < total && r < skip + served; ++r) {
      picked.push_back(order.newest_first ? entries_.size() - 1 - r : first + r);
    }
  } else if (order.newest_first) {
    for (auto i = entries_.size(); i > first; --i) {
      if (matches(entries_[i - 1])) {
        keep(i - 1);
      }
    }
  } else {
    for (auto i = first; i < entries_.size(); ++i) {
      if (matches(entries_[i])) {
        keep(i);
      }
    }
  }

  out.reserve(out.size() + 64 + picked.size() * 120);
  out += "{\"logs\":[";
  std::string scratch;
  for (std::size_t k = 0; k < picked.size(); ++k) {
    if (k != 0) {
      out += ',';
    }
    append_line(out, scratch, entries_[picked[k]]);
  }
  out += ']';
  append_total(out, total, order);
  out += ",\"haveNextPage\":";
  out += order.always_next_page || skip + picked.size() < total ? "true" : "false";
  out += '}';
  return picked.size();
}

}  // namespace qsanfwd::sim

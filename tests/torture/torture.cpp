#include "tests/torture/torture.hpp"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <exception>
#include <fstream>
#include <iterator>
#include <random>
#include <set>

#include "agent/core/event.hpp"
#include "agent/store/sqlite.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd::torture {

std::uint32_t seed() {
  if (const char* given = std::getenv("QSANFWD_TORTURE_SEED"); given != nullptr) {
    return static_cast<std::uint32_t>(std::strtoul(given, nullptr, 10));
  }
  return std::random_device{}();
}

nlohmann::json agent_config(const std::filesystem::path& state_dir, std::uint16_t port) {
  return {
      {"state_dir", state_dir.string()},
      {"devices",
       {{{"name", "array-01"},
         {"url", "http://127.0.0.1:" + std::to_string(port)},
         {"username", "admin"},
         {"password", "password"},
         {"timeout", "2s"},
         {"logs", {{"interval", "1s"}, {"page_size", 200}}},
         {"health", {{"enabled", false}}}}}},
      {"sinks", nlohmann::json::array()},
  };
}

nlohmann::json file_sink(const std::string& name, const std::filesystem::path& path) {
  return {{"name", name}, {"type", "file"}, {"path", path.string()}};
}

nlohmann::json syslog_tcp_sink(const std::string& name, std::uint16_t port) {
  return {{"name", name},
          {"type", "syslog"},
          {"address", "tcp://127.0.0.1:" + std::to_string(port)},
          {"timeout", "2s"},
          {"batch", {{"max_delay", "100ms"}}},
          {"retry", {{"initial", "100ms"}, {"max", "1s"}}}};
}

void write_config(const std::filesystem::path& file, const nlohmann::json& config) {
  test::write_file(file, config.dump(2));
}

tally compare(const std::vector<test::log_line>& ledger, const test::archive& written) {
  std::vector<test::log_line> lost;
  std::vector<test::log_line> extra;
  std::set_difference(ledger.begin(), ledger.end(), written.lines.begin(), written.lines.end(),
                      std::back_inserter(lost));
  std::set_difference(written.lines.begin(), written.lines.end(), ledger.begin(), ledger.end(),
                      std::back_inserter(extra));
  tally t{ledger.size(), written.lines.size(), lost.size(), extra.size(), written.repeats, {}};
  for (std::size_t i = 0; i < lost.size() && i < 5; ++i) {
    const auto [from, to] = std::equal_range(ledger.begin(), ledger.end(), lost[i]);
    t.first_lost.emplace_back(lost[i], static_cast<std::size_t>(to - from));
  }
  return t;
}

std::ostream& operator<<(std::ostream& out, const tally& t) {
  out << "lines " << t.expected << ", written " << t.written << ", lost " << t.lost << ", extra "
      << t.extra << ", repeated " << t.repeated;
  for (const auto& [line, copies] : t.first_lost) {
    const auto& [timestamp, type, message] = line;
    out << "\n  lost: " << timestamp << " " << type << " \"" << message << "\" (" << copies
        << " in the ledger)";
  }
  return out;
}

file_output read_output(const std::filesystem::path& file) {
  file_output out;
  std::set<std::string> ids;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) {
      break;  // no newline yet: still being written
    }
    event e;
    try {
      e = event_from_json(line);
    } catch (const std::exception&) {
      ++out.torn;
      continue;
    }
    if (!ids.insert(e.id).second) {
      ++out.archive.repeats;
    } else if (e.kind == event_kind::log) {
      out.archive.lines.emplace_back(e.timestamp, e.type, e.message);
    }
  }
  std::sort(out.archive.lines.begin(), out.archive.lines.end());
  return out;
}

std::string integrity(const std::filesystem::path& db) {
  // Read-write: after a power cut the WAL may need the recovery only a writer can run, as the
  // agent's next start would.
  // A database too broken to check is an answer too, not an exception out of the test.
  try {
    sqlite::database d(db, sqlite::database::access::read_write);
    auto check = d.prepare("PRAGMA integrity_check");
    std::string out;
    while (check.step()) {
      out += check.column_text(0);
    }
    return out;
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::vector<std::string> lines_with(const std::filesystem::path& log,
                                    const std::vector<std::string>& words) {
  std::vector<std::string> out;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    const bool all = std::all_of(words.begin(), words.end(), [&](const std::string& w) {
      return line.find(w) != std::string::npos;
    });
    if (all) {
      out.push_back(line);
    }
  }
  return out;
}

std::string last_lines(const std::filesystem::path& log, std::size_t count) {
  std::deque<std::string> kept;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    kept.push_back(std::move(line));
    if (kept.size() > count) {
      kept.pop_front();
    }
  }
  std::string out;
  for (const auto& l : kept) {
    out += l;
    out += '\n';
  }
  return out;
}

}  // namespace qsanfwd::torture

#include "tests/support/archive.hpp"

#include <algorithm>
#include <fstream>
#include <set>

#include "agent/core/event.hpp"

namespace qsanfwd::test {

archive read_archive(const std::filesystem::path& file) {
  archive a;
  std::set<std::string> ids;
  std::ifstream in(file);
  std::string text;
  while (std::getline(in, text)) {
    if (in.eof()) {
      // No newline yet: the sink is still writing this line (tests read while it runs).
      break;
    }
    const auto e = event_from_json(text);
    if (!ids.insert(e.id).second) {
      ++a.repeats;
      continue;
    }
    if (e.kind == event_kind::log) {
      a.lines.emplace_back(e.timestamp, e.type, e.message);
    }
  }
  std::sort(a.lines.begin(), a.lines.end());
  return a;
}

}  // namespace qsanfwd::test

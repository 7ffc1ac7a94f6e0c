#include "tests/support/wait.hpp"

#include <fstream>
#include <sstream>
#include <thread>

namespace qsanfwd::test {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  auto pause = std::chrono::milliseconds(1);
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) {
      return condition();
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return true;
}

std::string wait_for_line(const std::filesystem::path& file, const std::regex& pattern,
                          std::chrono::milliseconds deadline) {
  std::string found;
  wait_until(
      [&] {
        std::ostringstream text;
        text << std::ifstream(file).rdbuf();
        std::smatch m;
        const auto s = text.str();
        if (std::regex_search(s, m, pattern)) {
          found = m[1];
        }
        return !found.empty();
      },
      deadline);
  return found;
}

}  // namespace qsanfwd::test

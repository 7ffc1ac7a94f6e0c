#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <string>

namespace qsanfwd::test {

/// Polls `condition` every few milliseconds until it holds or `deadline` passes; returns
/// whether it held. The way tests wait: on a condition, with a deadline, never a bare sleep.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = std::chrono::seconds(10));

/// Waits until `file` holds a match of `pattern` (a child's log line saying where it listens);
/// returns the first match's first group, or "" when there is none within `deadline`.
std::string wait_for_line(const std::filesystem::path& file, const std::regex& pattern,
                          std::chrono::milliseconds deadline);

}  // namespace qsanfwd::test

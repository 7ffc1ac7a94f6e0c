#include "agent/logs/repeated_pages.hpp"

#include <algorithm>

#include "agent/logs/log_state.hpp"

namespace qsanfwd::logs {
namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  return (h ^ v) * 0x100000001B3ULL + 0x9E3779B97F4A7C15ULL;
}

}  // namespace

bool repeated_pages::seen_before(std::span<const device::log_entry> lines) {
  if (lines.empty()) {
    return false;
  }
  const bool one_second = lines.front().timestamp == lines.back().timestamp &&
                          std::all_of(lines.begin(), lines.end(), [&](const auto& l) {
                            return l.timestamp == lines.front().timestamp;
                          });
  std::uint64_t digest = 0xCBF29CE484222325ULL;
  for (const auto& l : lines) {
    digest = mix(digest, static_cast<std::uint64_t>(l.timestamp));
    if (one_second) {
      digest = mix(digest, line_hash(l.type, l.message));
    }
  }
  digest = mix(digest, lines.size());
  return !digests_.insert(digest).second;
}

}  // namespace qsanfwd::logs

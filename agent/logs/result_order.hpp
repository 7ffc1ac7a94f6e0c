#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "agent/device/model.hpp"

namespace qsanfwd::logs {

/// The order a page shows (true: newest first), when its first and last lines differ in time;
/// a page of one second says nothing.
std::optional<bool> order_shown_by(std::span<const device::log_entry> page);

/// The order the bottom page of a listing tells against `second`, the one second its page 1 is
/// all of: newest first when any line of the bottom is older; none when the bottom is all of
/// that second too.
std::optional<bool> order_against(std::int64_t second, std::span<const device::log_entry> bottom);

}  // namespace qsanfwd::logs

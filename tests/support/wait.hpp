#pragma once

#include <chrono>
#include <functional>

namespace qsanfwd::test {

/// Polls `condition` every few milliseconds until it holds or `deadline` passes; returns
/// whether it held. The way tests wait: on a condition, with a deadline, never a bare sleep.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace qsanfwd::test

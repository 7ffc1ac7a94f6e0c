#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "agent/core/result.hpp"
#include "agent/device/model.hpp"

namespace qsanfwd::device {

// Tolerant parsers for the array's answers. A field documented as an int may come as a string and
// the other way round; a missing optional field is normal; keys with stray spaces (the manual
// shows " cacheToFlash ") are matched. A body that is not the expected JSON is a failure naming
// the endpoint and the field, never an exception. Every parse is bounded whatever the body holds:
// no recursion deeper than 64 containers, members no reader asks for dropped as they are
// parsed, and a cap on the values and list items kept.

result<token_grant> parse_token_grant(std::string_view endpoint, std::string_view body);
/// A page asked for with `page_size`: one holding more lines is a protocol error, and reading
/// stops at the first line too many.
result<log_page> parse_log_page(std::string_view body, std::size_t page_size);
result<std::vector<int>> parse_enclosure_numbers(std::string_view body);
result<std::vector<enclosure>> parse_enclosures(std::string_view body);
result<std::vector<disk>> parse_disks(std::string_view body);
result<std::vector<pool>> parse_pools(std::string_view body);
result<std::vector<volume>> parse_volumes(std::string_view body);
/// `iscsi` as a list of controllers (the manual's example) or a single one; each session
/// must name its initiator.
result<std::vector<iscsi_session>> parse_iscsi_sessions(std::string_view body);
/// A task's `destination` as a list of lines, a single object, or anything else (a string:
/// none).
result<std::vector<replication_task>> parse_replication_tasks(std::string_view body);
result<std::vector<snapshot_task>> parse_snapshot_tasks(std::string_view body);

namespace detail {
/// parse_log_page() through nlohmann's DOM: the reference for every page, and the answer for
/// pages the streaming reader leaves to it (any error, stray-space or repeated keys). Public so
/// that tests and the fuzz target can compare the two.
result<log_page> parse_log_page_dom(std::string_view body, std::size_t page_size);
}  // namespace detail

}  // namespace qsanfwd::device

#pragma once

// An array that misbehaves (issue 23): the knobs of qsan-sim that turn its answers hostile, and
// the bodies they send. The simulator decides when; this file says what.

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "sim/log_book.hpp"

namespace qsanfwd::sim {

/// Answer bodies no parser should trust. Which endpoints each hits:
/// - nested_timestamp: `/rest/v1/log/list`, one line first on the page whose `timestamp` is an
///   array nested `nesting_depth` deep (~150 KB at 75,000);
/// - huge_page: `/rest/v1/log/list`, `huge_page_lines` lines (~59 bytes each) whatever pageSize;
/// - endless_chunked: every `/rest/` answer, a chunked body of log lines that never ends, sent
///   as fast as the socket takes it until the client goes;
/// - nested_health: `/rest/v1/hardware/.../info` and `/rest/v1/storage/disk/list`, an ignored
///   field `oemData` (in the first enclosure's `info`, the first disk) nested `nesting_depth` deep;
/// - health_junk: the same endpoints, `oemData` holding `health_junk_mb` MB of small objects.
enum class hostile_body : std::uint8_t {
  nested_timestamp,
  huge_page,
  endless_chunked,
  nested_health,
  health_junk,
};
inline constexpr std::size_t hostile_body_count = 5;

std::string_view to_string(hostile_body b);
/// Accepts the names above ("nested_timestamp", ...).
std::optional<hostile_body> parse_hostile_body(std::string_view name);
/// Whether a body of this kind can answer a request to `path` (a /rest/ path).
bool hostile_body_applies(hostile_body b, std::string_view path);

/// The knobs; every one is off by default. A field of sim::options, and settable at run time
/// (simulator::set_hostile, POST /_sim/hostile).
struct hostile_settings {
  // /rest/v1/log/list as buggy firmware answers it.
  bool ignore_page_number = false;  ///< every pageNumber gets page 1
  bool always_next_page = false;    ///< haveNextPage is always true
  bool ignore_start_time = false;   ///< the whole log, whatever startTime
  total_mode total = total_mode::exact;
  double oversize_pages = 1;  ///< lines a page holds, as a multiple of pageSize

  // The log itself.
  std::size_t max_log_lines = 0;  ///< a ring of this many lines, the oldest dropped; 0: no limit
  double latin1_ratio = 0;        ///< chance a generated line names a Latin-1 user (`J\xf6rg`)

  /// The access token handed out ends in CR LF and a header of its own (`X-Injected`).
  bool token_crlf = false;

  /// The chance, per eligible answer, of each hostile body (by hostile_body).
  std::array<double, hostile_body_count> body_chance{};
  std::size_t nesting_depth = 75'000;
  std::size_t huge_page_lines = 1'000'000;
  std::size_t health_junk_mb = 60;
};

/// Applies the keys present in `j` (camelCase: ignorePageNumber, alwaysNextPage,
/// ignoreStartTime, total, oversizePages, maxLogLines, latin1Ratio, tokenCrlf, nestingDepth,
/// hugePageLines, healthJunkMb, and each body's name in camelCase with its chance, e.g.
/// nestedTimestamp). Throws nlohmann::json::exception on a mistyped value and
/// std::invalid_argument on a bad one.
void update_hostile(hostile_settings& s, const nlohmann::json& j);
/// Throws std::invalid_argument for a chance outside [0, 1] or a zero size.
void check_hostile(const hostile_settings& s);

/// Puts a line whose timestamp is nested `depth` deep first in a rendered log page.
void prepend_nested_line(std::string& page, std::size_t depth);
/// A log page of `lines` lines at `timestamp`, total and haveNextPage as if it were all.
std::string huge_log_page(std::size_t lines, std::int64_t timestamp);
/// Puts `"oemData":<value>` first in the first enclosure's `info` or the first disk of a health
/// answer; leaves other bodies alone.
void insert_ignored_field(std::string& body, std::string_view value);
/// An array nested `depth` deep around a number.
std::string nested_array(std::size_t depth);
/// A JSON array of small objects, about `bytes` long: cheap to send, costly as a tree.
std::string junk_array(std::size_t bytes);

/// The endless chunked answer: its status line and headers, the first chunk (opening the page),
/// and a chunk of lines the simulator sends again and again.
std::string endless_head(std::string_view date);
std::string endless_chunk(std::int64_t timestamp, std::size_t bytes);

}  // namespace qsanfwd::sim

#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qsanfwd::app {

// `qsanfwd top`'s picture of the agent, drawn from what GET /api/status answered: a pure
// function of that JSON and the terminal's size, so every frame can be tested as text. The
// answer is read as hostile: any field may be missing or of another type, and every string is
// made safe to print (no control character, no escape sequence, cut by terminal columns).

/// What top knows when it draws.
struct top_state {
  std::string url;                       ///< what it polls, shown when that fails
  std::optional<nlohmann::json> status;  ///< the last answer read, if any
  std::string error;                     ///< why the last poll failed; empty when it worked
  std::int64_t stale_seconds = 0;        ///< with an error: how old `status` is
};

/// How a line is meant to look; the terminal turns it into colours, --once ignores it.
enum class line_style { plain, title, heading, critical, trouble };

struct top_line {
  std::string text;  ///< safe to print; at most the frame's width in columns
  line_style style = line_style::plain;
};

/// The frame for a terminal of `width` columns and `height` rows: a header (version, uptime,
/// counts), the open alarms, then one row per device and per sink, trouble first (a device with
/// a critical alarm, one unreachable or whose login fails, a sink retrying, a device with other
/// alarms, then the rest by name), with "… N more" when they do not all fit. At most `height`
/// lines, none wider than `width` columns.
std::vector<top_line> render_top(const top_state& state, std::size_t width, std::size_t height);

/// `text` as it may be printed on a terminal, at most `width` columns wide ("…" ends it when
/// cut): escape sequences (CSI, OSC and the rest, 7- and 8-bit) and control characters removed,
/// tabs and line breaks read as spaces, bidirectional and zero-width controls removed, invalid
/// UTF-8 shown as U+FFFD. East Asian wide characters and emoji count two columns.
std::string terminal_text(std::string_view text, std::size_t width);

/// The columns `text` (already made safe by terminal_text) takes on a terminal.
std::size_t terminal_columns(std::string_view text);

}  // namespace qsanfwd::app

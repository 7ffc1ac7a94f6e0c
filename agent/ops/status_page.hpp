#pragma once

#include <string_view>

#include "agent/ops/http_api.hpp"

namespace qsanfwd::ops {

/// agent/ops/status_page.html as built into the program.
extern const std::string_view status_page_html;

/// The Content-Security-Policy the page is served with: nothing but its own inline style and
/// script (by their SHA-256) and requests to its own origin; no frames, forms or plugins.
std::string status_page_policy(std::string_view html);

/// GET /: the status page, which reads /api/status. The same bytes on every call.
reply status_page_reply();

}  // namespace qsanfwd::ops

#pragma once

#include <optional>
#include <string_view>

#include "agent/core/severity.hpp"

namespace qsanfwd::health {

/// What a health or status word of the array means, whatever the product line calls it.
enum class condition {
  fine,      ///< Good, Optimal, Online, Normal, ...
  degraded,  ///< Degraded, Warning, abnormal, Rebuilding, ... (still serving)
  failed,    ///< Failed, Offline, Critical, ... (lost or about to be)
  unknown,   ///< a word not in the table: treated as not fine, never ignored
};

std::string_view to_string(condition c);

/// The one table of health words: case and surrounding blanks do not matter. A word the table
/// lacks is `unknown`.
condition condition_of(std::string_view word);

/// The severity of a health event, from the one mapping of the issue: failed → critical;
/// degraded, unknown and threshold crossings → warning; a return to fine after something not
/// fine → notice; anything else (inventory, a fine word replaced by another fine word) → info.
/// `previous` is empty when the component was not known before.
severity severity_of_change(std::optional<condition> previous, condition current);

/// Severity of a threshold alarm being raised (warning) or cleared (notice).
severity severity_of_threshold(bool raised);

}  // namespace qsanfwd::health

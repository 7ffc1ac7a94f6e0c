#include "agent/core/event_filter.hpp"

#include <fnmatch.h>
#include <regex.h>

#include <algorithm>
#include <stdexcept>

namespace qsanfwd {

struct text_pattern::compiled {
  regex_t regex{};
};

text_pattern::text_pattern(std::string pattern)
    : pattern_(std::move(pattern)), regex_(std::make_unique<compiled>()) {
  // glibc accepts \1..\9 in extended expressions too; back-references make matching
  // exponential, so a rule cannot have them.
  for (std::size_t i = 0; i + 1 < pattern_.size(); ++i) {
    if (pattern_[i] == '\\') {
      if (pattern_[i + 1] >= '1' && pattern_[i + 1] <= '9') {
        throw std::invalid_argument("back-references (\\" + std::string(1, pattern_[i + 1]) +
                                    ") are not supported");
      }
      ++i;
    }
  }
  const int rc = regcomp(&regex_->regex, pattern_.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char reason[256];
    regerror(rc, &regex_->regex, reason, sizeof reason);
    regex_.reset();
    throw std::invalid_argument("not a POSIX extended regular expression: " +
                                std::string(reason));
  }
}

text_pattern::~text_pattern() {
  if (regex_) {
    regfree(&regex_->regex);
  }
}

bool text_pattern::found_in(const std::string& text) const {
  // REG_STARTEND: the whole text, a NUL in it included, not just up to its first NUL.
  regmatch_t range{0, static_cast<regoff_t>(text.size())};
  return regexec(&regex_->regex, text.data(), 1, &range, REG_STARTEND) == 0;
}

namespace {

template <typename T, typename Pred>
bool any_or_none(const std::vector<T>& values, Pred pred) {
  return values.empty() || std::any_of(values.begin(), values.end(), pred);
}

}  // namespace

bool event_rule::holds_for(const event& e) const {
  const auto code = static_cast<int>(e.severity);
  return any_or_none(kinds, [&](event_kind k) { return k == e.kind; }) &&
         (!at_least || code <= static_cast<int>(*at_least)) &&
         (!at_most || code >= static_cast<int>(*at_most)) &&
         any_or_none(types, [&](const std::string& t) { return t == e.type; }) &&
         any_or_none(components, [&](const std::string& c) { return c == e.component; }) &&
         any_or_none(devices,
                     [&](const std::string& glob) {
                       return fnmatch(glob.c_str(), e.device.c_str(), 0) == 0;
                     }) &&
         (!message || message->found_in(e.message));
}

bool event_filter::takes(const event& e) const {
  const auto holds = [&](const event_rule& r) { return r.holds_for(e); };
  return (match.empty() || std::any_of(match.begin(), match.end(), holds)) &&
         std::none_of(exclude.begin(), exclude.end(), holds);
}

}  // namespace qsanfwd

#include "agent/core/queued_event.hpp"

namespace qsanfwd {

const event& queued_event::fields() const {
  if (!parsed_) {
    parsed_ = event_from_json(body);
  }
  return *parsed_;
}

}  // namespace qsanfwd

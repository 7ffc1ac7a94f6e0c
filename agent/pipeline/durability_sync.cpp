#include "agent/pipeline/durability_sync.hpp"

namespace qsanfwd::pipeline {

std::int64_t durability_sync::sync_through(std::int64_t counted) {
  if (durable_ < counted) {
    db_.sync_wal();
    durable_ = counted;
  }
  return durable_;
}

}  // namespace qsanfwd::pipeline

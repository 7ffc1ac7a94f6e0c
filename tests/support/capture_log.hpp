#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>

namespace qsanfwd::test {

/// Records everything the agent's loggers write while it lives, so tests can assert that no
/// secret ever reaches a log line.
class capture_log {
 public:
  capture_log();
  ~capture_log();
  capture_log(const capture_log&) = delete;
  capture_log& operator=(const capture_log&) = delete;

  std::string text() const;

 private:
  class sink;
  std::shared_ptr<sink> sink_;
  spdlog::level::level_enum previous_level_;
};

}  // namespace qsanfwd::test

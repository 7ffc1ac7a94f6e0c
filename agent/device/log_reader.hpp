#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/core/result.hpp"
#include "agent/device/model.hpp"

namespace qsanfwd::device {

struct log_query {
  std::int64_t start_time = 0;
  std::vector<std::string> types;
  int page_number = 1;
  int page_size = 1000;
};

/// The part of an array the log poller reads: its log pages and its clock. device_client is
/// the real one; the poller's fuzz target scripts its own array behind it.
class log_reader {
 public:
  virtual ~log_reader() = default;

  virtual boost::asio::awaitable<result<log_page>> log_list(const log_query& q) = 0;
  /// The array's clock: the Date of its last answer that had one, moved on by the time since.
  /// Nullopt before such an answer.
  virtual std::optional<std::int64_t> array_now() const = 0;
  /// False while the array is unreachable or refuses the login: the client reports that
  /// itself, so the poller does not call the log stuck on top of it.
  virtual bool answering() const = 0;
  /// The device's name in the config, and the host its events name.
  virtual const std::string& device_name() const = 0;
  virtual const std::string& device_host() const = 0;
};

}  // namespace qsanfwd::device

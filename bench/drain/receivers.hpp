#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

namespace qsanfwd::bench {

/// A receiver on 127.0.0.1 that only counts what arrives; it runs its own threads.
class counting_receiver {
 public:
  virtual ~counting_receiver() = default;
  virtual std::uint16_t port() const = 0;
  virtual std::uint64_t count() = 0;
};

/// Syslog over TCP with octet-counting framing (RFC 6587): counts frames.
std::unique_ptr<counting_receiver> start_syslog_receiver();
/// HTTP/1.1 with keep-alive (net::http_server): answers 200 to every POST and counts the lines
/// of ndjson bodies.
std::unique_ptr<counting_receiver> start_http_receiver();

/// librdkafka's mock cluster (one broker, topic `qsan` of one partition) in this process:
/// port() is its broker's, count() the partition's high watermark (messages appended).
std::unique_ptr<counting_receiver> start_kafka_receiver();

/// Counts the lines of a file as another process appends to them, reading only what is new.
class file_line_counter {
 public:
  explicit file_line_counter(std::filesystem::path path) : path_(std::move(path)) {}
  std::uint64_t count();

 private:
  std::filesystem::path path_;
  std::uint64_t offset_ = 0;
  std::uint64_t lines_ = 0;
};

}  // namespace qsanfwd::bench

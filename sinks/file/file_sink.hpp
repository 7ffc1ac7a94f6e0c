#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "sinks/file/file_options.hpp"
#include "sinks/file/hash_chain.hpp"
#include "sinks/sink.hpp"

namespace qsanfwd::sinks {

/// Counters of a file sink, for status and tests.
struct file_sink_counters {
  std::uint64_t lines = 0;
  std::uint64_t rotations = 0;
  std::uint64_t fsyncs = 0;
  std::uint64_t write_failures = 0;
  std::uint64_t already_written = 0;  ///< events found written by a run that was killed
};

/// Appends each event's canonical JSON as one line to a file (`type: "file"`).
///
/// Missing directories are created; a file the sink creates gets mode `permissions`. A batch is
/// written with one write(2) after any rotation it calls for; when writing fails (a full disk)
/// the file is cut back to where the batch started and the answer is retry, so a retried batch
/// leaves no partial or doubled line. With `fsync: batch` a batch is on disk before it counts as
/// delivered. Rotation by size or age renames `path` to `path.1` (gzipped to `path.1.gz` when
/// asked), shifting older ones and keeping `rotate.keep`. reopen() closes the file so the next
/// batch opens `path` again (logrotate's rename-then-SIGHUP). The work is local file I/O done in
/// place: deliver() finishes without suspending.
///
/// A run killed between writing a batch and recording it as delivered leaves that batch in the
/// file, and the queue sends it again. The file's last line at start tells how far the killed
/// run got: the first batch skips its events up to that line, so a crash doubles no line. (A
/// power cut that rolls the queue back further than one batch still repeats events.)
class file_sink final : public sink {
 public:
  file_sink(std::string name, file_options options);
  ~file_sink() override;
  file_sink(const file_sink&) = delete;
  file_sink& operator=(const file_sink&) = delete;

  boost::asio::awaitable<delivery> deliver(std::span<const queued_event> batch) override;
  void reopen() override;
  boost::asio::awaitable<void> close() override;
  std::string_view name() const override { return name_; }

  const file_sink_counters& counters() const { return counters_; }

 private:
  delivery write_batch(std::span<const queued_event> batch);
  /// Counts the failure, warns once until a batch is written again, and answers retry.
  delivery failed(std::string why);
  /// The batch's lines into batch_buf_, chained from `next` when it is set.
  void build_lines(std::span<const queued_event> batch, std::optional<chain_state>& next);
  bool rotation_due(std::size_t adding) const;
  /// Writes (and with `fsync: batch` syncs) `lines`; on failure cuts the file back to size_.
  std::optional<std::string> append(std::string_view lines);
  /// The fsync policy's bookkeeping once a batch is in the file.
  void after_append();
  std::size_t already_written(std::span<const queued_event> batch);
  std::optional<std::string> open_file();
  std::optional<std::string> rotate();
  void compress(const std::filesystem::path& rotated);
  void load_chain();
  void sync();
  void close_file();
  std::filesystem::path rotated_name(int index, bool gz) const;

  std::string name_;
  file_options options_;
  std::shared_ptr<spdlog::logger> log_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::chrono::steady_clock::time_point opened_at_;
  std::chrono::steady_clock::time_point last_sync_;
  bool unsynced_ = false;
  std::optional<chain_state> chain_;  ///< with hash_chain, once read from the files on disk
  bool failing_ = false;
  bool opened_before_ = false;
  /// The canonical event of the file's last line when first opened, until the first batch.
  std::optional<std::string> resume_after_;
  std::string batch_buf_;  ///< the lines of a batch, reused so its pages stay mapped
  file_sink_counters counters_;
};

}  // namespace qsanfwd::sinks

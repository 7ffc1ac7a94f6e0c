#pragma once

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/core/event.hpp"
#include "sinks/file/file_options.hpp"
#include "sinks/file/file_target.hpp"
#include "sinks/sink.hpp"

namespace qsanfwd::sinks {

/// Appends each event's canonical JSON as one line to a file (`type: "file"`).
///
/// Missing directories are created; a file the sink creates gets mode `permissions`. A batch is
/// written with one write(2) per file after any rotation it calls for; when writing fails (a
/// full disk) the file is cut back to where the batch started and the answer is retry, so a
/// retried batch leaves no partial or doubled line. With `fsync: batch` a batch is on disk
/// before it counts as delivered. Rotation by size or age renames `path` to `path.1` (gzipped
/// to `path.1.gz` when asked), shifting older ones and keeping `rotate.keep`. reopen() closes
/// the files so the next batch opens them again (logrotate's rename-then-SIGHUP). The work is
/// local file I/O done in place: deliver() finishes without suspending.
///
/// A path with placeholders (`/var/log/qsan/{device}/%Y-%m-%d.jsonl`) sends each event to the
/// file its own fields name. Each such file has its own rotation, hash chain and restart rule;
/// the batch's events of one file are written in queue order with one write(2). At most
/// `max_open_files` are open: the least recently written one is closed to open another. A
/// value taken from an event cannot add a path component: `/` and control bytes in it become
/// `_`, it is cut at 100 bytes, and a directory or file name of the templated part that comes
/// out empty, `.` or `..` is written `_`, so every file stays under the directory that precedes
/// the first placeholder.
///
/// A run killed between writing a batch and recording it as delivered leaves that batch in the
/// files, and the queue sends it again; so does a batch of which one file failed. Until a batch
/// has been written whole, each file's last line tells how far the earlier attempt got: the
/// events of the batch up to that line are skipped, so neither doubles a line. (A power cut
/// that rolls the queue back further than one batch still repeats events.)
///
/// With `hash_chain`, `key_file` (read here: at start and at each reload) keys the chain, and
/// each file is sealed after a batch once `seal.every_events` lines or `seal.every` have passed
/// since its last seal, `seal.every` after it when writing has stopped, before it is rotated,
/// and when it is closed (reopen, stop, or to open another). Each seal is reported (sink::report)
/// as an `archive_seal` agent event.
class file_sink final : public sink {
 public:
  /// With `ex`, lines left unsealed when writing stops are sealed `seal.every` after the last
  /// seal by a timer on it; without, at the next batch or close. Throws std::runtime_error when
  /// `key_file` cannot be read or is too short.
  file_sink(std::string name, file_options options,
            std::optional<boost::asio::any_io_executor> ex = std::nullopt);
  ~file_sink() override;
  file_sink(const file_sink&) = delete;
  file_sink& operator=(const file_sink&) = delete;

  boost::asio::awaitable<delivery> deliver(std::span<const queued_event> batch) override;
  void reopen() override;
  boost::asio::awaitable<void> close() override;
  std::string_view name() const override { return name_; }

  const file_sink_counters& counters() const { return counters_; }
  /// Files the sink holds, at most max_open_files (for tests): open, or closed by reopen()
  /// until a batch goes to them again.
  std::size_t open_files() const { return targets_.size(); }

 private:
  /// The events of a batch that go to one file, in queue order.
  struct group {
    std::string path;
    std::vector<const queued_event*> events;
  };

  delivery write_batch(std::span<const queued_event> batch);
  /// Counts the failure, warns once until a batch is written again, and answers retry.
  delivery failed(std::string why);
  /// Fills groups_ with the batch's events by the file each goes to.
  void group_by_path(std::span<const queued_event> batch);
  group& next_group(const std::string& path);
  /// The file `e` goes to, by the path template, into rendered_.
  void render_path(const queued_event& e);
  std::optional<std::string> write_group(const group& g);
  /// The file of `path`, open or not, made the most recently used.
  file_target& target_for(const std::string& path);
  std::size_t skip_written(const file_target& target, std::span<const queued_event* const> events);
  /// Reports the seals made since the last call, as agent events.
  void report_seals();
  /// Arms the seal timer when a file has lines not sealed and it is not armed.
  void arm_seal_timer();
  void on_seal_timer();

  std::string name_;
  file_options options_;
  std::shared_ptr<spdlog::logger> log_;
  std::optional<chain_key> key_;
  std::vector<seal> seals_;  ///< made, not yet reported
  std::optional<boost::asio::steady_timer> seal_timer_;
  bool seal_timer_armed_ = false;
  /// Where the templated part of the path starts: after the directory before the first
  /// placeholder.
  std::size_t fixed_prefix_ = 0;
  std::list<file_target> targets_;  ///< most recently used first
  std::unordered_map<std::string, std::list<file_target>::iterator> by_path_;
  std::vector<group> groups_;  ///< kept from batch to batch, as their vectors are
  std::size_t groups_used_ = 0;
  std::unordered_map<std::string, std::size_t> group_of_;
  event read_;            ///< the event a path is rendered from, reused
  std::string rendered_;  ///< a rendered path, reused
  std::string scratch_;
  /// False until a batch has been written whole, and again after a failure: the next batch
  /// may repeat events that are in the files already.
  bool settled_ = false;
  bool failing_ = false;
  std::string batch_buf_;  ///< the lines of a batch, reused so its pages stay mapped
  file_sink_counters counters_;
};

}  // namespace qsanfwd::sinks

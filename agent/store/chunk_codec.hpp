#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace qsanfwd {

/// zstd for the event queue's chunks, with its contexts kept between calls (making them costs
/// more than packing a page).
///
/// Why: a drain writes each queued event to disk twice (in the WAL, then where the checkpoint
/// copies it into the database) besides the sink's own copy, and on a virtual disk of ~200 MB/s
/// that, not CPU, set the pace. A page of log lines packs ~6-11x at level 1 for ~1.4 ms per
/// MiB; unpacking costs a third of that. Each frame carries zstd's checksum of its content (see
/// the constructor).
class chunk_codec {
 public:
  chunk_codec();
  ~chunk_codec();
  chunk_codec(const chunk_codec&) = delete;
  chunk_codec& operator=(const chunk_codec&) = delete;

  /// Chunks smaller than this stay as they are: a few events pack poorly and would cost a
  /// decompression for little.
  static constexpr std::size_t min_packed_bytes = 4096;

  /// Packs `plain` into `packed` (replacing its content) and returns true, unless `plain` is
  /// small or packing would not save an eighth of it.
  bool pack(std::string_view plain, std::string& packed);
  /// Unpacks what pack() made of `plain_size` bytes into `plain` (replacing its content).
  /// Throws std::runtime_error when `packed` is not that: damaged, or of another size.
  void unpack(std::string_view packed, std::size_t plain_size, std::string& plain);

 private:
  struct contexts;
  std::unique_ptr<contexts> contexts_;
};

}  // namespace qsanfwd

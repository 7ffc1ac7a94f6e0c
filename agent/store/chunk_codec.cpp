#include "agent/store/chunk_codec.hpp"

#include <zstd.h>

#include <stdexcept>

namespace qsanfwd {

struct chunk_codec::contexts {
  ZSTD_CCtx* pack = ZSTD_createCCtx();
  ZSTD_DCtx* unpack = ZSTD_createDCtx();
  std::string room;  ///< what pack() writes a frame into, kept between calls
  ~contexts() {
    ZSTD_freeCCtx(pack);
    ZSTD_freeDCtx(unpack);
  }
};

namespace {

// Level 1: the fastest standard level. zstd's fast levels below it cost fewer instructions
// (-3: ~600 an event fewer, ~3 % of a drain under callgrind) but pack the drain's JSON ~7x
// instead of ~11x, and a chunk of 1,000 events then fills three 16 KiB pages instead of two:
// +5-16 % written to disk a million events (bench/README.md, issue 28 part 7, third round), the
// resource this codec exists to save. Higher standard levels cost more CPU than the disk time
// they save. Chunks packed at any level unpack alike.
constexpr int level = 1;

}  // namespace

chunk_codec::chunk_codec() : contexts_(std::make_unique<contexts>()) {
  if (contexts_->pack == nullptr || contexts_->unpack == nullptr) {
    throw std::bad_alloc();
  }
  ZSTD_CCtx_setParameter(contexts_->pack, ZSTD_c_compressionLevel, level);
  // A damaged chunk is then an error, never wrong events handed to a sink. Nothing else would
  // tell: SQLite checksums WAL frames only to find where a WAL ends, not database pages, and a
  // byte changed in a frame's literals still unpacks to the right size. It costs ~530
  // instructions an event under callgrind (XXH64 of the content, on packing and unpacking).
  ZSTD_CCtx_setParameter(contexts_->pack, ZSTD_c_checksumFlag, 1);
}

chunk_codec::~chunk_codec() = default;

bool chunk_codec::pack(std::string_view plain, std::string& packed) {
  if (plain.size() < min_packed_bytes) {
    return false;
  }
  // Room for what would save an eighth, no more: zstd fails with "too small" otherwise. It is
  // kept, and the frame copied out of it: making the room in `packed` zero-filled 7/8 of the
  // page every time, ~235 instructions an event under callgrind, for a frame of a seventh.
  auto& room = contexts_->room;
  const auto limit = plain.size() - plain.size() / 8;
  if (room.size() < limit) {
    room.resize(limit);
  }
  const auto size = ZSTD_compress2(contexts_->pack, room.data(), limit, plain.data(), plain.size());
  const bool packs = ZSTD_isError(size) == 0;
  if (packs) {
    packed.assign(room.data(), size);
  }
  // A chunk is at most a megabyte and an event; one huge event's room is not kept.
  constexpr std::size_t max_kept = 4 << 20;
  if (room.size() > max_kept) {
    std::string().swap(room);
  }
  return packs;
}

void chunk_codec::unpack(std::string_view packed, std::size_t plain_size, std::string& plain) {
  plain.resize(plain_size);
  const auto size = ZSTD_decompressDCtx(contexts_->unpack, plain.data(), plain.size(),
                                        packed.data(), packed.size());
  if (ZSTD_isError(size) != 0) {
    throw std::runtime_error(std::string("cannot unpack: ") + ZSTD_getErrorName(size));
  }
  if (size != plain_size) {
    throw std::runtime_error("unpacked " + std::to_string(size) + " bytes, expected " +
                             std::to_string(plain_size));
  }
}

}  // namespace qsanfwd

#include "tests/torture/power_cut.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "tests/torture/power_cut_journal.hpp"

namespace qsanfwd::torture::power_cut {
namespace {

struct record {
  tag t = tag::sync;
  std::uint64_t offset = 0;  // write
  std::uint64_t size = 0;    // base, write, truncate
  std::string_view bytes;    // base, write
};

/// Reads records from `text` until its end or a torn last record (the kill's).
class reader {
 public:
  explicit reader(std::string_view text) : text_(text) {}

  std::optional<record> next() {
    if (at_ >= text_.size()) {
      return std::nullopt;
    }
    record r;
    r.t = static_cast<tag>(text_[at_++]);
    switch (r.t) {
      case tag::base:
        return u64(r.size) && take(r.size, r.bytes) ? std::optional(r) : std::nullopt;
      case tag::write:
        return u64(r.offset) && u64(r.size) && take(r.size, r.bytes) ? std::optional(r)
                                                                     : std::nullopt;
      case tag::truncate:
        return u64(r.size) ? std::optional(r) : std::nullopt;
      case tag::sync:
        return r;
    }
    throw std::runtime_error("power-cut journal: unknown record tag at byte " +
                             std::to_string(at_ - 1));
  }

 private:
  bool u64(std::uint64_t& out) {
    if (text_.size() - at_ < sizeof out) {
      return false;
    }
    std::memcpy(&out, text_.data() + at_, sizeof out);
    at_ += sizeof out;
    return true;
  }
  bool take(std::uint64_t n, std::string_view& out) {
    if (text_.size() - at_ < n) {
      return false;
    }
    out = text_.substr(at_, n);
    at_ += n;
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

void replay(const record& r, std::string& content) {
  if (r.t == tag::write) {
    if (content.size() < r.offset + r.size) {
      content.resize(r.offset + r.size, '\0');
    }
    content.replace(r.offset, r.size, r.bytes);
  } else if (r.t == tag::truncate) {
    content.resize(r.size, '\0');
  }
}

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Rebuilds the file of one journal; returns what it did.
cut_report rebuild(const std::filesystem::path& journal_file, outcome o, std::mt19937& rng) {
  const auto text = read_all(journal_file);
  reader in(text);
  const auto base = in.next();
  if (!base) {
    // Killed while the journal took its copy of the file (one large write(2), which SIGKILL
    // can tear): no write to the file came before it, so the disk holds the file as it was.
    std::filesystem::remove(journal_file);
    return {};
  }
  if (base->t != tag::base) {
    throw std::runtime_error("power-cut journal " + journal_file.string() + ": no base record");
  }
  std::vector<record> records;
  std::size_t synced = 0;  // records before the last sync
  while (auto r = in.next()) {
    if (r->t == tag::sync) {
      synced = records.size();
    } else {
      records.push_back(*r);
    }
  }
  std::string content(base->bytes);
  cut_report report{.files = 1, .synced = synced, .unsynced = records.size() - synced};
  std::bernoulli_distribution coin(0.5);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const bool kept =
        i < synced || o == outcome::all_kept || (o == outcome::some_kept && coin(rng));
    if (kept) {
      replay(records[i], content);
      report.kept += i < synced ? 0 : 1;
    }
  }
  auto file = journal_file;
  file.replace_extension();
  std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
  std::filesystem::remove(journal_file);
  return report;
}

}  // namespace

std::string to_string(outcome o) {
  switch (o) {
    case outcome::none_kept:
      return "none kept";
    case outcome::all_kept:
      return "all kept";
    case outcome::some_kept:
      return "some kept";
  }
  return "?";
}

cut_report cut(const std::filesystem::path& dir, outcome o, std::mt19937& rng) {
  cut_report total;
  // A run cut within its first milliseconds (20 ms, under ASan) may not have made its state
  // directory yet: nothing on disk to roll back.
  if (!std::filesystem::exists(dir)) {
    return total;
  }
  std::vector<std::filesystem::path> journals;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == journal_suffix) {
      journals.push_back(entry.path());
    }
  }
  for (const auto& j : journals) {
    const auto r = rebuild(j, o, rng);
    total.files += r.files;
    total.synced += r.synced;
    total.unsynced += r.unsynced;
    total.kept += r.kept;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().string().ends_with("-shm")) {
      std::filesystem::remove(entry.path());
    }
  }
  return total;
}

}  // namespace qsanfwd::torture::power_cut

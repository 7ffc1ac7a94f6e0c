#include "sinks/file/hash_chain.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "agent/core/ids.hpp"
#include "agent/core/time.hpp"

namespace qsanfwd::sinks {
namespace {

constexpr std::string_view seq_key = ",\"chain_seq\":";
constexpr std::string_view chain_field = ",\"chain\":\"";
constexpr std::string_view hmac_field = ",\"chain_hmac\":\"";
constexpr std::size_t hex_size = 64;

void append_hex(std::string& out, const unsigned char* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0x0f];
  }
}

// HMAC-SHA256 with the key set once: fetching the algorithm and keying a context cost more
// than hashing a line, so a context is kept per thread and re-keyed only when the key changes.
class keyed_mac {
 public:
  keyed_mac()
      : mac_(EVP_MAC_fetch(nullptr, "HMAC", nullptr)),
        ctx_(mac_ != nullptr ? EVP_MAC_CTX_new(mac_) : nullptr) {}
  ~keyed_mac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  keyed_mac(const keyed_mac&) = delete;
  keyed_mac& operator=(const keyed_mac&) = delete;

  std::string hex(std::string_view line, const std::string& key) {
    if (ctx_ == nullptr || !init(key) ||
        EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(line.data()), line.size()) !=
            1) {
      throw std::runtime_error("HMAC-SHA256 failed");
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t size = 0;
    if (EVP_MAC_final(ctx_, mac.data(), &size, mac.size()) != 1) {
      throw std::runtime_error("HMAC-SHA256 failed");
    }
    std::string out;
    out.reserve(2 * size);
    append_hex(out, mac.data(), size);
    return out;
  }

 private:
  bool init(const std::string& key) {
    if (keyed_ && key == key_) {
      return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;  // the same key again
    }
    char digest[] = "SHA256";
    const std::array<OSSL_PARAM, 2> params{OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                                           OSSL_PARAM_construct_end()};
    keyed_ = EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                          params.data()) == 1;
    key_ = keyed_ ? key : std::string();
    return keyed_;
  }

  EVP_MAC* mac_;
  EVP_MAC_CTX* ctx_;
  std::string key_;  ///< the key ctx_ holds, to tell a change
  bool keyed_ = false;
};

std::string hmac_hex(std::string_view line, const chain_key& key) {
  thread_local keyed_mac mac;
  return mac.hex(line, key.reveal());
}

// Splits chunks of bytes into lines; true while `fn` wants more.
class line_splitter {
 public:
  explicit line_splitter(const std::function<bool(std::string_view)>& fn) : fn_(fn) {}

  bool feed(std::string_view chunk) {
    while (!chunk.empty()) {
      const auto nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        partial_.append(chunk);
        return true;
      }
      partial_.append(chunk.substr(0, nl));
      chunk.remove_prefix(nl + 1);
      if (!fn_(partial_)) {
        return false;
      }
      partial_.clear();
    }
    return true;
  }

  void finish() {
    if (!partial_.empty()) {
      fn_(partial_);
    }
  }

 private:
  const std::function<bool(std::string_view)>& fn_;
  std::string partial_;
};

void read_gzip_lines(const std::filesystem::path& file, line_splitter& lines) {
  const std::unique_ptr<gzFile_s, int (*)(gzFile)> in(gzopen(file.c_str(), "rb"), gzclose);
  if (!in) {
    throw std::runtime_error(file.string() + ": cannot open");
  }
  std::array<char, 65536> buf{};
  for (;;) {
    const int n = gzread(in.get(), buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      throw std::runtime_error(file.string() + ": not a readable gzip file");
    }
    if (n == 0) {
      break;
    }
    if (!lines.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)))) {
      return;
    }
  }
  lines.finish();
}

void read_plain_lines(const std::filesystem::path& file, line_splitter& lines) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error(file.string() + ": cannot open");
  }
  std::array<char, 65536> buf{};
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) {
      break;
    }
    if (!lines.feed(std::string_view(buf.data(), n))) {
      return;
    }
  }
  lines.finish();
}

// One line as the verifier keeps it: where it is, its hashes and its link.
struct record {
  std::size_t file = 0;
  std::uint64_t line = 0;
  std::string hash;  ///< SHA-256
  std::string hmac;  ///< under the key, when one is given
  std::optional<chain_link> link;
};

bool follows(const record& before, const record& after) {
  return before.link && after.link && after.link->seq == before.link->seq + 1 &&
         after.link->chain == (after.link->keyed ? before.hmac : before.hash);
}

// Why `j` does not follow `p`, judged with the line before `p` and the line after `j`; the
// record the problem is about, and the problem.
std::pair<const record*, std::string> diagnose(const record* pp, const record& p, const record& j,
                                               const record* next) {
  if (next != nullptr && follows(p, *next)) {
    return {&j, "inserted (the next line chains to the line before it)"};
  }
  if (pp != nullptr && follows(*pp, j)) {
    return {&p, "inserted (the next line chains to the line before it)"};
  }
  if (!j.link) {
    return {&j, "changed or inserted (no chain fields)"};
  }
  if (p.link && j.link->seq > p.link->seq + 1) {
    return {&j,
            std::to_string(j.link->seq - p.link->seq - 1) + " line(s) removed before this line"};
  }
  if (p.link && j.link->seq == p.link->seq + 1) {
    return {&p, "changed (the next line's chain does not match it)"};
  }
  return {&j, "changed (its chain_seq does not follow the line before)"};
}

std::optional<std::uint64_t> first_seq(const std::filesystem::path& file) {
  std::optional<std::uint64_t> seq;
  for_each_line(file, [&seq](std::string_view line) {
    if (auto link = read_link(line)) {
      seq = link->seq;
    }
    return false;
  });
  return seq;
}

}  // namespace

chain_key read_chain_key(const std::filesystem::path& file) {
  constexpr std::size_t max_bytes = 4096;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read the key file " + file.string());
  }
  std::string bytes(max_bytes + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() < chain_key_min_bytes || bytes.size() > max_bytes) {
    const auto size = bytes.size() > max_bytes ? "more than 4096" : std::to_string(bytes.size());
    throw std::runtime_error("the key file " + file.string() + " holds " + size +
                             " bytes; a key has 32 to 4096 (e.g. head -c 32 /dev/urandom)");
  }
  return chain_key(std::move(bytes));
}

bool readable_by_others(const std::filesystem::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

std::string line_hash(std::string_view line, const chain_key* key) {
  return key != nullptr ? hmac_hex(line, *key) : sha256_hex(line);
}

void append_chain_line(std::string& out, std::string_view canonical, chain_state& state,
                       const chain_key* key) {
  const auto start = out.size();
  out.append(canonical.substr(0, canonical.size() - 1));  // without the closing brace
  out.append(seq_key);
  char digits[24];
  const auto written = std::to_chars(std::begin(digits), std::end(digits), state.seq + 1);
  out.append(std::begin(digits), written.ptr);
  out.append(key != nullptr ? hmac_field : chain_field);
  out.append(state.last_hash);
  out.append("\"}");
  state.seq += 1;
  state.last_hash = line_hash(std::string_view(out).substr(start), key);
}

std::string chain_line(std::string_view canonical, chain_state& state, const chain_key* key) {
  std::string line;
  line.reserve(canonical.size() + 115);
  append_chain_line(line, canonical, state, key);
  return line;
}

std::optional<chain_link> read_link(std::string_view line) {
  if (!line.ends_with("\"}")) {
    return std::nullopt;
  }
  bool keyed = false;
  std::size_t chain_at = 0;
  std::size_t field_size = 0;
  for (const auto field : {chain_field, hmac_field}) {
    const std::size_t tail = field.size() + hex_size + 2;
    if (line.size() >= tail && line.substr(line.size() - tail, field.size()) == field) {
      keyed = field == hmac_field;
      chain_at = line.size() - tail;
      field_size = field.size();
      break;
    }
  }
  if (field_size == 0) {
    return std::nullopt;
  }
  const auto seq_at = line.rfind(seq_key, chain_at);
  if (seq_at == std::string_view::npos) {
    return std::nullopt;
  }
  chain_link link;
  const char* first = line.data() + seq_at + seq_key.size();
  const char* last = line.data() + chain_at;
  const auto [end, ec] = std::from_chars(first, last, link.seq);
  if (ec != std::errc{} || end != last) {
    return std::nullopt;
  }
  link.chain = std::string(line.substr(chain_at + field_size, hex_size));
  link.at = seq_at;
  link.keyed = keyed;
  return link;
}

std::string unchained(std::string_view line) {
  const auto link = read_link(line);
  if (!link) {
    return std::string(line);
  }
  std::string canonical(line.substr(0, link->at));
  canonical += '}';
  return canonical;
}

chain_state state_after(std::string_view line, const chain_key* key) {
  chain_state s;
  s.seq = read_link(line).value_or(chain_link{}).seq;
  s.last_hash = line_hash(line, key);
  return s;
}

void for_each_line(const std::filesystem::path& file,
                   const std::function<bool(std::string_view)>& fn) {
  line_splitter lines(fn);
  if (file.extension() == ".gz") {
    read_gzip_lines(file, lines);
  } else {
    read_plain_lines(file, lines);
  }
}

namespace {

constexpr std::string_view seal_prefix = "Archive seal: ";
constexpr std::size_t max_listed = 5;  ///< seal problems of one kind listed before "and N more"

// The live name of a file of an archive: without the `.N` or `.N.gz` of a rotated one.
std::filesystem::path live_name(const std::filesystem::path& file) {
  std::string name = file.string();
  std::string_view rest(name);
  if (rest.ends_with(".gz")) {
    rest.remove_suffix(3);
  }
  const auto dot = rest.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == rest.size() ||
      rest.find_first_not_of("0123456789", dot + 1) != std::string_view::npos) {
    return file;
  }
  return std::filesystem::path(std::string(rest.substr(0, dot)));
}

std::string comparable(const std::filesystem::path& p) {
  std::error_code ec;
  auto full = std::filesystem::weakly_canonical(p, ec);
  return ec ? p.lexically_normal().string() : full.string();
}

// The seals of the archive whose live file is `live`: those naming it, or, when none does
// (the archive was copied elsewhere to be checked), those naming a file of the same name.
std::vector<seal> seals_of(const std::vector<seal>& all, const std::filesystem::path& live) {
  std::vector<seal> mine;
  const auto full = comparable(live);
  for (const auto& s : all) {
    if (comparable(s.file) == full) {
      mine.push_back(s);
    }
  }
  if (mine.empty()) {
    for (const auto& s : all) {
      if (std::filesystem::path(s.file).filename() == live.filename()) {
        mine.push_back(s);
      }
    }
  }
  return mine;
}

// Reads `name=` then what follows up to a space (or the end) from the front of `text`.
std::optional<std::string_view> take_value(std::string_view& text, std::string_view name,
                                           bool to_end = false) {
  if (!text.starts_with(name)) {
    return std::nullopt;
  }
  text.remove_prefix(name.size());
  const auto end = to_end ? text.size() : std::min(text.find(' '), text.size());
  const auto value = text.substr(0, end);
  text.remove_prefix(std::min(end + 1, text.size()));
  return value;
}

std::optional<seal> parse_seal_text(std::string_view text) {
  const auto at = text.find(seal_prefix);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  text.remove_prefix(at + seal_prefix.size());
  seal s;
  const auto seq = take_value(text, "chain_seq=");
  if (!seq || std::from_chars(seq->data(), seq->data() + seq->size(), s.seq).ptr !=
                  seq->data() + seq->size()) {
    return std::nullopt;
  }
  s.keyed = text.starts_with("chain_hmac=");
  const auto hash = take_value(text, s.keyed ? "chain_hmac=" : "chain=");
  const auto when = take_value(text, "at=");
  auto file = take_value(text, "file=", true);
  if (!hash || hash->size() != hex_size || !when || !file) {
    return std::nullopt;
  }
  while (!file->empty() && (file->back() == '\r' || file->back() == ' ')) {
    file->remove_suffix(1);
  }
  s.hash = *hash;
  s.at = *when;
  s.file = *file;
  return s;
}

// Holds the lines of an archive, one after another in chain order, against the chain, the key
// and the seals.
class archive_checker {
 public:
  archive_checker(archive_report& report, const verify_options& options)
      : report_(report), key_(options.key) {
    if (!options.seals || report.order.empty()) {
      return;
    }
    seals_ = seals_of(*options.seals, live_name(report.order.back()));
    for (const auto& s : seals_) {
      sealed_[s.seq].push_back(&s);
    }
    report_.seals_checked = seals_.size();
    if (seals_.empty()) {
      report_.seal_problems.push_back("unsealed: no seal given names this archive (" +
                                      live_name(report.order.back()).string() + ")");
    }
  }

  void read(std::size_t file, std::uint64_t number, std::string_view line) {
    ++report_.lines;
    record r{file, number, {}, {}, read_link(line)};
    // A keyed line is followed by keyed lines: its SHA-256 links nothing (a line after it that is
    // not keyed is tampered whatever its link says).
    if (key_ == nullptr || !r.link || !r.link->keyed) {
      r.hash = sha256_hex(line);
    }
    if (key_ != nullptr) {
      r.hmac = hmac_hex(line, *key_);
    }
    if (!r.link && !chained_) {
      ++report_.not_chained;
      return;
    }
    if (r.link) {
      note_link(r);
      check_seals(r);
    }
    window_.push_back(std::move(r));
    if (window_.size() > 4) {
      window_.pop_front();
    }
    if (judging_ && window_.size() >= 3) {
      judge(window_.size() - 2, &window_.back());
    }
  }

  void finish() {
    if (judging_ && window_.size() >= 2) {
      judge(window_.size() - 1, nullptr);
    }
    missing_sealed_lines();
  }

 private:
  void note_link(const record& r) {
    const auto& link = *r.link;
    if (!chained_) {
      chained_ = true;
      report_.first_seq = link.seq;
    }
    report_.last_seq = link.seq;
    if (link.keyed && key_ == nullptr && !report_.key_needed) {
      report_.key_needed = true;
      report_.file = report_.order[r.file];
      report_.line = r.line;
      judging_ = false;
    } else if (!link.keyed && key_ != nullptr) {
      if (keyed_ && judging_) {
        fail(r, "not keyed after keyed lines (a chain recomputed without the key)");
      } else if (!keyed_) {
        ++report_.not_keyed;
      }
    }
    keyed_ = keyed_ || link.keyed;
  }

  void judge(std::size_t j, const record* next) {
    const auto& p = window_[j - 1];
    if (follows(p, window_[j])) {
      return;
    }
    const auto [where, why] = diagnose(j >= 2 ? &window_[j - 2] : nullptr, p, window_[j], next);
    fail(*where, why);
  }

  void fail(const record& where, std::string why) {
    report_.intact = false;
    report_.file = report_.order[where.file];
    report_.line = where.line;
    report_.problem = std::move(why);
    judging_ = false;
  }

  void check_seals(const record& r) {
    const auto it = sealed_.find(r.link->seq);
    if (it == sealed_.end()) {
      return;
    }
    met_.push_back(r.link->seq);
    for (const auto* s : it->second) {
      if (s->keyed && key_ == nullptr) {
        continue;  // its hash needs the key; the line's presence is what can be checked
      }
      if ((s->keyed ? r.hmac : r.hash) != s->hash) {
        add_problem(changed_, "tampered: line " + std::to_string(s->seq) + " (" +
                                  report_.order[r.file].string() + ":" + std::to_string(r.line) +
                                  ") is not the line sealed at " + s->at +
                                  ": the chain was rewritten from there or before");
        return;
      }
    }
  }

  void add_problem(std::size_t& count, std::string text) {
    if (++count <= max_listed) {
      report_.seal_problems.push_back(std::move(text));
    }
  }

  void missing_sealed_lines() {
    std::sort(met_.begin(), met_.end());
    const seal* tail = nullptr;
    const seal* head = nullptr;
    std::size_t gaps = 0;
    for (const auto& [seq, seals] : sealed_) {
      const auto* s = seals.back();
      if (!report_.newest_seal || seq >= report_.newest_seal->seq) {
        report_.newest_seal = *s;
      }
      if (std::binary_search(met_.begin(), met_.end(), seq)) {
        continue;
      }
      if (!chained_ || seq > report_.last_seq) {
        tail = s;
      } else if (seq < report_.first_seq) {
        head = head == nullptr ? s : head;
        if (seq > head->seq) {
          head = s;
        }
      } else {
        add_problem(gaps, "missing: line " + std::to_string(seq) + " (sealed at " + s->at +
                              ") is missing from the chain");
      }
    }
    if (gaps > max_listed) {
      report_.seal_problems.push_back("missing: and " + std::to_string(gaps - max_listed) +
                                      " more sealed line(s)");
    }
    if (changed_ > max_listed) {
      report_.seal_problems.push_back("tampered: and " + std::to_string(changed_ - max_listed) +
                                      " more sealed line(s)");
    }
    if (head != nullptr) {
      report_.seal_problems.push_back("missing at the start: line " + std::to_string(head->seq) +
                                      " and the lines before it (sealed at " + head->at +
                                      ") are in none of the files given, which begin at line " +
                                      std::to_string(report_.first_seq) +
                                      ": a file removed, or rotated away by rotate.keep");
    }
    if (tail != nullptr) {
      report_.seal_problems.push_back(
          "missing at the end: lines " + std::to_string(report_.last_seq + 1) + " to " +
          std::to_string(tail->seq) + " (sealed at " + tail->at +
          ") are in none of the files given" +
          (chained_ ? ", which end at line " + std::to_string(report_.last_seq) + ": cut off"
                    : ""));
    }
  }

  archive_report& report_;
  const chain_key* key_;
  std::vector<seal> seals_;
  std::map<std::uint64_t, std::vector<const seal*>> sealed_;
  std::vector<std::uint64_t> met_;  ///< sealed seqs found in the files
  std::deque<record> window_;       ///< the last four chained lines
  bool chained_ = false;            ///< a line with chain fields has been read
  bool keyed_ = false;              ///< a keyed line has been read
  bool judging_ = true;             ///< until the first problem, or a keyed line without key
  std::size_t changed_ = 0;         ///< sealed lines that differ from their seal
};

}  // namespace

std::string seal_message(const seal& s) {
  return std::string(seal_prefix) + "chain_seq=" + std::to_string(s.seq) +
         (s.keyed ? " chain_hmac=" : " chain=") + s.hash + " at=" + s.at + " file=" + s.file;
}

std::optional<seal> find_seal(std::string_view line) {
  if (line.starts_with('{')) {
    const auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_object()) {
      const auto type = doc.find("type");
      const auto message = doc.find("message");
      if (type == doc.end() || *type != "archive_seal" || message == doc.end() ||
          !message->is_string()) {
        return std::nullopt;
      }
      return parse_seal_text(message->get_ref<const std::string&>());
    }
  }
  return parse_seal_text(line);
}

std::vector<seal> read_seals(const std::filesystem::path& file) {
  std::vector<seal> seals;
  for_each_line(file, [&seals](std::string_view line) {
    if (auto s = find_seal(line)) {
      seals.push_back(std::move(*s));
    }
    return true;
  });
  return seals;
}

archive_report verify_archive(std::vector<std::filesystem::path> files,
                              const verify_options& options) {
  std::vector<std::pair<std::uint64_t, std::filesystem::path>> keyed;
  for (auto& f : files) {
    keyed.emplace_back(first_seq(f).value_or(0), std::move(f));
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  archive_report report;
  for (auto& k : keyed) {
    report.order.push_back(std::move(k.second));
  }
  archive_checker checker(report, options);
  for (std::size_t f = 0; f < report.order.size(); ++f) {
    std::uint64_t number = 0;
    for_each_line(report.order[f], [&](std::string_view line) {
      checker.read(f, ++number, line);
      return true;
    });
  }
  checker.finish();
  return report;
}

}  // namespace qsanfwd::sinks

#include "sinks/file/hash_chain.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

#include "agent/core/ids.hpp"

namespace qsanfwd::sinks {
namespace {

constexpr std::string_view seq_key = ",\"chain_seq\":";
constexpr std::string_view chain_key = ",\"chain\":\"";

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

// One line as the verifier keeps it: where it is, its hash and its link.
struct record {
  std::size_t file = 0;
  std::uint64_t line = 0;
  std::string hash;
  std::optional<chain_link> link;
};

bool follows(const record& before, const record& after) {
  return before.link && after.link && after.link->seq == before.link->seq + 1 &&
         after.link->chain == before.hash;
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

void append_chain_line(std::string& out, std::string_view canonical, chain_state& state) {
  const auto start = out.size();
  out.append(canonical.substr(0, canonical.size() - 1));  // without the closing brace
  out.append(seq_key);
  char digits[24];
  const auto written = std::to_chars(std::begin(digits), std::end(digits), state.seq + 1);
  out.append(std::begin(digits), written.ptr);
  out.append(chain_key);
  out.append(state.last_hash);
  out.append("\"}");
  state.seq += 1;
  state.last_hash = sha256_hex(std::string_view(out).substr(start));
}

std::string chain_line(std::string_view canonical, chain_state& state) {
  std::string line;
  line.reserve(canonical.size() + 110);
  append_chain_line(line, canonical, state);
  return line;
}

std::optional<chain_link> read_link(std::string_view line) {
  constexpr std::size_t hex_size = 64;
  const std::size_t tail = chain_key.size() + hex_size + 2;
  if (line.size() < tail || !line.ends_with("\"}")) {
    return std::nullopt;
  }
  const auto chain_at = line.size() - tail;
  if (line.substr(chain_at, chain_key.size()) != chain_key) {
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
  link.chain = std::string(line.substr(chain_at + chain_key.size(), hex_size));
  link.at = seq_at;
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

chain_state state_after(std::string_view line) {
  chain_state s;
  s.seq = read_link(line).value_or(chain_link{}).seq;
  s.last_hash = sha256_hex(line);
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

archive_report verify_archive(std::vector<std::filesystem::path> files) {
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

  // A window of the last four lines: the line judged is the third, between its two
  // predecessors and its successor.
  std::deque<record> window;
  const auto judge = [&](std::size_t j, const record* next) {
    const auto& p = window[j - 1];
    if (follows(p, window[j])) {
      return true;
    }
    const auto [where, why] = diagnose(j >= 2 ? &window[j - 2] : nullptr, p, window[j], next);
    report.intact = false;
    report.file = report.order[where->file];
    report.line = where->line;
    report.problem = why;
    return false;
  };
  for (std::size_t f = 0; f < report.order.size() && report.intact; ++f) {
    std::uint64_t number = 0;
    for_each_line(report.order[f], [&](std::string_view line) {
      window.push_back(record{f, ++number, sha256_hex(line), read_link(line)});
      if (++report.lines == 1 && !window.back().link) {
        report.intact = false;
        report.file = report.order[f];
        report.line = number;
        report.problem = "no chain fields (not written with hash_chain: true, or changed)";
        return false;
      }
      if (window.size() > 4) {
        window.pop_front();
      }
      return window.size() < 3 || judge(window.size() - 2, &window.back());
    });
  }
  if (report.intact && window.size() >= 2) {
    judge(window.size() - 1, nullptr);
  }
  return report;
}

}  // namespace qsanfwd::sinks

#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace qsanfwd::sim {

/// The four log types a QSAN array reports.
enum class log_type : std::uint8_t { access, info, warning, error };

std::string_view to_string(log_type t);
std::optional<log_type> parse_log_type(std::string_view name);

/// One line of the array's log as the API shows it.
struct log_line {
  std::int64_t timestamp = 0;
  std::string type;
  std::string message;

  friend bool operator==(const log_line&, const log_line&) = default;
};

/// What a `/rest/v1/log/list` request asks for, already validated.
struct log_query {
  std::optional<std::int64_t> start_time;
  unsigned type_mask = 0xF;  ///< bit (1 << log_type); 0 matches nothing
  std::size_t page_number = 1;
  std::size_t page_size = 1000;
};

/// How the array answers a log query; see simulator options.
struct log_order {
  bool newest_first = true;
  bool start_time_inclusive = true;
  bool total_as_string = false;
};

/// The array's log: every line ever added, kept sorted by timestamp (stable, so lines of one
/// second stay in insertion order). Generated lines are stored as a template number and a
/// parameter (16 bytes a line) and rendered on demand, so millions of lines stay cheap; lines
/// given verbatim keep their text. Not thread-safe: the simulator guards it.
class log_book {
 public:
  log_book(std::uint64_t seed, double duplicate_ratio);

  /// Adds `n` generated lines spread evenly over [first, last] seconds, in time order. With
  /// probability duplicate_ratio a line repeats the previous one when both share a second.
  void generate(std::size_t n, std::int64_t first, std::int64_t last);
  /// Adds a line with the given text; lines older than the newest are placed in time order.
  void add(std::int64_t timestamp, log_type type, std::string message);

  std::size_t size() const { return entries_.size(); }
  /// Every line in insertion order.
  std::vector<log_line> ledger() const;
  /// Appends the JSON answer of `/rest/v1/log/list`: {"logs":[...],"total":N,"haveNextPage":b}.
  /// Pages are cut from the data as it is now, so later pages shift when lines arrive.
  void render_page(std::string& out, const log_query& q, const log_order& order) const;

 private:
  struct entry {
    std::int64_t timestamp;
    std::uint32_t param;  ///< template parameter, or index into custom_
    std::uint32_t seq;    ///< insertion order
    std::uint16_t tmpl;   ///< template number, or custom_template
    log_type type;
  };
  static constexpr std::uint16_t custom_template = 0xFFFF;

  void push(entry e);
  void append_message(std::string& out, const entry& e) const;
  void append_line(std::string& out, std::string& scratch, const entry& e) const;

  std::vector<entry> entries_;
  std::vector<std::string> custom_;
  std::uint32_t next_seq_ = 0;
  bool in_order_ = true;  ///< no line was ever inserted before a newer one
  std::mt19937_64 rng_;
  double duplicate_ratio_;
};

}  // namespace qsanfwd::sim

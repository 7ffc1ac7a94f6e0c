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

/// What an answer says in `total`: the truth, or a firmware's idea of it.
enum class total_mode : std::uint8_t {
  exact,
  missing,    ///< no `total` field
  constant,   ///< always 1, whatever the log holds
  shrinking,  ///< the truth minus `total_less` (the simulator counts its answers)
};

std::string_view to_string(total_mode m);
std::optional<total_mode> parse_total_mode(std::string_view name);

/// How the array answers a log query; see simulator options. The fields after the first three
/// are firmware bugs (simulator hostile_settings).
struct log_order {
  bool newest_first = true;
  bool start_time_inclusive = true;
  bool total_as_string = false;
  total_mode total = total_mode::exact;
  std::size_t total_less = 0;
  bool always_next_page = false;
  /// Lines served per page as a multiple of page_size (pages still start at
  /// (page_number - 1) * page_size); 1 or less serves page_size.
  double oversize = 1;
};

/// The array's log, kept sorted by timestamp (stable, so lines of one second stay in insertion
/// order). Generated lines are stored as a template number and a parameter (16 bytes a line) and
/// rendered on demand, so millions of lines stay cheap; lines given verbatim keep their text and
/// are sent byte for byte (invalid UTF-8 included, as a real array would). Like a real array's,
/// the log can be a ring: beyond its capacity the oldest lines (by timestamp) are dropped. The
/// ledger keeps every line ever added, dropped or not. Not thread-safe: the simulator guards it.
class log_book {
 public:
  log_book(std::uint64_t seed, double duplicate_ratio);

  /// Adds `n` generated lines spread evenly over [first, last] seconds, in time order. With
  /// probability duplicate_ratio a line repeats the previous one when both share a second.
  void generate(std::size_t n, std::int64_t first, std::int64_t last);
  /// Adds a line with the given text; lines older than the newest are placed in time order.
  void add(std::int64_t timestamp, log_type type, std::string message);
  /// The chance that a generated line is a login of a user whose name is Latin-1, not UTF-8.
  void set_latin1_ratio(double ratio) { latin1_ratio_ = ratio; }
  /// At most `lines` kept (0: no limit); the oldest beyond it are dropped at once and on every
  /// later addition.
  void set_capacity(std::size_t lines);
  /// Drops every line, as an administrator clearing the log.
  void clear();

  std::size_t size() const { return entries_.size(); }
  std::size_t dropped_count() const { return dropped_.size(); }
  /// Every line ever added, dropped ones included, in insertion order.
  std::vector<log_line> ledger() const;
  /// The lines dropped by the ring or by clear(), in insertion order.
  std::vector<log_line> dropped() const;
  /// Appends the JSON answer of `/rest/v1/log/list`: {"logs":[...],"total":N,"haveNextPage":b}.
  /// Pages are cut from the data as it is now, so later pages shift when lines arrive.
  /// Returns how many lines the page holds.
  std::size_t render_page(std::string& out, const log_query& q, const log_order& order) const;

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
  void trim();
  void append_message(std::string& out, const entry& e) const;
  void append_line(std::string& out, std::string& scratch, const entry& e) const;
  std::vector<log_line> render(std::vector<entry> list) const;

  std::vector<entry> entries_;
  std::vector<entry> dropped_;
  std::vector<std::string> custom_;
  std::uint32_t next_seq_ = 0;
  std::size_t capacity_ = 0;
  std::mt19937_64 rng_;
  double duplicate_ratio_;
  double latin1_ratio_ = 0;
};

}  // namespace qsanfwd::sim

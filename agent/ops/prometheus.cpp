#include "agent/ops/prometheus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace qsanfwd::ops {
namespace {

void append_escaped(std::string& out, std::string_view value, bool escape_quotes) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    out += fmt::format("{}", static_cast<std::int64_t>(v));
  } else {
    out += fmt::format("{}", v);
  }
}

void append_labels(std::string& out, const labels& l) {
  if (l.empty()) {
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& [name, value] : l) {
    out += first ? "" : ",";
    first = false;
    out += name;
    out += "=\"";
    append_escaped(out, value, true);
    out += '"';
  }
  out += '}';
}

}  // namespace

void prometheus_text::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void prometheus_text::sample(std::string_view name, const labels& l, double value) {
  out_ += name;
  append_labels(out_, l);
  out_ += ' ';
  append_value(out_, value);
  out_ += '\n';
}

void prometheus_text::histogram(std::string_view name, const labels& l,
                                std::span<const double> bounds,
                                std::span<const std::uint64_t> counts, double sum) {
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    auto with_le = l;
    with_le.emplace_back("le", i < bounds.size() ? fmt::format("{}", bounds[i]) : "+Inf");
    sample(bucket, with_le, static_cast<double>(cumulative));
  }
  sample(std::string(name) + "_sum", l, sum);
  sample(std::string(name) + "_count", l, static_cast<double>(cumulative));
}

void latency_histogram::observe(double seconds) {
  const auto* it = std::lower_bound(std::begin(bounds), std::end(bounds), seconds);
  ++counts_[static_cast<std::size_t>(it - std::begin(bounds))];
  sum_ += seconds;
}

latency_histogram& latency_histogram::operator+=(const latency_histogram& other) {
  for (std::size_t i = 0; i < std::size(counts_); ++i) {
    counts_[i] += other.counts_[i];
  }
  sum_ += other.sum_;
  return *this;
}

}  // namespace qsanfwd::ops

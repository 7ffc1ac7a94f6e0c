#include "agent/core/event_template.hpp"

#include <stdexcept>

#include "agent/core/time.hpp"

namespace qsanfwd {
namespace {

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

event_template event_template::parse(std::string_view text) {
  event_template t;
  t.text_ = std::string(text);
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const bool doubled = i + 1 < text.size() && text[i + 1] == c;
    if ((c == '{' || c == '}' || c == '%') && doubled) {
      t.add_text(text.substr(i, 1));
      i += 2;
    } else if (c == '{') {
      const auto close = text.find('}', i);
      if (close == std::string_view::npos) {
        throw std::invalid_argument("a \"{\" at offset " + std::to_string(i) +
                                    " is not closed (write \"{{\" for a brace)");
      }
      t.add_field(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '}') {
      throw std::invalid_argument("a \"}\" at offset " + std::to_string(i) +
                                  " closes nothing (write \"}}\" for a brace)");
    } else if (c == '%') {
      t.add_date(i + 1 < text.size() ? text[i + 1] : '\0');
      i += 2;
    } else {
      const auto next = text.find_first_of("{}%", i);
      t.add_text(text.substr(i, next == std::string_view::npos ? text.size() - i : next - i));
      i = next == std::string_view::npos ? text.size() : next;
    }
  }
  return t;
}

void event_template::add_text(std::string_view s) {
  if (!parts_.empty()) {
    if (auto* last = std::get_if<std::string>(&parts_.back())) {
      *last += s;
      return;
    }
  }
  parts_.emplace_back(std::string(s));
}

void event_template::add_field(std::string_view name) {
  static const std::pair<std::string_view, string_field> strings[] = {
      {"device", &event::device}, {"host", &event::host},     {"type", &event::type},
      {"component", &event::component}, {"model", &event::model}, {"serial", &event::serial},
  };
  constant_ = false;
  for (const auto& [known, member] : strings) {
    if (name == known) {
      parts_.emplace_back(member);
      return;
    }
  }
  if (name == "kind") {
    parts_.emplace_back(kind_field{});
  } else if (name == "severity") {
    parts_.emplace_back(severity_field{});
  } else if (name.starts_with(static_field_prefix) && name.size() > static_field_prefix.size()) {
    parts_.emplace_back(static_field{std::string(name.substr(static_field_prefix.size()))});
  } else {
    throw std::invalid_argument("unknown field " + in_quotes(name) +
                                " (known: device, host, kind, type, severity, component, model, "
                                "serial, fields.NAME)");
  }
}

void event_template::add_date(char conversion) {
  // Offsets in "YYYY-MM-DDTHH:MM:SSZ".
  constexpr std::pair<char, date_digits> dates[] = {
      {'Y', {0, 4}}, {'m', {5, 2}}, {'d', {8, 2}}, {'H', {11, 2}}};
  for (const auto& [known, digits] : dates) {
    if (conversion == known) {
      constant_ = false;
      parts_.emplace_back(digits);
      return;
    }
  }
  throw std::invalid_argument("unknown date conversion " +
                              in_quotes(conversion == '\0' ? std::string("%")
                                                        : std::string{'%', conversion}) +
                              " (known: %Y, %m, %d, %H; \"%%\" for a percent sign)");
}

void event_template::render(const event& e, std::string& out) const {
  std::string date;
  for (const auto& p : parts_) {
    if (const auto* s = std::get_if<std::string>(&p)) {
      out += *s;
    } else if (const auto* member = std::get_if<string_field>(&p)) {
      out += e.*(*member);
    } else if (std::holds_alternative<kind_field>(p)) {
      out += to_string(e.kind);
    } else if (std::holds_alternative<severity_field>(p)) {
      out += to_string(e.severity);
    } else if (const auto* d = std::get_if<date_digits>(&p)) {
      if (date.empty()) {
        append_rfc3339_utc(date, e.timestamp);
      }
      out.append(date, d->at, d->size);
    } else if (const auto* f = std::get_if<static_field>(&p)) {
      for (const auto& [name, value] : e.fields) {
        if (name == f->name) {
          out += value;
          break;
        }
      }
    }
  }
}

std::string event_template::render(const event& e) const {
  std::string out;
  render(e, out);
  return out;
}

}  // namespace qsanfwd

#include "config/event_routing.hpp"

#include <algorithm>
#include <stdexcept>

#include "config/json_pointer.hpp"

namespace qsanfwd::config {
namespace {

/// A string or an array of strings.
std::vector<std::string> one_or_more_strings(object_reader& r, std::string_view key) {
  const auto value = r.raw_value(key);
  if (!value) {
    return {};
  }
  if (value->is_string()) {
    return {value->get<std::string>()};
  }
  const bool strings = value->is_array() && !value->empty() &&
                       std::all_of(value->begin(), value->end(),
                                   [](const auto& v) { return v.is_string(); });
  if (!strings) {
    throw r.error(key, "expected a string or a non-empty array of strings");
  }
  return value->get<std::vector<std::string>>();
}

std::optional<severity> read_severity(object_reader& r, std::string_view key) {
  const auto name = r.optional_string(key);
  if (!name) {
    return std::nullopt;
  }
  const auto level = parse_severity(*name);
  if (!level) {
    throw r.error(key, "unknown severity \"" + *name +
                           "\" (known: emergency, alert, critical, error, warning, notice, info, "
                           "debug)");
  }
  return level;
}

std::vector<event_kind> read_kinds(object_reader& r) {
  std::vector<event_kind> kinds;
  for (const auto& name : one_or_more_strings(r, "kind")) {
    const auto k = parse_event_kind(name);
    if (!k) {
      throw r.error("kind", "unknown kind \"" + name + "\" (known: log, health, agent)");
    }
    kinds.push_back(*k);
  }
  return kinds;
}

event_rule read_rule(object_reader& r) {
  event_rule rule;
  rule.kinds = read_kinds(r);
  auto levels = r.object("severity");
  rule.at_least = read_severity(levels, "at_least");
  rule.at_most = read_severity(levels, "at_most");
  levels.finish();
  if (rule.at_least && rule.at_most && *rule.at_least > *rule.at_most) {
    throw r.error("severity", "at_least is less severe than at_most: no event can match");
  }
  rule.types = one_or_more_strings(r, "type");
  rule.devices = one_or_more_strings(r, "device");
  rule.components = one_or_more_strings(r, "component");
  if (const auto pattern = r.optional_string("message")) {
    try {
      rule.message = std::make_shared<const text_pattern>(*pattern);
    } catch (const std::invalid_argument& e) {
      throw r.error("message", e.what());
    }
  }
  r.finish();
  return rule;
}

std::vector<event_rule> read_rules(object_reader& sink, std::string_view key) {
  std::vector<event_rule> rules;
  for (auto& r : sink.one_or_more_objects(key)) {
    rules.push_back(read_rule(r));
  }
  return rules;
}

bool is_field_name(std::string_view name) {
  const auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  return !name.empty() && name.size() <= 64 && !(name[0] >= '0' && name[0] <= '9') &&
         std::all_of(name.begin(), name.end(), word);
}

constexpr std::string_view field_rule =
    "letters, digits and _, not first a digit, at most 64 (every format can carry it)";

void check_shape_name(object_reader& r, std::string_view key, std::string_view name) {
  if (const auto problem = shape_name_problem(name); !problem.empty()) {
    throw r.error(key, problem);
  }
}

}  // namespace

event_filter read_event_filter(object_reader& sink) {
  event_filter f;
  f.match = read_rules(sink, "match");
  f.exclude = read_rules(sink, "exclude");
  return f;
}

field_list read_fields(object_reader& r) {
  field_list fields;
  for (auto& [name, value] : r.string_map("fields")) {
    if (!is_field_name(name)) {
      throw config_error(r.path_of("fields") + "/" + pointer_token(name),
                         "a field name is " + std::string(field_rule));
    }
    fields.emplace_back(name, value);
  }
  return fields;
}

event_shape read_event_shape(object_reader& sink) {
  event_shape shape;
  shape.fields = read_fields(sink);
  for (auto& [from, to] : sink.string_map("rename")) {
    check_shape_name(sink, "rename", from);
    const bool field = from.starts_with(static_field_prefix);
    if (field ? !is_field_name(to) : to.empty()) {
      throw config_error(sink.path_of("rename") + "/" + from,
                         field ? "a field's new name is " + std::string(field_rule)
                               : std::string("the new name is empty"));
    }
    shape.rename.emplace(from, to);
  }
  shape.drop = sink.string_list("drop");
  for (const auto& name : shape.drop) {
    check_shape_name(sink, "drop", name);
  }
  return shape;
}

}  // namespace qsanfwd::config

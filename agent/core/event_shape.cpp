#include "agent/core/event_shape.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace qsanfwd {
namespace {

constexpr std::array<std::string_view, 18> contract_keys = {
    "id",           "kind",      "device",   "host",    "timestamp", "time",
    "type",         "severity",  "message",  "model",   "serial",    "component",
    "component_id", "attribute", "previous", "current", "flags",     "fields"};

/// The member of an optional key, which dropping empties in every format.
std::string* optional_member(event& e, std::string_view key) {
  const std::pair<std::string_view, std::string event::*> members[] = {
      {"host", &event::host},
      {"type", &event::type},
      {"model", &event::model},
      {"serial", &event::serial},
      {"component", &event::component},
      {"component_id", &event::component_id},
      {"attribute", &event::attribute},
      {"previous", &event::previous},
      {"current", &event::current},
      {"flags", &event::flags},
  };
  for (const auto& [name, member] : members) {
    if (name == key) {
      return &(e.*member);
    }
  }
  return nullptr;
}

void set_field(field_list& fields, const std::string& name, const std::string& value) {
  const auto it = std::find_if(fields.begin(), fields.end(),
                               [&](const auto& f) { return f.first == name; });
  if (it == fields.end()) {
    fields.emplace_back(name, value);
  } else {
    it->second = value;
  }
}

bool is_static(std::string_view name) { return name.starts_with(static_field_prefix); }

}  // namespace

bool event_shape::empty() const {
  return fields.empty() && devices.empty() && rename.empty() && drop.empty();
}

void event_shape::apply(event& e) const {
  for (const auto& [name, value] : fields) {
    set_field(e.fields, name, value);
  }
  if (const auto it = devices.find(e.device); it != devices.end()) {
    for (const auto& [name, value] : it->second) {
      set_field(e.fields, name, value);
    }
  }
  for (const auto& name : drop) {
    if (is_static(name)) {
      const auto field = name.substr(static_field_prefix.size());
      std::erase_if(e.fields, [&](const auto& f) { return f.first == field; });
    } else if (name == "fields") {
      e.fields.clear();
    } else if (auto* member = optional_member(e, name)) {
      member->clear();
    }
  }
  for (auto& [name, value] : e.fields) {
    if (const auto it = rename.find(std::string(static_field_prefix) + name); it != rename.end()) {
      name = it->second;
    }
  }
}

std::string event_shape::json(const event& e) const {
  const bool changes_contract =
      std::any_of(drop.begin(), drop.end(), [](const auto& n) { return !is_static(n); }) ||
      std::any_of(rename.begin(), rename.end(),
                  [](const auto& r) { return !is_static(r.first); });
  auto text = to_json(e);
  if (!changes_contract) {
    return text;
  }
  // Rare and opt-in: through the DOM, whose order is kept, rather than a second writer.
  auto j = nlohmann::ordered_json::parse(text);
  for (const auto& name : drop) {
    j.erase(name);
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (auto& [key, value] : j.items()) {
    const auto it = rename.find(key);
    out[it == rename.end() ? key : it->second] = std::move(value);
  }
  return out.dump();
}

std::string shape_name_problem(std::string_view name) {
  if (name == "id") {
    return "\"id\" stays as it is: consumers and the file sink recognise a repeat by it";
  }
  if (is_static(name) ? name.size() > static_field_prefix.size()
                      : std::find(contract_keys.begin(), contract_keys.end(), name) !=
                            contract_keys.end()) {
    return {};
  }
  return "\"" + std::string(name) +
         "\" is neither a key of the event (kind, device, host, timestamp, time, type, severity, "
         "message, model, serial, component, component_id, attribute, previous, current, flags, "
         "fields) nor a static field (fields.NAME)";
}

}  // namespace qsanfwd

#pragma once

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "agent/core/event.hpp"
#include "sinks/http/http_options.hpp"

namespace qsanfwd::test {

/// The events a request body of `format` carries, read back the way the destination would.
/// For otlp, only the fields the format carries (id, kind, device, timestamp, type, message).
inline std::vector<event> events_in(sinks::http_format format, const std::string& body) {
  using sinks::http_format;
  std::vector<event> out;
  const auto from = [&](const nlohmann::json& j) { out.push_back(event_from_json(j.dump())); };
  switch (format) {
    case http_format::ndjson:
    case http_format::elasticsearch: {
      std::istringstream in(body);
      std::string line;
      for (int n = 0; std::getline(in, line); ++n) {
        if (format == http_format::ndjson) {
          out.push_back(event_from_json(line));
        } else if (n % 2 == 1) {
          from(nlohmann::json::parse(line).at("qsan"));
        }
      }
      break;
    }
    case http_format::json_array:
      for (const auto& e : nlohmann::json::parse(body)) {
        from(e);
      }
      break;
    case http_format::splunk_hec: {
      std::istringstream in(body);
      while ((in >> std::ws).peek() != std::char_traits<char>::eof()) {
        nlohmann::json j;
        in >> j;
        from(j.at("event"));
      }
      break;
    }
    case http_format::loki: {
      // A named document: a range over a member of a temporary would dangle.
      const auto doc = nlohmann::json::parse(body);
      for (const auto& stream : doc.at("streams")) {
        for (const auto& value : stream.at("values")) {
          out.push_back(event_from_json(value.at(1).get<std::string>()));
        }
      }
      break;
    }
    case http_format::otlp: {
      const auto doc = nlohmann::json::parse(body);
      for (const auto& rl : doc.at("resourceLogs")) {
        std::string device;
        for (const auto& a : rl.at("resource").at("attributes")) {
          if (a.at("key") == "qsan.device") {
            device = a.at("value").at("stringValue");
          }
        }
        for (const auto& record : rl.at("scopeLogs").at(0).at("logRecords")) {
          event e;
          e.device = device;
          e.message = record.at("body").at("stringValue");
          for (const auto& a : record.at("attributes")) {
            const auto& v = a.at("value");
            const std::string key = a.at("key");
            if (key == "log.record.uid") {
              e.id = v.at("stringValue");
            } else if (key == "qsan.kind") {
              e.kind = *parse_event_kind(v.at("stringValue").get<std::string>());
            } else if (key == "qsan.type") {
              e.type = v.at("stringValue");
            } else if (key == "qsan.timestamp") {
              e.timestamp = std::stoll(v.at("intValue").get<std::string>());
            }
          }
          out.push_back(e);
        }
      }
      break;
    }
  }
  return out;
}

}  // namespace qsanfwd::test

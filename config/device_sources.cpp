#include "config/device_sources.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <utility>

#include "config/csv.hpp"
#include "config/json_pointer.hpp"
#include "config/json_text.hpp"
#include "config/read_file.hpp"

namespace qsanfwd::config {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view secret_file_suffix = "_file";

/// The other way of giving the same secret: "password" for "password_file" and back.
std::string other_form(const std::string& key) {
  if (key.ends_with(secret_file_suffix)) {
    return key.substr(0, key.size() - secret_file_suffix.size());
  }
  return key + std::string(secret_file_suffix);
}

/// Merges a device's block over the defaults, object by object (iteratively: a block may nest
/// deeply). A value replaces the default's; null removes it (RFC 7396). A secret given one way
/// (`password`) replaces the default's other way (`password_file`).
json merge_over(json defaults, const json& block) {
  std::vector<std::pair<json*, const json*>> todo{{&defaults, &block}};
  while (!todo.empty()) {
    auto [into, from] = todo.back();
    todo.pop_back();
    for (const auto& [key, value] : from->items()) {
      if (!from->contains(other_form(key))) {
        into->erase(other_form(key));
      }
      const auto it = into->find(key);
      if (value.is_null()) {
        into->erase(key);
      } else if (it != into->end() && it->is_object() && value.is_object()) {
        todo.emplace_back(&*it, &value);
      } else {
        (*into)[key] = value;
      }
    }
  }
  return defaults;
}

/// `pointer` as a json_pointer; nullopt when it is not one (an error's path may quote a bad
/// key, such as a field name with a "~").
std::optional<json::json_pointer> pointer_of(const std::string& pointer) {
  try {
    return json::json_pointer(pointer);
  } catch (const json::parse_error&) {
    return std::nullopt;
  }
}

bool holds(const json& block, const std::string& pointer) {
  const auto at = pointer_of(pointer);
  return at && block.contains(*at);
}

/// "/logs/interval" as a CSV column names it: "logs.interval".
std::string column_of(const std::string& pointer) {
  auto p = pointer_of(pointer);
  if (!p) {
    return pointer;
  }
  std::string column;
  for (; !p->empty(); p->pop_back()) {
    column.insert(0, p->back() + (column.empty() ? "" : "."));
  }
  return column;
}

device_origin origin_in(std::string file, std::string pointer = "", std::size_t line = 0) {
  device_origin origin;
  origin.file = std::move(file);
  origin.pointer = std::move(pointer);
  origin.line = line;
  return origin;
}

json read_json_file(const fs::path& file) {
  std::string why;
  const auto text = read_whole_file(file, why);
  if (!text) {
    throw config_error::in_file(file.string(), "cannot read: " + why);
  }
  try {
    return parse_json(*text, file.string());
  } catch (const config_error& e) {
    if (e.path().empty()) {
      throw;  // a syntax error: it names the file already
    }
    throw config_error::located(file.string(), e.path(), e.path(), e.reason());
  }
}

fs::path resolve(const fs::path& base_dir, const std::string& path) {
  const fs::path p = path;
  return p.is_relative() && !base_dir.empty() ? base_dir / p : p;
}

/// A file of devices_dir is read when it is a regular file (or a link to one) named *.json and
/// not hidden: editors' backups (`a.json~`, `.a.json.swp`, `#a.json#`), package managers'
/// leftovers (`a.json.dpkg-old`) and Kubernetes' `..data` links are not devices.
bool is_device_file(const fs::directory_entry& entry) {
  const std::string name = entry.path().filename().string();
  std::error_code ec;
  return !name.starts_with('.') && name.ends_with(".json") && entry.is_regular_file(ec);
}

class source_reader {
 public:
  explicit source_reader(device_sources& out) : out_(out) {}

  /// Adds the device of `block`, which stays where it is while out_ lives.
  void add(const json& block, device_origin origin) {
    if (!block.is_object()) {
      throw located(origin, "", "expected an object, got " + block.dump().substr(0, 80));
    }
    out_.devices.push_back(merge_over(out_.defaults, block));
    origin.block = &block;
    out_.origins.push_back(std::move(origin));
  }

  void add_from_file(json block, device_origin origin) {
    add(out_.file_blocks.emplace_back(std::move(block)), std::move(origin));
  }

  void read_dir(const device_file_key& dir) {
    const fs::path& path = dir.path;
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (is_device_file(*it)) {
        files.push_back(it->path());
      }
    }
    if (ec) {
      throw config_error(dir.key,
                         "cannot read the directory " + path.string() + ": " + ec.message());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      json block = read_json_file(file);
      // The file's name names the device unless the block says otherwise: one name to keep.
      if (block.is_object() && !block.contains("name")) {
        block["name"] = file.stem().string();
      }
      add_from_file(std::move(block), origin_in(file.string()));
    }
  }

  void read_inventory(const device_file_key& inventory) {
    const fs::path& file = inventory.path;
    if (file.extension() == ".csv") {
      read_csv_inventory(file);
    } else if (file.extension() == ".json") {
      read_json_inventory(file);
    } else {
      throw config_error(inventory.key,
                         "expected a .csv or .json file, got \"" + file.string() + "\"");
    }
  }

 private:
  static config_error located(const device_origin& origin, const std::string& pointer,
                              std::string reason) {
    if (origin.file.empty()) {
      return config_error(origin.pointer + pointer, std::move(reason));
    }
    if (origin.line != 0) {
      return config_error::located(origin.file, "line " + std::to_string(origin.line), pointer,
                                   std::move(reason));
    }
    const std::string at = origin.pointer + pointer;
    return config_error::located(origin.file, at.empty() ? "/" : at, at, std::move(reason));
  }

  void read_json_inventory(const fs::path& file) {
    json entries = read_json_file(file);
    if (!entries.is_array()) {
      throw config_error::located(
          file.string(), "/", "",
          "expected an array of devices, got " + entries.dump().substr(0, 80));
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
      add_from_file(std::move(entries[i]), origin_in(file.string(), "/" + std::to_string(i)));
    }
  }

  void read_csv_inventory(const fs::path& file) {
    std::string why;
    const auto text = read_whole_file(file, why);
    if (!text) {
      throw config_error::in_file(file.string(), "cannot read: " + why);
    }
    const auto rows = read_csv(*text, file.string());
    if (rows.empty()) {
      return;
    }
    const auto& header = rows.front();
    const auto pointers = column_pointers(file.string(), header);
    for (std::size_t r = 1; r < rows.size(); ++r) {
      auto origin = origin_in(file.string(), "", rows[r].line);
      if (rows[r].cells.size() != header.cells.size()) {
        throw located(origin, "",
                      std::to_string(rows[r].cells.size()) + " cells, where the header (line " +
                          std::to_string(header.line) + ") names " +
                          std::to_string(header.cells.size()));
      }
      json block = json::object();
      for (std::size_t c = 0; c < pointers.size(); ++c) {
        // An empty cell says nothing: the device takes the default.
        if (!rows[r].cells[c].empty()) {
          block[pointers[c]] = rows[r].cells[c];
        }
      }
      add_from_file(std::move(block), std::move(origin));
    }
  }

  /// The JSON pointer each header cell names: "logs.interval" is /logs/interval.
  static std::vector<json::json_pointer> column_pointers(const std::string& file,
                                                         const csv_row& header) {
    std::vector<json::json_pointer> pointers;
    std::set<std::string> seen;
    const auto fail = [&](const std::string& column, const std::string& reason) {
      return config_error::located(file, "line " + std::to_string(header.line), "",
                                   "column \"" + column + "\": " + reason);
    };
    for (const auto& column : header.cells) {
      std::string pointer;
      std::size_t start = 0;
      while (start <= column.size()) {
        const auto dot = std::min(column.find('.', start), column.size());
        if (dot == start) {
          throw fail(column, "expected a key such as name, url or logs.interval");
        }
        pointer += "/" + pointer_token(column.substr(start, dot - start));
        start = dot + 1;
      }
      // A column inside another ("tls" and "tls.ca_file") would write one value over the other.
      for (const auto& other : seen) {
        const auto& [shorter, longer] =
            other.size() < pointer.size() ? std::pair(other, pointer) : std::pair(pointer, other);
        if (longer == shorter || longer.starts_with(shorter + "/")) {
          throw fail(column, "repeats or overlaps another column");
        }
      }
      seen.insert(pointer);
      pointers.emplace_back(pointer);
    }
    return pointers;
  }

  device_sources& out_;
};

}  // namespace

std::string device_origin::describe() const {
  if (file.empty()) {
    return pointer;
  }
  if (line != 0) {
    return file + " line " + std::to_string(line);
  }
  return pointer.empty() ? file : file + " at " + pointer;
}

bool device_origin::is_text(const std::string& at) const {
  return line != 0 && holds(*block, at);
}

config_error device_sources::relocate(const config_error& e, std::size_t i) const {
  const std::string prefix = "/devices/" + std::to_string(i);
  const std::string& path = e.path();
  if (i >= origins.size() || !path.starts_with(prefix) ||
      (path.size() > prefix.size() && path[prefix.size()] != '/')) {
    return e;
  }
  const std::string rest = path.substr(prefix.size());
  const auto& origin = origins[i];
  if (!holds(*origin.block, rest) && holds(defaults, rest)) {
    return config_error("/device_defaults" + rest, e.reason());
  }
  if (origin.file.empty()) {
    return config_error(origin.pointer + rest, e.reason());
  }
  if (origin.line != 0) {
    return config_error::located(
        origin.file, "line " + std::to_string(origin.line) + ", column " + column_of(rest), rest,
        e.reason());
  }
  const std::string in_file = origin.pointer + rest;
  return config_error::located(origin.file, in_file.empty() ? "/" : in_file, in_file, e.reason());
}

bool device_sources::is_text(const std::string& pointer) const {
  constexpr std::string_view prefix = "/devices/";
  if (!pointer.starts_with(prefix)) {
    return false;
  }
  std::size_t i = 0;
  const char* begin = pointer.data() + prefix.size();
  const char* end = pointer.data() + pointer.size();
  const auto [next, ec] = std::from_chars(begin, end, i);
  if (ec != std::errc{} || i >= origins.size() || (next != end && *next != '/')) {
    return false;
  }
  return origins[i].is_text(std::string(next, end));
}

void device_sources::read_files() {
  source_reader reader(*this);
  if (devices_dir) {
    reader.read_dir(*devices_dir);
  }
  if (inventory) {
    reader.read_inventory(*inventory);
  }
}

device_sources take_device_sources(object_reader& root, const fs::path& base_dir) {
  device_sources out;
  auto defaults = root.object("device_defaults");
  out.defaults = defaults.written();
  if (out.defaults.contains("name")) {
    throw defaults.error("name", "a name belongs to one device, not to the defaults");
  }
  source_reader reader(out);
  for (auto& inline_device : root.array_of_objects("devices")) {
    reader.add(inline_device.written(), origin_in("", inline_device.path()));
  }
  if (const auto dir = root.optional_string("devices_dir")) {
    if (dir->empty()) {
      throw root.error("devices_dir", "expected a directory, got \"\"");
    }
    out.devices_dir = device_file_key{root.path_of("devices_dir"), resolve(base_dir, *dir)};
  }
  if (const auto inventory = root.optional_string("inventory")) {
    out.inventory = device_file_key{root.path_of("inventory"), resolve(base_dir, *inventory)};
  }
  return out;
}

}  // namespace qsanfwd::config

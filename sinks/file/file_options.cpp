#include "sinks/file/file_options.hpp"

#include <charconv>
#include <stdexcept>

namespace qsanfwd::sinks {

namespace {

void read_path(config::object_reader& r, file_options& o) {
  const auto text = r.string("path");
  if (text.empty() || text.back() == '/') {
    throw r.error("path", "expected a file path, got \"" + text + "\"");
  }
  event_template path;
  try {
    path = event_template::parse(text);
  } catch (const std::invalid_argument& e) {
    throw r.error("path", e.what());
  }
  if (path.constant()) {
    o.path = path.render(event{});  // "{{", "}}" and "%%" written as themselves
    if (r.has("max_open_files")) {
      throw r.error("max_open_files", "applies to a path with placeholders only");
    }
    return;
  }
  o.path = text;
  o.path_template = std::move(path);
  // Each open file is a descriptor of the process's own (RLIMIT_NOFILE, 1024 by default).
  o.max_open_files = static_cast<std::size_t>(r.integer("max_open_files", 1, 512, 64));
}

// The key's file is read when the sink is made, as certificates are: a configuration is
// checked on one machine and run on another.
void read_chain_options(config::object_reader& r, file_options& o) {
  if (!o.hash_chain) {
    for (const auto* key : {"key_file", "seal"}) {
      if (r.has(key)) {
        throw r.error(key, "applies with \"hash_chain\": true only");
      }
    }
    return;
  }
  o.key_file = r.string("key_file", "");
  auto seal = r.object("seal");
  o.seal_every_events =
      static_cast<std::uint64_t>(seal.integer("every_events", 0, 1000000000, 10000));
  o.seal_every = seal.duration_value("every", duration{300000});
  seal.finish();
}

}  // namespace

file_options parse_file_options(config::object_reader& r) {
  file_options o;
  read_path(r, o);
  // A mode is written as an octal string ("0640"), the way chmod spells it.
  const auto mode = r.string("permissions", "0640");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(mode.data(), mode.data() + mode.size(), value, 8);
  if (ec != std::errc{} || end != mode.data() + mode.size() || value > 0777) {
    throw r.error("permissions", "expected an octal mode such as \"0640\", got \"" + mode + "\"");
  }
  o.permissions = value;
  auto rotate = r.object("rotate");
  o.rotate_max_bytes =
      static_cast<std::uint64_t>(rotate.integer("max_bytes", 0, std::int64_t{1} << 50, 0));
  o.rotate_interval = rotate.duration_value("interval", duration{0});
  o.rotate_keep = static_cast<int>(rotate.integer("keep", 1, 10000, 7));
  o.rotate_gzip = rotate.boolean("gzip", false);
  rotate.finish();
  const auto fsync = r.one_of("fsync", {"batch", "interval", "never"}, "batch");
  o.fsync = fsync == "interval" ? fsync_policy::interval
            : fsync == "never"  ? fsync_policy::never
                                : fsync_policy::batch;
  o.fsync_interval = r.duration_value("fsync_interval", duration{1000}, duration{10});
  o.hash_chain = r.boolean("hash_chain", false);
  read_chain_options(r, o);
  return o;
}

}  // namespace qsanfwd::sinks

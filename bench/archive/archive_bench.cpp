// qsanfwd-bench-archive: writes a rotated, gzipped, keyed and sealed archive through the file
// sink, then times verify_archive() over it with the key and the seals, and as an unkeyed
// chain without seals (bench/README.md, "archive").

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/core/event.hpp"
#include "agent/core/queued_event.hpp"
#include "sinks/file/file_sink.hpp"
#include "sinks/file/hash_chain.hpp"

namespace {

using namespace qsanfwd;
using clock_type = std::chrono::steady_clock;

struct settings {
  std::int64_t lines = 1000000;
  std::string dir;
  bool keyed = true;
};

// A log line of the usual size (about 250 bytes of JSON).
queued_event line_event(std::int64_t n) {
  event e;
  e.id = "id-" + std::to_string(n);
  e.device = "array-01";
  e.host = "192.0.2.10";
  e.timestamp = 1795915304 + n / 2;
  e.type = "info";
  e.message = "User admin logged in from 192.0.2.77 via https (session " + std::to_string(n) + ").";
  return queued_event(n, to_json(e));
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// CPU seconds of this process: what the figure is when other work shares the cores.
double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Writes the archive; returns the seals as JSON lines in `seals`.
void write_archive(const settings& s, const std::filesystem::path& dir,
                   const std::filesystem::path& key_file, const std::filesystem::path& seals) {
  sinks::file_options o;
  o.path = dir / "events.jsonl";
  o.hash_chain = true;
  o.key_file = s.keyed ? key_file : std::filesystem::path();
  o.rotate_max_bytes = 64 << 20;
  o.rotate_keep = 1000;
  o.rotate_gzip = true;
  o.fsync = sinks::fsync_policy::never;
  sinks::file_sink sink("archive", o);
  std::string sealed;
  sink.report_to([&](const event& e) { sealed += to_json(e) + "\n"; });
  boost::asio::io_context io;
  std::vector<queued_event> batch;
  for (std::int64_t n = 0; n < s.lines;) {
    batch.clear();
    for (int i = 0; i < 1000 && n < s.lines; ++i) {
      batch.push_back(line_event(n++));
    }
    auto done = boost::asio::co_spawn(io, sink.deliver(batch), boost::asio::use_future);
    io.restart();
    io.run();
    if (done.get().result != sinks::outcome::delivered) {
      throw std::runtime_error("the file sink did not deliver");
    }
  }
  auto closed = boost::asio::co_spawn(io, sink.close(), boost::asio::use_future);
  io.restart();
  io.run();
  closed.get();
  std::FILE* f = std::fopen(seals.c_str(), "w");
  std::fwrite(sealed.data(), 1, sealed.size(), f);
  std::fclose(f);
}

void time_verify(const char* what, const std::vector<std::filesystem::path>& files,
                 const sinks::verify_options& v) {
  const auto start = clock_type::now();
  const auto cpu = cpu_seconds();
  const auto r = sinks::verify_archive(files, v);
  std::printf("%-34s %6.2f s (%.2f s CPU)  %s, %llu lines, %zu seals\n", what, seconds_since(start),
              cpu_seconds() - cpu, r.ok() ? "ok" : "NOT ok",
              static_cast<unsigned long long>(r.lines), r.seals_checked);
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"qsanfwd-bench-archive: verify-archive over a large rotated archive"};
  app.add_option("--lines", s.lines, "lines in the archive (1000000)");
  app.add_option("--dir", s.dir, "where to write it (a new directory under $TMPDIR)");
  CLI11_PARSE(app, argc, argv);
  const auto dir = s.dir.empty() ? std::filesystem::temp_directory_path() / "qsanfwd-bench-archive"
                                 : std::filesystem::path(s.dir);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "archive");
  const auto key_file = dir / "archive.key";
  {
    std::FILE* f = std::fopen(key_file.c_str(), "w");
    std::fputs("bench-key-0123456789abcdef-0123456789abcdef", f);
    std::fclose(f);
    std::filesystem::permissions(key_file, std::filesystem::perms::owner_read,
                                 std::filesystem::perm_options::replace);
  }
  const auto seals = dir / "seals.jsonl";
  auto start = clock_type::now();
  write_archive(s, dir / "archive", key_file, seals);
  std::vector<std::filesystem::path> files;
  std::uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "archive")) {
    files.push_back(entry.path());
    bytes += entry.file_size();
  }
  std::printf("wrote %lld lines in %zu files (%.1f MB on disk) in %.2f s\n",
              static_cast<long long>(s.lines), files.size(), static_cast<double>(bytes) / 1e6,
              seconds_since(start));
  const auto key = sinks::read_chain_key(key_file);
  sinks::verify_options keyed;
  keyed.key = &key;
  keyed.seals = sinks::read_seals(seals);
  time_verify("verify-archive --key-file --seals", files, keyed);
  sinks::verify_options none;
  none.key = &key;
  time_verify("verify-archive --key-file", files, none);
  std::filesystem::remove_all(dir);
  return 0;
}

#include "agent/store/state_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "agent/core/logging.hpp"
#include "agent/core/time.hpp"

#ifndef QSANFWD_VERSION
#define QSANFWD_VERSION "unknown"
#endif

namespace qsanfwd {
namespace {

constexpr const char* database_name = "state.db";
constexpr const char* lock_name = "qsanfwd.lock";
// Only `qsanfwd status` ever competes with the agent, and only for moments.
constexpr std::chrono::milliseconds busy_timeout{5000};
// WAL checkpoints copy what the log holds into the database file and fsync it: work the
// delivery thread's connection does after its commits, once the WAL holds SQLite's usual 4 MiB
// (1,000 of its default pages), off collection's path. Collection's connections (the agent's
// own, the write thread's) checkpoint too, only later, for when no other connection commits
// (every sink down) or there is none.
constexpr std::int64_t shared_checkpoint_bytes = 4 << 20;
constexpr std::int64_t backstop_checkpoint_bytes = 32 << 20;
// A VACUUM copies what is live into a new file, on the agent's start-up path and needing that
// much free disk: up to 64 MiB takes about a second.
constexpr std::int64_t max_rewrite_bytes = 64 << 20;
// Free pages kept for the queue to reuse as it fills again.
constexpr std::int64_t kept_free_bytes = 16 << 20;

constexpr bool consecutive_from_one(const auto& migrations) {
  int expected = 1;
  for (const auto& m : migrations) {
    if (m.version != expected++) {
      return false;
    }
  }
  return true;
}
static_assert(consecutive_from_one(sql::migrations), "migrations must be numbered 1, 2, 3, ...");

std::shared_ptr<spdlog::logger> logger() {
  return get_logger("store");
}

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

/// Creates the state directory 0700 if it is missing. An existing directory keeps the mode
/// its administrator gave it.
void make_state_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  // "/var/lib/qsanfwd/" names the same directory as "/var/lib/qsanfwd"; only its parents are
  // made with default modes. A failure here shows up as mkdir's error below.
  const auto parent = (dir.has_filename() ? dir : dir.parent_path()).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
  }
  if (::mkdir(dir.c_str(), 0700) == 0) {
    // The store's own line says where it was created.
    logger()->debug("created state directory {}", dir.string());
  } else if (errno != EEXIST) {
    const int error = errno;
    throw store_error("cannot create state directory " + dir.string() + ": " + errno_text(error),
                      dir);
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    throw store_error("state_dir " + dir.string() + " exists but is not a directory", dir);
  }
}

/// The PID the lock's holder wrote into the lock file, or "" if it cannot be read.
std::string holder_pid(int fd) {
  char buffer[32] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string pid = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
    pid.pop_back();
  }
  return pid;
}

void write_own_pid(int fd, const std::filesystem::path& path) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  // The PID only makes the message of a second agent more helpful; the lock works without it.
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    logger()->warn("cannot write the PID into {}: {}", path.string(), errno_text(errno));
  }
}

/// Makes sure the database file exists with mode 0600 before SQLite opens it, since SQLite
/// would create it 0644 (less the umask). The -wal and -shm files copy the database's mode.
void create_private_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    const int error = errno;
    throw store_error("cannot open state database " + file.string() + ": " + errno_text(error),
                      file);
  }
  struct stat info {};
  if (::fstat(fd, &info) == 0 && (info.st_mode & 077) != 0) {
    logger()->warn(
        "state database {} is accessible to other users (mode {:o}); it holds "
        "session tokens: chmod 600 it",
        file.string(), info.st_mode & 0777);
  }
  ::close(fd);
}

/// Opening errors that mean "this file is not a usable database" get a message that says so
/// and what to do; the file itself is left alone.
[[noreturn]] void rethrow_if_corrupt(const store_error& e) {
  if (e.is_corrupt()) {
    throw store_error(
        "state database " + e.file().string() + " is not a SQLite database or is corrupt (" +
            sqlite::describe_code(e.code()) + ", SQLite error " + std::to_string(e.code()) +
            "); it was left as it is: restore it from a backup, or move it away "
            "to start with empty state",
        e.file(), e.code());
  }
  throw;
}

}  // namespace

state_store::directory_lock::~directory_lock() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

state_store::directory_lock::directory_lock(directory_lock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

state_store::state_store(const std::filesystem::path& file, sqlite::database::access mode,
                         directory_lock lock)
    : lock_(std::move(lock)), db_(file, mode) {
  db_.set_busy_timeout(busy_timeout);
}

state_store::~state_store() = default;

state_store::directory_lock state_store::lock_directory(const std::filesystem::path& state_dir) {
  const auto path = state_dir / lock_name;
  directory_lock lock(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock.held()) {
    const int error = errno;
    throw store_error("cannot open lock file " + path.string() + ": " + errno_text(error), path);
  }
  if (::flock(lock.fd(), LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    if (error != EWOULDBLOCK) {
      throw store_error("cannot lock " + path.string() + ": " + errno_text(error), path);
    }
    const std::string pid = holder_pid(lock.fd());
    throw store_error("state directory " + state_dir.string() + " is in use by another qsanfwd" +
                          (pid.empty() ? std::string() : " (pid " + pid + ")") +
                          ": only one agent may use a state_dir; stop the other one or give "
                          "this one another state_dir",
                      path);
  }
  write_own_pid(lock.fd(), path);
  return lock;
}

std::unique_ptr<state_store> state_store::open(const std::filesystem::path& state_dir) {
  make_state_dir(state_dir);
  auto lock = lock_directory(state_dir);
  const auto file = state_dir / database_name;
  create_private_file(file);
  std::unique_ptr<state_store> store(
      new state_store(file, sqlite::database::access::read_write, std::move(lock)));
  store->writers_ = std::make_shared<std::mutex>();
  int found_version = 0;
  try {
    store->schema_version_ = store->read_schema_version();
    found_version = store->schema_version_;
    store->prepare_for_writing();
    store->rewrite_old_layout();
    store->checkpoint_after(backstop_checkpoint_bytes);
    store->migrate();
    store->record_origin();
  } catch (const store_error& e) {
    rethrow_if_corrupt(e);
  }
  // One line for the store whatever happened to it: a new store's migrations are its creation.
  if (found_version == 0) {
    logger()->info("created state store at {} (schema {})", file.string(), store->schema_version_);
  } else if (found_version < store->schema_version_) {
    logger()->info("upgraded state store {} from schema {} to {}", file.string(), found_version,
                   store->schema_version_);
  } else {
    logger()->info("state store {} open (schema {})", file.string(), store->schema_version_);
  }
  return store;
}

std::unique_ptr<state_store> state_store::another_connection(checkpoints c) const {
  if (read_only()) {
    throw std::logic_error("another_connection() of a read-only state store");
  }
  std::unique_ptr<state_store> other(
      new state_store(file(), sqlite::database::access::read_write, directory_lock()));
  other->writers_ = writers_;
  other->schema_version_ = schema_version_;
  other->prepare_for_writing();
  other->checkpoint_after(c == checkpoints::early ? shared_checkpoint_bytes
                                                  : backstop_checkpoint_bytes);
  return other;
}

std::unique_ptr<state_store> state_store::open_read_only(const std::filesystem::path& state_dir) {
  const auto file = state_dir / database_name;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw store_error(
        "no state database at " + file.string() + ": has the agent run with this state_dir?", file);
  }
  std::unique_ptr<state_store> store(
      new state_store(file, sqlite::database::access::read_only, directory_lock()));
  try {
    store->db_.exec(sql::query_only);
    store->schema_version_ = store->read_schema_version();
  } catch (const store_error& e) {
    rethrow_if_corrupt(e);
  }
  if (store->schema_version_ < latest_schema_version) {
    throw store_error(
        "state database " + file.string() + " has schema version " +
            std::to_string(store->schema_version_) + ", older than this qsanfwd reads (" +
            std::to_string(latest_schema_version) + "); start the agent once to upgrade it",
        file);
  }
  return store;
}

/// The database's schema version; a version newer than this build knows is an error, because
/// an older qsanfwd cannot know what the newer one stored.
int state_store::read_schema_version() {
  auto& query = db_.cached(sql::read_user_version);
  query.step();
  const auto version = static_cast<int>(query.column_int64(0));
  query.reset();
  if (version > latest_schema_version) {
    throw store_error("state database " + file().string() + " has schema version " +
                          std::to_string(version) + ", newer than this qsanfwd supports (" +
                          std::to_string(latest_schema_version) +
                          "); refusing to downgrade it: use a newer qsanfwd or another state_dir",
                      file());
  }
  return version;
}

void state_store::prepare_for_writing() {
  db_.exec(sql::synchronous_extra);
  db_.exec(sql::new_page_size);
  db_.exec(sql::incremental_auto_vacuum);
  auto& wal = db_.cached(sql::enable_wal);
  wal.step();
  const std::string mode = wal.column_text(0);
  wal.reset();
  // Some file systems (network ones) cannot do WAL; the durability argument in sql.hpp needs it.
  if (mode != "wal") {
    throw store_error("state database " + file().string() + " cannot use WAL journaling (got '" +
                          mode + "'); put state_dir on a local file system",
                      file());
  }
  db_.exec(sql::synchronous_normal);
  db_.exec(sql::enable_foreign_keys);
  db_.exec(sql::secure_delete_fast);
  db_.exec(sql::limit_wal_size);
}

void state_store::checkpoint_after(std::int64_t wal_bytes) {
  const auto page_size = std::max<std::int64_t>(read_int(sql::read_page_size), 512);
  db_.checkpoint_after(static_cast<int>(wal_bytes / page_size));
}

std::int64_t state_store::read_int(std::string_view pragma) {
  auto& query = db_.cached(pragma);
  query.step();
  const auto value = query.column_int64(0);
  query.reset();
  return value;
}

void state_store::give_back_free_pages() {
  if (read_int(sql::read_freelist_count) * read_int(sql::read_page_size) <= kept_free_bytes) {
    return;
  }
  try {
    // Its own transaction: moving pages writes to the WAL, which a full disk can refuse, and
    // that must not undo the deletes or cursor moves that freed them.
    auto t = begin();
    db_.exec(sql::incremental_vacuum_step);
    t.commit(sqlite::durability::deferred);
  } catch (const store_error& e) {
    // The pages stay free for the queue to reuse; the next call tries again.
    logger()->debug("cannot give free pages back yet: {}", e.what());
  }
}

void state_store::rewrite_old_layout() {
  const auto page_size = read_int(sql::read_page_size);
  if (page_size == sql::new_page_bytes &&
      read_int(sql::read_auto_vacuum) == sql::auto_vacuum_incremental) {
    return;
  }
  const auto mib = [](std::int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; };
  const auto file_bytes = read_int(sql::read_page_count) * page_size;
  const auto live_bytes = file_bytes - read_int(sql::read_freelist_count) * page_size;
  if (live_bytes > max_rewrite_bytes) {
    logger()->info(
        "state database {} keeps its older layout ({} KiB pages, free pages kept) "
        "while it holds {}: it is rewritten at a start when it holds {} or less",
        file().string(), page_size >> 10, mib(live_bytes), mib(max_rewrite_bytes));
    return;
  }
  try {
    db_.exec(sql::synchronous_extra);
    db_.exec(sql::rollback_journal);
    db_.exec(sql::new_page_size);
    db_.exec(sql::incremental_auto_vacuum);
    db_.exec(sql::vacuum);
    logger()->info(
        "state database {} rewritten in the current layout: {} KiB pages (were {}), "
        "{} -> {}",
        file().string(), sql::new_page_bytes >> 10, page_size >> 10, mib(file_bytes),
        mib(read_int(sql::read_page_count) * read_int(sql::read_page_size)));
  } catch (const store_error& e) {
    // A full disk or a reader that holds the file: the old layout works, only bigger.
    logger()->warn("state database {} keeps its older layout: {}", file().string(), e.what());
  }
  prepare_for_writing();
}

void state_store::migrate() {
  for (const auto& m : sql::migrations) {
    if (m.version <= schema_version_) {
      continue;
    }
    try {
      auto t = begin();
      db_.exec(m.sql);
      db_.exec(std::string(sql::set_user_version_prefix) + std::to_string(m.version));
      t.commit();
    } catch (const store_error& e) {
      throw store_error(
          "cannot upgrade the schema to version " + std::to_string(m.version) + ": " + e.what(),
          e.file(), e.code());
    }
    logger()->debug("state database {} upgraded from schema version {} to {}", file().string(),
                    schema_version_, m.version);
    schema_version_ = m.version;
  }
}

void state_store::record_origin() {
  const std::pair<std::string_view, std::string> origin[] = {
      {"created_at", rfc3339_utc(unix_now())},
      {"created_by", "qsanfwd " QSANFWD_VERSION},
  };
  auto t = begin();
  for (const auto& [key, value] : origin) {
    auto& insert = db_.cached(sql::record_meta_once);
    insert.bind_text(1, key);
    insert.bind_text(2, value);
    insert.run();
  }
  t.commit();
}

std::optional<std::string> state_store::meta(std::string_view key) {
  auto& query = db_.cached(sql::load_meta);
  query.bind_text(1, key);
  std::optional<std::string> value;
  if (query.step()) {
    value = query.column_text(0);
  }
  query.reset();
  return value;
}

std::optional<secret> state_store::load_refresh_token(std::string_view device) {
  auto& query = db_.cached(sql::load_refresh_token);
  query.bind_text(1, device);
  std::optional<secret> token;
  if (query.step()) {
    token = secret(query.column_text(0));
  }
  query.reset();
  return token;
}

// The array may already have revoked the token this one replaces: a synced commit, so a power
// cut cannot bring the old one back.
void state_store::save_refresh_token(std::string_view device, const secret& token) {
  auto& upsert = db_.cached(sql::save_refresh_token);
  upsert.bind_text(1, device);
  upsert.bind_text(2, token.reveal());
  upsert.bind_int64(3, unix_now());
  write([&] { return upsert.run(); }, sqlite::durability::synced);
}

void state_store::forget_refresh_token(std::string_view device) {
  auto& update = db_.cached(sql::forget_refresh_token);
  update.bind_text(1, device);
  write([&] { return update.run(); }, sqlite::durability::synced);
}

}  // namespace qsanfwd

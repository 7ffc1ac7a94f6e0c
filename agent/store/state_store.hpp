#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "agent/core/secret.hpp"
#include "agent/store/sql.hpp"
#include "agent/store/sqlite.hpp"

namespace qsanfwd {

/// The agent's durable state: one SQLite database, `state.db`, in the state directory.
///
/// open() is for the agent: it holds an exclusive lock on `state_dir/qsanfwd.lock` for its
/// whole life (one agent per directory), creates what is missing (directory 0700, database
/// 0600), and migrates the schema to latest_schema_version. open_read_only() is for
/// `qsanfwd status`: it takes no lock, runs no migrations, writes nothing, and works while the
/// agent runs. Either fails with store_error, whose message names the file or directory and the
/// way out; an existing file is never deleted, recreated or downgraded.
///
/// Not thread-safe: each connection is used from one thread. A thread of its own (delivery)
/// gets a connection of its own from another_connection(); write transactions of connections
/// made that way take turns (begin() waits for the other's commit).
class state_store {
 public:
  static constexpr int latest_schema_version = sql::migrations.back().version;

  /// Opens (creating if needed) the state in `state_dir` for the agent.
  static std::unique_ptr<state_store> open(const std::filesystem::path& state_dir);
  /// Opens an existing state database in `state_dir` for reading only.
  static std::unique_ptr<state_store> open_read_only(const std::filesystem::path& state_dir);

  /// Which connection checkpoints the WAL (copies it into the database file and fsyncs both):
  /// one on a thread with time for it (delivery's, `early`), or one on collection's path that
  /// leaves it to the others and does it only when they have not (`as_backstop`).
  enum class checkpoints { early, as_backstop };
  /// A second read-write connection to this store's database, for another thread. It runs no
  /// migrations and takes no lock of its own: this store must outlive it.
  std::unique_ptr<state_store> another_connection(checkpoints c = checkpoints::early) const;

  ~state_store();
  state_store(const state_store&) = delete;
  state_store& operator=(const state_store&) = delete;

  /// The schema version of the open database (latest_schema_version once opened).
  int schema_version() const { return schema_version_; }
  bool read_only() const { return writers_ == nullptr; }
  const std::filesystem::path& file() const { return db_.file(); }

  /// The connection, for components that keep their own tables here. Their SQL lives in
  /// agent/store/sql.hpp; use database::cached() so statements are prepared once.
  sqlite::database& database() { return db_; }
  /// Starts a write transaction (BEGIN IMMEDIATE); it rolls back unless committed.
  sqlite::transaction begin() { return sqlite::transaction(db_, writers_.get()); }
  /// Runs `work` inside the caller's transaction when one is open (it commits with the
  /// caller's other writes, or not at all), else in a transaction of its own committed with
  /// `d`; returns what `work` returns.
  template <class Work>
  auto write(Work&& work, sqlite::durability d) {
    if (db_.in_transaction()) {
      return work();
    }
    auto t = begin();
    if constexpr (std::is_void_v<decltype(work())>) {
      work();
      t.commit(d);
    } else {
      auto result = work();
      t.commit(d);
      return result;
    }
  }

  /// Gives free pages beyond 16 MiB back to the file system, 4 MiB a call, in a transaction
  /// of its own (call it outside any: the dispatcher does after its deletes); the file shrinks
  /// at the next checkpoint. Failing (a full disk) leaves the pages free for reuse, no error.
  void give_back_free_pages();

  /// A value recorded in the `meta` table (`created_at`, `created_by`), if present.
  std::optional<std::string> meta(std::string_view key);

  /// The refresh token saved for `device`, if any.
  std::optional<secret> load_refresh_token(std::string_view device);
  /// Saves (replaces) the refresh token of `device`, synced to disk before returning (inside a
  /// transaction of the caller's: at its commit).
  void save_refresh_token(std::string_view device, const secret& token);
  /// Forgets the refresh token of `device`; nothing happens if there is none.
  void forget_refresh_token(std::string_view device);

 private:
  /// The open, flock'ed lock file of the state directory; empty for a reader.
  class directory_lock {
   public:
    directory_lock() = default;
    explicit directory_lock(int fd) : fd_(fd) {}
    ~directory_lock();
    directory_lock(directory_lock&& other) noexcept;
    directory_lock& operator=(directory_lock&&) = delete;
    directory_lock(const directory_lock&) = delete;
    directory_lock& operator=(const directory_lock&) = delete;

    bool held() const { return fd_ >= 0; }
    int fd() const { return fd_; }

   private:
    int fd_ = -1;
  };

  state_store(const std::filesystem::path& file, sqlite::database::access mode,
              directory_lock lock);

  static directory_lock lock_directory(const std::filesystem::path& state_dir);
  int read_schema_version();
  void prepare_for_writing();
  /// database::checkpoint_after() for a WAL of `wal_bytes`, in this database's pages.
  void checkpoint_after(std::int64_t wal_bytes);
  void migrate();
  void record_origin();
  /// Rewrites a database made by an older qsanfwd (4 KiB pages, free pages never given back)
  /// into a new one's layout, when what it holds is small enough to copy at start-up.
  void rewrite_old_layout();
  std::int64_t read_int(std::string_view pragma);

  // Declared first so that it is released last, after the connection has closed.
  directory_lock lock_;
  sqlite::database db_;
  int schema_version_ = 0;
  /// Shared by every read-write connection to the database; null for a reader.
  std::shared_ptr<std::mutex> writers_;
};

}  // namespace qsanfwd

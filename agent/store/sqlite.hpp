#pragma once

// A thin RAII layer over the SQLite C API: a connection, prepared statements, and transactions.
// Every failure throws store_error carrying SQLite's message, the database file and the extended
// result code, so callers can tell a full disk or a busy database from a bug.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <span>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace qsanfwd {

/// A failure of the state store. what() names the file and says what failed; it never contains
/// a bound value (tokens are bound, never spliced into SQL).
class store_error : public std::runtime_error {
 public:
  store_error(const std::string& message, std::filesystem::path file, int code = 0);

  /// SQLite's extended result code (e.g. SQLITE_FULL, SQLITE_IOERR_WRITE); 0 when the failure
  /// is not SQLite's (a lock held by another process, a directory that cannot be made).
  int code() const { return code_; }
  const std::filesystem::path& file() const { return file_; }

  /// The disk (or the page limit) is full: worth retrying later, not a bug.
  bool is_disk_full() const;
  /// Another connection holds the lock longer than the busy timeout.
  bool is_busy() const;
  /// The file is not a database or is damaged.
  bool is_corrupt() const;

 private:
  std::filesystem::path file_;
  int code_;
};

namespace sqlite {

/// SQLite's English description of a result code ("file is not a database").
std::string describe_code(int code);

class database;

/// A prepared statement. Parameters are numbered from 1, result columns from 0. It belongs to
/// the database that prepared it and must not outlive it.
class statement {
 public:
  statement(database& db, std::string_view sql);
  ~statement();
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  void bind_int64(int index, std::int64_t value);
  void bind_double(int index, double value);
  /// The text is copied; the view need not outlive the call.
  void bind_text(int index, std::string_view value);
  /// Like bind_text without SQLite's copy of `value`, which must stay alive and unchanged until
  /// the statement is reset (a page's chunk of events is large).
  void bind_text_in_place(int index, std::string_view value);
  /// The bytes are copied; the span need not outlive the call.
  void bind_blob(int index, std::span<const std::byte> value);
  /// Like bind_blob without SQLite's copy, as bind_text_in_place.
  void bind_blob_in_place(int index, std::string_view value);
  void bind_null(int index);

  /// Runs the statement one step: true when a row is ready to be read, false when done.
  bool step();
  /// Runs a statement that returns no rows to completion.
  void run();
  /// Makes the statement ready to run again and clears its parameters. A statement left on a
  /// row keeps a read snapshot open, so reset it as soon as the rows are read.
  void reset();

  bool column_is_null(int index) const;
  std::int64_t column_int64(int index) const;
  /// nullopt for NULL.
  std::optional<std::int64_t> column_optional_int64(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  std::vector<std::byte> column_blob(int index) const;

 private:
  void check_bind(int rc, int index);

  database* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// One connection to a database file. Not thread-safe: one owner (the agent's single
/// io_context thread) uses it. Not movable, because its statements point back to it.
class database {
 public:
  enum class access {
    read_write,  ///< the file is created if missing
    read_only,   ///< the file must exist; nothing is ever written
  };

  /// Opens `file`. Opening does not read it: a file that is not a database is reported by
  /// the first statement that runs.
  database(const std::filesystem::path& file, access mode);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  /// Runs one or more statements that return no rows.
  void exec(std::string_view sql);
  /// A new prepared statement for `sql`.
  statement prepare(std::string_view sql);
  /// The statement for `sql`, prepared on first use and kept for the life of the connection;
  /// returned reset, with no parameters bound.
  statement& cached(std::string_view sql);

  /// How long a statement waits for another connection's lock before failing with BUSY.
  void set_busy_timeout(std::chrono::milliseconds timeout);
  /// Replaces SQLite's automatic checkpoint, which runs inside a commit, with one that
  /// transaction::commit() runs after the transaction has ended (and its gate is released)
  /// once the WAL has grown by `frames` frames since this connection's last checkpoint (or since
  /// the WAL started over): PASSIVE, so it waits for no reader or writer.
  /// Connections that share a database can so leave checkpoints to the one with time for them.
  void checkpoint_after(int frames);
  /// The checkpoint checkpoint_after() asked for, if it is due. Never throws: a checkpoint
  /// that cannot run now (BUSY) is tried again after a later commit.
  void checkpoint_if_due();
  /// Makes every transaction committed so far, by any connection to this database, survive a
  /// power cut: one fdatasync of the WAL. Throws store_error when the sync fails. Does nothing
  /// on a connection that has no WAL open: one that has run no statement yet, or a database
  /// not in WAL mode, whose every COMMIT syncs.
  void sync_wal();
  /// How many times sync_wal() ran on this connection (tests).
  std::int64_t wal_syncs() const { return wal_syncs_; }
  /// How many checkpoints checkpoint_if_due() ran on this connection (tests).
  std::int64_t checkpoints() const { return checkpoints_; }
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  /// The rowid of the last row this connection inserted.
  std::int64_t last_insert_rowid() const;
  bool in_transaction() const;
  const std::filesystem::path& file() const { return file_; }
  sqlite3* handle() const { return db_; }

  /// Throws store_error for result code `rc` of `action`, with SQLite's message for it.
  [[noreturn]] void fail(int rc, std::string_view action) const;

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  int checkpoint_frames_ = 0;  ///< 0: SQLite's automatic checkpoint
  int wal_frames_ = 0;         ///< in the WAL after this connection's last commit
  int checkpointed_at_ = 0;    ///< wal_frames_ at this connection's last checkpoint
  std::int64_t wal_syncs_ = 0;
  std::int64_t checkpoints_ = 0;
  std::map<std::string, statement, std::less<>> cache_;
};

/// What transaction::commit() promises once it returns. Either way the transaction is atomic and
/// survives a crash of the process (the connection runs `synchronous = NORMAL` in WAL mode).
enum class durability {
  /// The writes also survive a power cut or a kernel crash: the WAL is synced after the commit.
  synced,
  /// The writes survive a power cut once any connection has synced the WAL since (sync_wal(),
  /// a later synced commit, or a checkpoint). A power cut before that rolls the database back
  /// to an earlier transaction, whole. For writes that are only ever acted on after such a
  /// sync: the dispatcher syncs before it hands queued events to a sink.
  deferred,
};

/// A write transaction: BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless
/// commit() succeeded. Transactions do not nest.
///
/// `gate`, when given, is held from before BEGIN until the transaction ends: connections of one
/// process that share a gate take turns without meeting SQLite's BUSY, whose handler sleeps
/// for milliseconds at a time.
class transaction {
 public:
  explicit transaction(database& db, std::mutex* gate = nullptr);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  /// Commits, and with durability::synced (the default) syncs the WAL after the gate is
  /// released, so the other connection's transactions need not wait for the disk. If the
  /// COMMIT throws, the transaction is rolled back when this object dies; if the sync throws,
  /// the writes are committed but may not survive a power cut.
  void commit(durability d = durability::synced);

 private:
  std::unique_lock<std::mutex> turn_;  // first: released after the ROLLBACK of the destructor
  database& db_;
  bool done_ = false;
};

}  // namespace sqlite
}  // namespace qsanfwd

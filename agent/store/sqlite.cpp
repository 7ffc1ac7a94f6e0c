#include "agent/store/sqlite.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <utility>

#include "agent/store/sql.hpp"

namespace qsanfwd {
namespace {

// SQLITE_TRANSIENT without the macro's old-style cast: SQLite copies the value at bind time.
const sqlite3_destructor_type transient =
    reinterpret_cast<sqlite3_destructor_type>(std::intptr_t{-1});

std::string describe(const std::filesystem::path& file, std::string_view action,
                     std::string_view message, int rc) {
  return file.string() + ": " + std::string(action) + ": " + std::string(message) +
         " (SQLite error " + std::to_string(rc) + ")";
}

}  // namespace

store_error::store_error(const std::string& message, std::filesystem::path file, int code)
    : std::runtime_error(message), file_(std::move(file)), code_(code) {}

bool store_error::is_disk_full() const {
  return (code_ & 0xff) == SQLITE_FULL;
}

bool store_error::is_busy() const {
  return (code_ & 0xff) == SQLITE_BUSY;
}

bool store_error::is_corrupt() const {
  return (code_ & 0xff) == SQLITE_CORRUPT || (code_ & 0xff) == SQLITE_NOTADB;
}

namespace sqlite {

std::string describe_code(int code) {
  return sqlite3_errstr(code);
}

// ---- statement ---------------------------------------------------------------------------

statement::statement(database& db, std::string_view sql) : db_(&db) {
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    db.fail(rc, "cannot prepare a statement");
  }
}

statement::~statement() {
  sqlite3_finalize(stmt_);
}

statement::statement(statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void statement::check_bind(int rc, int index) {
  if (rc != SQLITE_OK) {
    db_->fail(rc, "cannot bind parameter " + std::to_string(index));
  }
}

void statement::bind_int64(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
}

void statement::bind_double(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value), index);
}

void statement::bind_text(int index, std::string_view value) {
  check_bind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), transient, SQLITE_UTF8),
             index);
}

void statement::bind_text_in_place(int index, std::string_view value) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8),
      index);
}

void statement::bind_blob(int index, std::span<const std::byte> value) {
  check_bind(sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), transient), index);
}

void statement::bind_blob_in_place(int index, std::string_view value) {
  check_bind(sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_STATIC), index);
}

void statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  // Leave the statement reusable; the error is already in rc.
  sqlite3_reset(stmt_);
  db_->fail(rc, "statement failed");
}

void statement::run() {
  while (step()) {
  }
}

void statement::reset() {
  // sqlite3_reset repeats the last step's error, which step() has already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::int64_t statement::column_int64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::optional<std::int64_t> statement::column_optional_int64(int index) const {
  if (column_is_null(index)) {
    return std::nullopt;
  }
  return column_int64(index);
}

double statement::column_double(int index) const {
  return sqlite3_column_double(stmt_, index);
}

std::string statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  // Asked after column_text, so the size is that of the UTF-8 text.
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
  return text == nullptr ? std::string() : std::string(text, size);
}

std::vector<std::byte> statement::column_blob(int index) const {
  const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(stmt_, index));
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
  return data == nullptr ? std::vector<std::byte>() : std::vector<std::byte>(data, data + size);
}

// ---- database ----------------------------------------------------------------------------

database::database(const std::filesystem::path& file, access mode) : file_(file) {
  // NOMUTEX: a connection has one owner thread, so SQLite's per-connection mutex is waste.
  const int flags = SQLITE_OPEN_NOMUTEX |
                    (mode == access::read_only ? SQLITE_OPEN_READONLY
                                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    throw store_error(describe(file_, "cannot open", message, rc), file_, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
}

database::~database() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

void database::exec(std::string_view sql) {
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    fail(rc, "statement failed");
  }
}

statement database::prepare(std::string_view sql) {
  return statement(*this, sql);
}

statement& database::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(std::string(sql), statement(*this, sql)).first;
  } else {
    it->second.reset();
  }
  return it->second;
}

void database::checkpoint_after(int frames) {
  checkpoint_frames_ = frames;
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames_now) {
        static_cast<database*>(self)->wal_frames_ = frames_now;
        return SQLITE_OK;
      },
      this);
}

void database::checkpoint_if_due() {
  if (wal_frames_ < checkpointed_at_) {
    checkpointed_at_ = 0;  // the WAL has started over
  }
  // Counted from the last checkpoint, not from the WAL's start: while another connection
  // reads or writes all the time the WAL seldom starts over, and counting from its start made
  // every commit after the first `checkpoint_frames_` a checkpoint of its own.
  if (checkpoint_frames_ <= 0 || wal_frames_ - checkpointed_at_ < checkpoint_frames_) {
    return;
  }
  checkpointed_at_ = wal_frames_;
  ++checkpoints_;
  sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

void database::sync_wal() {
  sqlite3_file* wal = nullptr;
  const int found = sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
  if (found != SQLITE_OK) {
    fail(found, "finding the WAL");
  }
  if (wal == nullptr || wal->pMethods == nullptr) {
    return;
  }
  const int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) {
    fail(rc, "syncing the WAL");
  }
  ++wal_syncs_;
}

void database::set_busy_timeout(std::chrono::milliseconds timeout) {
  const int rc = sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
  if (rc != SQLITE_OK) {
    fail(rc, "cannot set the busy timeout");
  }
}

std::int64_t database::changes() const {
  return sqlite3_changes64(db_);
}

std::int64_t database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

bool database::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

void database::fail(int rc, std::string_view action) const {
  // The connection's message belongs to its last call; use it only if that call is this one.
  const std::string message =
      sqlite3_extended_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  throw store_error(describe(file_, action, message, rc), file_, rc);
}

// ---- transaction -------------------------------------------------------------------------

transaction::transaction(database& db, std::mutex* gate) : db_(db) {
  if (gate != nullptr) {
    turn_ = std::unique_lock(*gate);
  }
  db_.cached(sql::begin_immediate).run();
}

transaction::~transaction() {
  if (!done_ && db_.in_transaction()) {
    // Nothing useful can be done about a failed ROLLBACK here: SQLite rolls an open
    // transaction back anyway when the connection closes.
    sqlite3_exec(db_.handle(), std::string(sql::rollback).c_str(), nullptr, nullptr, nullptr);
  }
}

void transaction::commit(durability d) {
  db_.cached(sql::commit).run();
  done_ = true;
  if (turn_.owns_lock()) {
    turn_.unlock();
  }
  if (d == durability::synced) {
    db_.sync_wal();
  }
  db_.checkpoint_if_due();
}

}  // namespace sqlite
}  // namespace qsanfwd

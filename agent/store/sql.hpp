#pragma once

// All SQL of the state store, in one place. Components that keep state (log poller, queue,
// health snapshot) add their statements here and their tables as a new migration at the end of
// `migrations`.

#include <array>
#include <cstddef>
#include <string_view>

namespace qsanfwd::sql {

// ---- connection set-up -------------------------------------------------------------------

inline constexpr std::string_view read_user_version = "PRAGMA user_version";
inline constexpr std::string_view enable_wal = "PRAGMA journal_mode = WAL";
// With WAL, NORMAL already keeps every committed transaction across a crash of the process;
// FULL (an fsync of the WAL at each commit) only adds safety against power loss and kernel
// crashes, where NORMAL may lose the last commits (the database stays consistent either way).
// FULL is chosen: a queue that has acknowledged a line to its source, or a refresh token the
// array has already rotated, should not silently come back older after a power cut. Measured
// on the development VM (ext4, virtio): ~60 us per small commit with NORMAL, ~400 us with FULL;
// the agent commits per polled page or delivered batch, tens per second at most.
inline constexpr std::string_view synchronous_full = "PRAGMA synchronous = FULL";
inline constexpr std::string_view enable_foreign_keys = "PRAGMA foreign_keys = ON";
// FAST overwrites deleted content (a forgotten refresh token) when that costs no extra I/O.
inline constexpr std::string_view secure_delete_fast = "PRAGMA secure_delete = FAST";
// A reader such as `qsanfwd status` must never write, even by mistake.
inline constexpr std::string_view query_only = "PRAGMA query_only = ON";

// ---- transactions ------------------------------------------------------------------------

// IMMEDIATE takes the write lock at BEGIN, so a busy database shows up there (where the
// busy timeout applies) rather than halfway through a transaction.
inline constexpr std::string_view begin_immediate = "BEGIN IMMEDIATE";
inline constexpr std::string_view commit = "COMMIT";
inline constexpr std::string_view rollback = "ROLLBACK";

// ---- schema ------------------------------------------------------------------------------

/// One step of the schema: run in its own transaction, after which `PRAGMA user_version` is
/// `version`. Versions are 1, 2, 3, ... in order; a migration is never edited once released.
struct migration {
  int version;
  std::string_view sql;
};

inline constexpr std::array migrations{
    migration{1, R"sql(
CREATE TABLE devices (
  name TEXT PRIMARY KEY,
  refresh_token TEXT,
  refresh_token_saved_at INTEGER
);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT
);
)sql"},
};

/// `PRAGMA user_version` cannot take a bound parameter; the version is appended as a number.
inline constexpr std::string_view set_user_version_prefix = "PRAGMA user_version = ";

// ---- meta --------------------------------------------------------------------------------

// Recorded once, by the first qsanfwd that opens the database for writing.
inline constexpr std::string_view record_meta_once =
    "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)";
inline constexpr std::string_view load_meta = "SELECT value FROM meta WHERE key = ?1";

// ---- device sessions ---------------------------------------------------------------------

inline constexpr std::string_view load_refresh_token =
    "SELECT refresh_token FROM devices WHERE name = ?1 AND refresh_token IS NOT NULL";
inline constexpr std::string_view save_refresh_token =
    "INSERT INTO devices (name, refresh_token, refresh_token_saved_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (name) DO UPDATE SET refresh_token = excluded.refresh_token, "
    "refresh_token_saved_at = excluded.refresh_token_saved_at";
inline constexpr std::string_view forget_refresh_token =
    "UPDATE devices SET refresh_token = NULL, refresh_token_saved_at = NULL WHERE name = ?1";

}  // namespace qsanfwd::sql

#pragma once

// All SQL of the state store, in one place. Components that keep state (log poller, queue,
// health snapshot) add their statements here and their tables as a new migration at the end of
// `migrations`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace qsanfwd::sql {

// ---- connection set-up -------------------------------------------------------------------

inline constexpr std::string_view read_user_version = "PRAGMA user_version";
inline constexpr std::string_view enable_wal = "PRAGMA journal_mode = WAL";
// With WAL, NORMAL keeps every committed transaction across a crash of the process and the
// database consistent across a power cut, which may roll it back to an earlier transaction.
// FULL would fsync the WAL inside every COMMIT, while the other connection waits for its turn
// to write. Instead sqlite::transaction::commit() syncs the WAL after the commit, outside the
// writers' gate (durability::synced), except for the queue's appends and cursor moves
// (durability::deferred): the dispatcher syncs the WAL before it hands any queued event to a
// sink, so one fdatasync covers every page committed meanwhile, and a power cut can only roll
// back events no sink has seen, together with the checkpoint that fetched them.
inline constexpr std::string_view synchronous_normal = "PRAGMA synchronous = NORMAL";
// Until WAL is on (a new database, or one rewritten at open), SQLite commits by deleting its
// rollback journal. Unless that delete reaches the disk (EXTRA syncs the directory after it), a
// power cut can bring the journal back after later transactions went to the WAL: rolled back
// under them, the database is malformed (the power-cut torture found it).
inline constexpr std::string_view synchronous_extra = "PRAGMA synchronous = EXTRA";
// Pages of 16 KiB for a new database: a queued chunk (a page of events, ~300 KiB) is a quarter
// of the B-tree pages, WAL frames and system calls it is with SQLite's 4 KiB (measured on the
// file-sink drain: 7.1 -> 4.5 CPU s per million events). An existing database with other
// pages gets them when it is rewritten at open (state_store::open).
inline constexpr std::string_view new_page_size = "PRAGMA page_size = 16384";
inline constexpr std::int64_t new_page_bytes = 16384;
inline constexpr std::string_view read_page_size = "PRAGMA page_size";
// Free pages go back to the file system, so that a drained backlog does not keep the disk it
// took: state_store::give_back_free_pages(), after the dispatcher's deletes, hands back what
// they freed beyond some slack, a step at a time. Takes effect on a new database; an old one
// gets it when it is rewritten at open (state_store::open).
inline constexpr std::string_view incremental_auto_vacuum = "PRAGMA auto_vacuum = INCREMENTAL";
inline constexpr std::string_view read_auto_vacuum = "PRAGMA auto_vacuum";
inline constexpr int auto_vacuum_incremental = 2;  // what read_auto_vacuum answers for it
inline constexpr std::string_view read_page_count = "PRAGMA page_count";
inline constexpr std::string_view read_freelist_count = "PRAGMA freelist_count";
// 256 pages: 4 MiB of 16 KiB pages moved and cut off per step.
inline constexpr std::string_view incremental_vacuum_step = "PRAGMA incremental_vacuum(256)";
// VACUUM cannot change the page size of a database in WAL mode: a rewrite leaves WAL for it.
inline constexpr std::string_view rollback_journal = "PRAGMA journal_mode = DELETE";
inline constexpr std::string_view vacuum = "VACUUM";
inline constexpr std::string_view enable_foreign_keys = "PRAGMA foreign_keys = ON";
// FAST overwrites deleted content (a forgotten refresh token) when that costs no extra I/O.
inline constexpr std::string_view secure_delete_fast = "PRAGMA secure_delete = FAST";
// A WAL that grew (a long sink outage leaves checkpoints to the 8,000-frame backstop, ~32 MB)
// is cut back to this size when it next restarts: the disk space goes back to the file system
// instead of staying reserved, which also lets a full disk show as full when it is.
inline constexpr std::string_view limit_wal_size = "PRAGMA journal_size_limit = 4194304";
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
    // The event queue, and the log poller's checkpoint and dedup marks: a page's new lines,
    // their marks and the checkpoint move commit together.
    migration{2, R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  device TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE TABLE log_checkpoints (
  device TEXT PRIMARY KEY,
  start_time INTEGER NOT NULL,
  floor INTEGER NOT NULL,
  newest_first INTEGER,
  cycle INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE log_marks (
  device TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  line_hash INTEGER NOT NULL,
  queued INTEGER NOT NULL,
  seen INTEGER NOT NULL,
  cycle INTEGER NOT NULL,
  fresh INTEGER NOT NULL,
  PRIMARY KEY (device, timestamp, line_hash)
) WITHOUT ROWID;
)sql"},
    // Delivery: each sink's cursor (the last seq it has passed) and its counters, which
    // `qsanfwd status` reads. Events at or below every cursor are deleted.
    migration{3, R"sql(
CREATE TABLE sink_cursors (
  sink TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0,
  retried INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
)sql"},
    // The health monitor's last snapshot per device, one row per (component, id, attribute)
    // with its reading as JSON, and when the device was last polled (no row: first run). A
    // snapshot and the events it produced commit together.
    migration{4, R"sql(
CREATE TABLE health_polls (
  device TEXT PRIMARY KEY,
  polled_at INTEGER NOT NULL
);
CREATE TABLE health_readings (
  device TEXT NOT NULL,
  component TEXT NOT NULL,
  component_id TEXT NOT NULL,
  attribute TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (device, component, component_id, attribute)
) WITHOUT ROWID;
)sql"},
    // What each device's log and health polls did last, for `qsanfwd status` and /healthz:
    // written by the agent after every poll, read by status while the agent runs.
    migration{5, R"sql(
CREATE TABLE device_activity (
  device TEXT NOT NULL,
  activity TEXT NOT NULL,
  last_success_at INTEGER,
  last_failure_at INTEGER,
  last_error TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (device, activity)
) WITHOUT ROWID;
)sql"},
    // Log dedup keeps per-line counts only for the edge seconds of a read cycle and one span per
    // cycle for the seconds it read whole (agent/logs/line_dedup.hpp); a mark's per-cycle
    // sighting count now lives in memory.
    migration{6, R"sql(
CREATE TABLE log_spans (
  device TEXT NOT NULL,
  cycle INTEGER NOT NULL,
  lo INTEGER NOT NULL,
  hi INTEGER NOT NULL,
  PRIMARY KEY (device, cycle)
) WITHOUT ROWID;
ALTER TABLE log_marks DROP COLUMN seen;
ALTER TABLE log_marks DROP COLUMN cycle;
ALTER TABLE log_marks DROP COLUMN fresh;
)sql"},
    // The event queue in chunks: one row per append call (a poller's page, a health event)
    // instead of one per event, which cut the queue's SQLite work per event several times.
    // A chunk holds consecutive seqs first_seq..last_seq; `bodies` is their canonical JSON
    // concatenated and `ends` the end offset in `bodies` of each event but the last (4-byte
    // little-endian), so a chunk can be split and partly counted without scanning the JSON.
    // `bodies` comes last so that queries of the sizes only never read it. event_seqs keeps
    // the highest seq handed out (never reused, even once the queue is empty) and how far the
    // queue was deleted: a chunk passed only in part by every cursor stays until all of it is.
    // Queued events are carried over as chunks of one.
    migration{7, R"sql(
CREATE TABLE event_chunks (
  last_seq INTEGER PRIMARY KEY,
  first_seq INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  ends BLOB NOT NULL,
  bodies TEXT NOT NULL
);
CREATE TABLE event_seqs (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  handed_out INTEGER NOT NULL,
  deleted_through INTEGER NOT NULL
);
INSERT INTO event_seqs (id, handed_out, deleted_through)
SELECT 1, max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
              coalesce((SELECT max(seq) FROM events), 0)), 0;
INSERT INTO event_chunks (last_seq, first_seq, bytes, ends, bodies)
SELECT seq, seq, bytes, x'', body FROM events;
DROP TABLE events;
)sql"},
    // A chunk's `bodies` may be stored packed: a BLOB holding a zstd frame of the JSON, where a
    // TEXT is the JSON itself (agent/store/chunk_codec.hpp). Nothing to change in the tables;
    // the version keeps a qsanfwd that cannot unpack from reading such a queue.
    migration{8, R"sql(
-- bodies: TEXT as before, or BLOB packed with zstd
)sql"},
    // What each log page queued, line by line, for a window behind the checkpoint: when the
    // array's clock is set back into seconds read whole (log_spans), they are opened again with
    // these counts as marks, so the lines already queued there are known one by one. `lines`
    // holds (timestamp, line_hash) pairs, 16 bytes each, little-endian. `recorded_since`: the
    // first second from which every queued line is in log_recent (null before this version).
    migration{9, R"sql(
CREATE TABLE log_recent (
  device TEXT NOT NULL,
  lo INTEGER NOT NULL,
  hi INTEGER NOT NULL,
  lines BLOB NOT NULL
);
CREATE INDEX log_recent_by_hi ON log_recent (device, hi);
ALTER TABLE log_checkpoints ADD COLUMN recorded_since INTEGER;
)sql"},
    // Ids of lines the array dropped (a logs_gap lowers `queued` to what it still holds): the
    // next identical line in that second gets the occurrence after them, never an id given.
    migration{10, R"sql(
ALTER TABLE log_marks ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
)sql"},
    // When each recent-lines row was written (our clock): a row is kept while its stamps are
    // within clock_step_window of the checkpoint or it was written within that window, so a
    // jump of the array's clock forward cannot drop the record of the lines read just before.
    migration{11, R"sql(
ALTER TABLE log_recent ADD COLUMN recorded_at INTEGER NOT NULL DEFAULT 0;
)sql"},
    // Events a sink's `match`/`exclude` passed over: its cursor moves past them unsent.
    migration{12, R"sql(
ALTER TABLE sink_cursors ADD COLUMN filtered INTEGER NOT NULL DEFAULT 0;
)sql"},
    // Why a sink last failed and since when it has been failing (NULL: its last attempt
    // delivered), so `qsanfwd status` can say it without the agent's log.
    migration{13, R"sql(
ALTER TABLE sink_cursors ADD COLUMN last_error TEXT;
ALTER TABLE sink_cursors ADD COLUMN last_error_at INTEGER;
ALTER TABLE sink_cursors ADD COLUMN failing_since INTEGER;
)sql"},
    // A range of an array's log read again for one sink (`qsanfwd replay --from`): its
    // progress, kept with the pages it queues, and which queued chunks are for that sink alone
    // (few, so a table of their own rather than a column every read of the queue would pass).
    // The replay's own reading position and marks are log_* rows under "<device>/replay-<id>",
    // a key no device name can take.
    migration{14, R"sql(
CREATE TABLE event_chunk_sinks (
  last_seq INTEGER PRIMARY KEY,
  sink TEXT NOT NULL
);
CREATE TABLE replays (
  id INTEGER PRIMARY KEY,
  device TEXT NOT NULL,
  sink TEXT NOT NULL,
  range_from INTEGER NOT NULL,
  range_to INTEGER NOT NULL,
  asked_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  queued INTEGER NOT NULL DEFAULT 0,
  reached INTEGER,
  finished_at INTEGER,
  last_error TEXT
);
)sql"},
    // Conditions raised and not cleared (a failed disk, an unreachable array), written with
    // the events that raise and clear them. A gap's alarm expires (nothing can clear it).
    migration{15, R"sql(
CREATE TABLE alarms (
  device TEXT NOT NULL,
  component TEXT NOT NULL,
  component_id TEXT NOT NULL,
  attribute TEXT NOT NULL,
  severity INTEGER NOT NULL,
  since INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  message TEXT NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (device, component, component_id, attribute)
) WITHOUT ROWID;
)sql"},
    // How many snapshots of each device were saved: a health event's id includes it, so that a
    // word flapping across restarts within one second does not get the same id twice.
    migration{16, R"sql(
ALTER TABLE health_polls ADD COLUMN saves INTEGER NOT NULL DEFAULT 0;
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

// ---- event queue -------------------------------------------------------------------------

// Plain (deferred) BEGIN: a read snapshot, so that a read made of several statements sees one
// state of the queue even while another connection writes.
inline constexpr std::string_view begin_read = "BEGIN";

inline constexpr std::string_view load_event_seqs =
    "SELECT handed_out, deleted_through FROM event_seqs WHERE id = 1";
inline constexpr std::string_view save_event_seqs =
    "INSERT INTO event_seqs (id, handed_out, deleted_through) VALUES (1, ?1, ?2) "
    "ON CONFLICT (id) DO UPDATE SET handed_out = excluded.handed_out, "
    "deleted_through = excluded.deleted_through";
inline constexpr std::string_view append_event_chunk =
    "INSERT INTO event_chunks (last_seq, first_seq, bytes, ends, bodies) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
// The chunks holding events after ?1, in order (the first may start at or before ?1), without
// their bodies, which the queue reads in place, only the parts it needs; and whether the bodies
// are packed (typeof() reads only the record's header, never the bodies themselves).
inline constexpr std::string_view read_event_chunk_sizes_after =
    "SELECT c.first_seq, c.last_seq, c.bytes, c.ends, typeof(c.bodies) = 'blob', s.sink "
    "FROM event_chunks c LEFT JOIN event_chunk_sinks s ON s.last_seq = c.last_seq "
    "WHERE c.last_seq > ?1 ORDER BY c.last_seq";
inline constexpr std::string_view mark_event_chunk_sink =
    "INSERT INTO event_chunk_sinks (last_seq, sink) VALUES (?1, ?2)";
inline constexpr std::string_view delete_event_chunk_sinks_through =
    "DELETE FROM event_chunk_sinks WHERE last_seq <= ?1";
// Every chunk ending after ?1 counted whole; the caller takes off the part of the first chunk
// at or before ?1.
inline constexpr std::string_view event_chunks_totals_after =
    "SELECT coalesce(sum(last_seq - first_seq + 1), 0), coalesce(sum(bytes), 0), "
    "coalesce(max(last_seq), 0) FROM event_chunks WHERE last_seq > ?1";
// How many events after ?1 the chunks ending in (?1, ?2] hold.
inline constexpr std::string_view count_events_in_chunks_through =
    "SELECT coalesce(sum(last_seq - max(first_seq - 1, ?1)), 0) FROM event_chunks "
    "WHERE last_seq > ?1 AND last_seq <= ?2";
inline constexpr std::string_view first_event_chunk_after =
    "SELECT first_seq FROM event_chunks WHERE last_seq > ?1 ORDER BY last_seq LIMIT 1";
inline constexpr std::string_view delete_event_chunks_through =
    "DELETE FROM event_chunks WHERE last_seq <= ?1";

// ---- sink cursors ------------------------------------------------------------------------

inline constexpr std::string_view load_sink_cursors =
    "SELECT sink, seq, delivered, retried, rejected, dropped, filtered, last_error, "
    "last_error_at, failing_since FROM sink_cursors ORDER BY sink";
inline constexpr std::string_view create_sink_cursor =
    "INSERT OR IGNORE INTO sink_cursors (sink, seq, updated_at) VALUES (?1, ?2, ?3)";
// The cursor never moves back, and counters only add up.
inline constexpr std::string_view advance_sink_cursor =
    "UPDATE sink_cursors SET seq = max(seq, ?2), delivered = delivered + ?3, "
    "retried = retried + ?4, rejected = rejected + ?5, dropped = dropped + ?6, updated_at = ?7, "
    "filtered = filtered + ?8 WHERE sink = ?1";
// ?4: the sink is failing (retrying); a failing stretch keeps the time it began.
inline constexpr std::string_view note_sink_error =
    "UPDATE sink_cursors SET last_error = ?2, last_error_at = ?3, failing_since = CASE WHEN ?4 "
    "THEN coalesce(failing_since, ?3) ELSE failing_since END WHERE sink = ?1";
inline constexpr std::string_view note_sink_recovered =
    "UPDATE sink_cursors SET failing_since = NULL WHERE sink = ?1";
// Back to ?2 only: a cursor never passes events it has not passed.
inline constexpr std::string_view rewind_sink_cursor =
    "UPDATE sink_cursors SET seq = ?2, updated_at = ?3 WHERE sink = ?1 AND seq > ?2";
inline constexpr std::string_view drop_sink_cursor = "DELETE FROM sink_cursors WHERE sink = ?1";

// ---- log poller --------------------------------------------------------------------------

inline constexpr std::string_view load_log_checkpoint =
    "SELECT start_time, floor, newest_first, cycle, recorded_since FROM log_checkpoints "
    "WHERE device = ?1";
inline constexpr std::string_view save_log_checkpoint =
    "INSERT INTO log_checkpoints (device, start_time, floor, newest_first, cycle, updated_at, "
    "recorded_since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (device) DO UPDATE SET "
    "start_time = excluded.start_time, floor = excluded.floor, "
    "newest_first = excluded.newest_first, cycle = excluded.cycle, "
    "updated_at = excluded.updated_at, recorded_since = excluded.recorded_since";
// `queued`: how many lines of this (second, type, message) were ever queued; it never goes down.
inline constexpr std::string_view save_log_mark =
    "INSERT INTO log_marks (device, timestamp, line_hash, queued, retired) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (device, timestamp, line_hash) DO UPDATE SET "
    "queued = max(queued, excluded.queued), retired = max(retired, excluded.retired)";
// After a gap: the array no longer holds some of the lines a mark counts.
inline constexpr std::string_view lower_log_mark =
    "UPDATE log_marks SET retired = retired + queued - ?4, queued = ?4 "
    "WHERE device = ?1 AND timestamp = ?2 AND line_hash = ?3 AND queued > ?4";
inline constexpr std::string_view load_log_marks_between =
    "SELECT timestamp, line_hash, queued, retired FROM log_marks "
    "WHERE device = ?1 AND timestamp BETWEEN ?2 AND ?3";
inline constexpr std::string_view forget_log_marks_between =
    "DELETE FROM log_marks WHERE device = ?1 AND timestamp BETWEEN ?2 AND ?3";
inline constexpr std::string_view prune_log_marks =
    "DELETE FROM log_marks WHERE device = ?1 AND timestamp < ?2";
inline constexpr std::string_view load_log_spans = "SELECT lo, hi FROM log_spans WHERE device = ?1";
inline constexpr std::string_view save_log_span =
    "INSERT INTO log_spans (device, cycle, lo, hi) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (device, cycle) DO UPDATE SET lo = excluded.lo, hi = excluded.hi";
inline constexpr std::string_view prune_log_spans =
    "DELETE FROM log_spans WHERE device = ?1 AND hi < ?2";
inline constexpr std::string_view save_log_recent =
    "INSERT INTO log_recent (device, lo, hi, lines, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr std::string_view load_log_recent_between =
    "SELECT lines FROM log_recent WHERE device = ?1 AND hi >= ?2 AND lo <= ?3";
inline constexpr std::string_view prune_log_recent =
    "DELETE FROM log_recent WHERE device = ?1 AND hi < ?2 AND recorded_at < ?3";
// Seconds from ?2 on are no longer read whole: spans end before them.
inline constexpr std::string_view drop_log_spans_from =
    "DELETE FROM log_spans WHERE device = ?1 AND lo >= ?2";
inline constexpr std::string_view cut_log_spans_at =
    "UPDATE log_spans SET hi = ?2 - 1 WHERE device = ?1 AND hi >= ?2";
inline constexpr std::string_view count_log_marks =
    "SELECT count(*) FROM log_marks WHERE device = ?1";

// ---- health monitor ----------------------------------------------------------------------

inline constexpr std::string_view load_health_poll =
    "SELECT saves FROM health_polls WHERE device = ?1";
inline constexpr std::string_view save_health_poll =
    "INSERT INTO health_polls (device, polled_at, saves) VALUES (?1, ?2, 1) "
    "ON CONFLICT (device) DO UPDATE SET polled_at = excluded.polled_at, saves = saves + 1";
inline constexpr std::string_view load_health_readings =
    "SELECT component, component_id, attribute, state FROM health_readings WHERE device = ?1";
inline constexpr std::string_view clear_health_readings =
    "DELETE FROM health_readings WHERE device = ?1";
inline constexpr std::string_view insert_health_reading =
    "INSERT INTO health_readings (device, component, component_id, attribute, state) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";

// ---- device activity -------------------------------------------------------------------

inline constexpr std::string_view record_activity_success =
    "INSERT INTO device_activity (device, activity, last_success_at, failures) "
    "VALUES (?1, ?2, ?3, 0) ON CONFLICT (device, activity) DO UPDATE SET "
    "last_success_at = excluded.last_success_at, failures = 0";
inline constexpr std::string_view record_activity_failure =
    "INSERT INTO device_activity (device, activity, last_failure_at, last_error, failures) "
    "VALUES (?1, ?2, ?3, ?4, 1) ON CONFLICT (device, activity) DO UPDATE SET "
    "last_failure_at = excluded.last_failure_at, last_error = excluded.last_error, "
    "failures = failures + 1";
inline constexpr std::string_view record_activity_count =
    "INSERT INTO device_activity (device, activity, last_failure_at, last_error, failures) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (device, activity) DO UPDATE SET "
    "last_failure_at = excluded.last_failure_at, last_error = excluded.last_error, "
    "failures = failures + excluded.failures";
inline constexpr std::string_view load_activity =
    "SELECT device, activity, last_success_at, last_failure_at, last_error, failures "
    "FROM device_activity ORDER BY device, activity";
inline constexpr std::string_view load_all_checkpoints =
    "SELECT device, start_time, updated_at FROM log_checkpoints WHERE instr(device, '/') = 0 "
    "ORDER BY device";

// ---- replays -----------------------------------------------------------------------------

inline constexpr std::string_view add_replay =
    "INSERT INTO replays (device, sink, range_from, range_to, asked_at, state) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 'running')";
inline constexpr std::string_view load_replays =
    "SELECT id, device, sink, range_from, range_to, asked_at, state, queued, reached, "
    "finished_at, last_error FROM replays ORDER BY id";
inline constexpr std::string_view count_replay_page =
    "UPDATE replays SET queued = queued + ?2, reached = max(coalesce(reached, 0), ?3) "
    "WHERE id = ?1";
inline constexpr std::string_view replay_queued = "SELECT queued FROM replays WHERE id = ?1";
inline constexpr std::string_view note_replay_error =
    "UPDATE replays SET last_error = ?2 WHERE id = ?1";
inline constexpr std::string_view end_replay =
    "UPDATE replays SET state = ?2, finished_at = ?3, last_error = ?4 WHERE id = ?1";
// Finished replays beyond the newest 100 are forgotten.
inline constexpr std::string_view forget_old_replays =
    "DELETE FROM replays WHERE state <> 'running' AND id NOT IN "
    "(SELECT id FROM replays ORDER BY id DESC LIMIT 100)";
inline constexpr std::string_view forget_log_checkpoint =
    "DELETE FROM log_checkpoints WHERE device = ?1";
inline constexpr std::string_view forget_log_marks =
    "DELETE FROM log_marks WHERE device = ?1";
inline constexpr std::string_view forget_log_spans =
    "DELETE FROM log_spans WHERE device = ?1";
inline constexpr std::string_view forget_log_recent =
    "DELETE FROM log_recent WHERE device = ?1";

// ---- alarms ------------------------------------------------------------------------------

// A raise keeps `since` of an alarm already open: a degraded disk that fails has been in
// trouble since it degraded.
inline constexpr std::string_view raise_alarm =
    "INSERT INTO alarms (device, component, component_id, attribute, severity, since, "
    "updated_at, event_id, message, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (device, component, component_id, attribute) DO UPDATE SET "
    "severity = excluded.severity, updated_at = excluded.updated_at, "
    "event_id = excluded.event_id, message = excluded.message, expires_at = excluded.expires_at";
inline constexpr std::string_view clear_alarm =
    "DELETE FROM alarms WHERE device = ?1 AND component = ?2 AND component_id = ?3 AND "
    "attribute = ?4";
inline constexpr std::string_view load_alarms =
    "SELECT device, component, component_id, attribute, severity, since, updated_at, event_id, "
    "message FROM alarms WHERE expires_at IS NULL OR expires_at > ?1";
inline constexpr std::string_view find_alarm =
    "SELECT 1 FROM alarms WHERE device = ?1 AND component = ?2 AND component_id = ?3 AND "
    "attribute = ?4 AND (expires_at IS NULL OR expires_at > ?5)";
inline constexpr std::string_view load_failing_sinks =
    "SELECT sink, failing_since, last_error_at, last_error FROM sink_cursors "
    "WHERE failing_since IS NOT NULL";
inline constexpr std::string_view alarm_devices = "SELECT DISTINCT device FROM alarms";
inline constexpr std::string_view load_device_alarm_keys =
    "SELECT component, component_id, attribute FROM alarms WHERE device = ?1";
inline constexpr std::string_view forget_device_alarms = "DELETE FROM alarms WHERE device = ?1";

}  // namespace qsanfwd::sql

#include "agent/store/state_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/store/sql.hpp"
#include "agent/store/sqlite.hpp"
#include "tests/support/capture_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace qsanfwd {

// Failure messages show the mask, never the token.
void PrintTo(const secret&, std::ostream* out) {
  *out << secret::mask;
}

namespace {

using ::testing::HasSubstr;

/// The message of the store_error that `action` throws, or "" if it throws none.
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const store_error& e) {
    return e.what();
  }
  return "";
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

std::int64_t user_version(const std::filesystem::path& file) {
  sqlite::database db(file, sqlite::database::access::read_only);
  auto query = db.prepare("PRAGMA user_version");
  EXPECT_TRUE(query.step());
  return query.column_int64(0);
}

void set_user_version(const std::filesystem::path& file, int version) {
  sqlite::database(file, sqlite::database::access::read_write)
      .exec("PRAGMA user_version = " + std::to_string(version));
}

/// A child process that opens the store in `dir` and holds it until stop() or destruction.
class store_in_child {
 public:
  explicit store_in_child(const std::filesystem::path& dir) {
    int ready[2];
    int stop[2];
    EXPECT_EQ(::pipe(ready), 0);
    EXPECT_EQ(::pipe(stop), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(stop[1]);
      run_child(dir, ready[1], stop[0]);
    }
    ::close(ready[1]);
    ::close(stop[0]);
    stop_fd_ = stop[1];
    pollfd wait_ready{ready[0], POLLIN, 0};
    char answer = 'n';
    opened_ =
        ::poll(&wait_ready, 1, 10000) == 1 && ::read(ready[0], &answer, 1) == 1 && answer == 'y';
    ::close(ready[0]);
  }
  ~store_in_child() { stop(); }
  store_in_child(const store_in_child&) = delete;
  store_in_child& operator=(const store_in_child&) = delete;

  bool opened() const { return opened_; }
  pid_t pid() const { return pid_; }

  /// Lets the child close the store and exit, and waits until it has.
  void stop() {
    if (stop_fd_ >= 0) {
      ::close(stop_fd_);
      stop_fd_ = -1;
      int status = 0;
      EXPECT_EQ(::waitpid(pid_, &status, 0), pid_);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
  }

 private:
  [[noreturn]] static void run_child(const std::filesystem::path& dir, int ready_fd, int stop_fd) {
    try {
      auto store = state_store::open(dir);
      char answer = 'y';
      if (::write(ready_fd, &answer, 1) != 1) {
        ::_exit(2);
      }
      // Blocks until the parent closes its end.
      while (::read(stop_fd, &answer, 1) > 0) {
      }
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }

  pid_t pid_ = -1;
  int stop_fd_ = -1;
  bool opened_ = false;
};

class state_store_test : public ::testing::Test {
 protected:
  test::temp_dir tmp_;
  std::filesystem::path dir_ = tmp_ / "state";
  std::filesystem::path db_file_ = dir_ / "state.db";
};

TEST_F(state_store_test, new_directory_is_migrated_to_latest) {
  auto store = state_store::open(dir_);
  EXPECT_EQ(store->schema_version(), state_store::latest_schema_version);
  EXPECT_FALSE(store->read_only());
  EXPECT_EQ(store->file(), db_file_);

  auto& tables = store->database().cached(
      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
      "ORDER BY name)");
  ASSERT_TRUE(tables.step());
  EXPECT_EQ(tables.column_text(0),
            "alarms,device_activity,devices,event_chunk_sinks,event_chunks,event_seqs,health_polls,"
            "health_readings,log_checkpoints,log_marks,log_recent,log_spans,meta,replays,"
            "sink_cursors,sqlite_sequence");
  tables.reset();

  auto& mode = store->database().cached("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  mode.reset();

  EXPECT_EQ(user_version(db_file_), state_store::latest_schema_version);
  EXPECT_TRUE(store->meta("created_at").has_value());
  EXPECT_THAT(store->meta("created_by").value_or(""), HasSubstr("qsanfwd "));
  EXPECT_FALSE(store->meta("no such key").has_value());
}

// Lines of the store at info or above, as a start prints them.
std::vector<std::string> store_lines(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find("[store]") != std::string::npos && line.find("[debug]") == std::string::npos) {
      lines.push_back(line);
    }
  }
  return lines;
}

TEST_F(state_store_test, a_start_says_one_line_of_the_store) {
  {
    test::capture_log log;
    state_store::open(dir_);
    const auto lines = store_lines(log.text());
    ASSERT_EQ(lines.size(), 1U) << log.text();
    EXPECT_THAT(lines[0], HasSubstr("created state store at " + db_file_.string() + " (schema " +
                                    std::to_string(state_store::latest_schema_version) + ")"));
  }
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  {
    sqlite::database db(db_file_, sqlite::database::access::read_write);
    // In the current layout: a rewrite would be a line of its own.
    db.exec(sql::new_page_size);
    db.exec(sql::incremental_auto_vacuum);
    for (const auto& m : sql::migrations) {
      if (m.version <= state_store::latest_schema_version - 2) {
        db.exec(m.sql);
      }
    }
  }
  set_user_version(db_file_, state_store::latest_schema_version - 2);
  std::filesystem::permissions(db_file_, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write);
  {
    test::capture_log log;
    state_store::open(dir_);
    const auto lines = store_lines(log.text());
    ASSERT_EQ(lines.size(), 1U) << log.text();
    EXPECT_THAT(lines[0],
                HasSubstr("upgraded state store " + db_file_.string() + " from schema " +
                          std::to_string(state_store::latest_schema_version - 2) + " to " +
                          std::to_string(state_store::latest_schema_version)));
  }
}

TEST_F(state_store_test, reopening_is_idempotent) {
  std::string created_at;
  {
    auto store = state_store::open(dir_);
    created_at = store->meta("created_at").value_or("");
    store->save_refresh_token("array-01", secret("token-1"));
  }
  auto store = state_store::open(dir_);
  EXPECT_EQ(store->schema_version(), state_store::latest_schema_version);
  EXPECT_EQ(store->meta("created_at"), created_at);
  EXPECT_EQ(store->load_refresh_token("array-01"), secret("token-1"));
}

TEST_F(state_store_test, newer_schema_is_refused_and_left_untouched) {
  state_store::open(dir_).reset();
  const int newer = state_store::latest_schema_version + 1;
  set_user_version(db_file_, newer);
  const std::string before = test::read_file(db_file_);

  const std::string expected =
      "state database " + db_file_.string() + " has schema version " + std::to_string(newer) +
      ", newer than this qsanfwd supports (" + std::to_string(state_store::latest_schema_version) +
      "); refusing to downgrade it: use a newer qsanfwd or another state_dir";
  EXPECT_EQ(error_of([&] { state_store::open(dir_); }), expected);
  EXPECT_EQ(error_of([&] { state_store::open_read_only(dir_); }), expected);
  EXPECT_EQ(test::read_file(db_file_), before);
  EXPECT_EQ(user_version(db_file_), newer);
}

TEST_F(state_store_test, second_process_is_refused_until_the_first_exits) {
  store_in_child child(dir_);
  ASSERT_TRUE(child.opened());

  const std::string error = error_of([&] { state_store::open(dir_); });
  EXPECT_THAT(error,
              HasSubstr("state directory " + dir_.string() + " is in use by another qsanfwd (pid " +
                        std::to_string(child.pid()) + ")"));

  child.stop();
  auto store = state_store::open(dir_);
  EXPECT_EQ(store->schema_version(), state_store::latest_schema_version);
}

TEST_F(state_store_test, second_open_in_the_same_process_is_refused) {
  auto first = state_store::open(dir_);
  EXPECT_THAT(error_of([&] { state_store::open(dir_); }), HasSubstr("is in use by another"));
}

TEST_F(state_store_test, garbage_file_is_reported_and_kept) {
  std::filesystem::create_directory(dir_);
  const std::string garbage(1000, 'x');
  test::write_file(db_file_, garbage);

  const std::string error = error_of([&] { state_store::open(dir_); });
  EXPECT_THAT(error, HasSubstr("state database " + db_file_.string() +
                               " is not a SQLite database or is corrupt"));
  EXPECT_THAT(error, HasSubstr("file is not a database"));
  EXPECT_THAT(error_of([&] { state_store::open_read_only(dir_); }),
              HasSubstr(db_file_.string() + " is not a SQLite database or is corrupt"));
  EXPECT_EQ(test::read_file(db_file_), garbage);
}

TEST_F(state_store_test, damaged_database_is_reported_and_kept) {
  state_store::open(dir_).reset();
  std::string content = test::read_file(db_file_);
  ASSERT_GT(content.size(), 4096U);
  // Keep the 100-byte file header valid, wreck the rest of page 1 (the schema table).
  std::fill(content.begin() + 100, content.begin() + 4096, '\xa5');
  test::write_file(db_file_, content);

  EXPECT_THAT(error_of([&] { state_store::open(dir_); }),
              HasSubstr(db_file_.string() + " is not a SQLite database or is corrupt"));
  EXPECT_EQ(test::read_file(db_file_), content);
}

TEST_F(state_store_test, created_files_are_private) {
  auto store = state_store::open(dir_);
  store->save_refresh_token("array-01", secret("token"));
  EXPECT_EQ(mode_of(dir_), 0700U);
  EXPECT_EQ(mode_of(db_file_), 0600U);
  EXPECT_EQ(mode_of(dir_ / "state.db-wal"), 0600U);
  EXPECT_EQ(mode_of(dir_ / "state.db-shm"), 0600U);
  EXPECT_EQ(mode_of(dir_ / "qsanfwd.lock"), 0600U);
}

TEST_F(state_store_test, missing_parents_are_made_and_a_trailing_slash_is_the_same_directory) {
  const auto dir = tmp_ / "a" / "b" / "state" / "";
  auto store = state_store::open(dir);
  EXPECT_EQ(mode_of(tmp_ / "a" / "b" / "state"), 0700U);
}

TEST_F(state_store_test, existing_directory_keeps_its_mode) {
  std::filesystem::create_directory(dir_);
  ASSERT_EQ(::chmod(dir_.c_str(), 0750), 0);
  auto store = state_store::open(dir_);
  EXPECT_EQ(mode_of(dir_), 0750U);
  EXPECT_EQ(mode_of(db_file_), 0600U);
}

TEST_F(state_store_test, state_dir_that_is_a_file_is_an_error) {
  test::write_file(dir_, "not a directory");
  EXPECT_THAT(error_of([&] { state_store::open(dir_); }),
              HasSubstr(dir_.string() + " exists but is not a directory"));
}

TEST_F(state_store_test, refresh_token_save_load_forget) {
  auto store = state_store::open(dir_);
  EXPECT_FALSE(store->load_refresh_token("array-01").has_value());

  store->save_refresh_token("array-01", secret("first"));
  store->save_refresh_token("array-02", secret("other"));
  store->save_refresh_token("array-01", secret("second"));
  EXPECT_EQ(store->load_refresh_token("array-01"), secret("second"));
  EXPECT_EQ(store->load_refresh_token("array-02"), secret("other"));

  store->forget_refresh_token("array-01");
  store->forget_refresh_token("never-seen");
  EXPECT_FALSE(store->load_refresh_token("array-01").has_value());
  EXPECT_EQ(store->load_refresh_token("array-02"), secret("other"));
}

TEST_F(state_store_test, a_new_database_has_16_kib_pages) {
  auto store = state_store::open(dir_);
  auto query = store->database().prepare("PRAGMA page_size");
  ASSERT_TRUE(query.step());
  EXPECT_EQ(query.column_int64(0), 16384);
}

std::int64_t pragma_of(const std::filesystem::path& file, const std::string& name) {
  sqlite::database db(file, sqlite::database::access::read_only);
  auto query = db.prepare("PRAGMA " + name);
  EXPECT_TRUE(query.step());
  return query.column_int64(0);
}

/// Gives the database in `file` the layout an older qsanfwd made: 4 KiB pages, no auto-vacuum.
void make_old_layout(const std::filesystem::path& file) {
  sqlite::database db(file, sqlite::database::access::read_write);
  db.exec("PRAGMA journal_mode = DELETE");
  db.exec("PRAGMA page_size = 4096");
  db.exec("PRAGMA auto_vacuum = NONE");
  db.exec("VACUUM");
  db.exec("PRAGMA journal_mode = WAL");
}

TEST_F(state_store_test, a_new_database_gives_free_pages_back) {
  state_store::open(dir_);
  EXPECT_EQ(pragma_of(db_file_, "auto_vacuum"), 2);  // incremental
}

TEST_F(state_store_test, an_old_database_is_rewritten_in_the_new_layout_and_keeps_its_rows) {
  state_store::open(dir_)->save_refresh_token("array-01", secret("kept"));
  make_old_layout(db_file_);
  ASSERT_EQ(pragma_of(db_file_, "page_size"), 4096);
  ASSERT_EQ(pragma_of(db_file_, "auto_vacuum"), 0);
  {
    auto store = state_store::open(dir_);
    EXPECT_EQ(store->load_refresh_token("array-01"), secret("kept"));
    auto journal = store->database().prepare("PRAGMA journal_mode");
    ASSERT_TRUE(journal.step());
    EXPECT_EQ(journal.column_text(0), "wal");
  }
  EXPECT_EQ(pragma_of(db_file_, "page_size"), 16384);
  EXPECT_EQ(pragma_of(db_file_, "auto_vacuum"), 2);
  EXPECT_EQ(user_version(db_file_), state_store::latest_schema_version);
}

// Copying a big database would hold up the start and need as much free disk: it waits for a
// start at which the queue holds less.
TEST_F(state_store_test, an_old_database_holding_much_keeps_its_layout) {
  {
    auto store = state_store::open(dir_);
    store->database().exec("CREATE TABLE scratch (v BLOB)");
    auto t = store->begin();
    const std::string blob(1 << 20, 'x');
    for (int i = 0; i < 70; ++i) {
      auto& insert = store->database().cached("INSERT INTO scratch VALUES (?1)");
      insert.bind_text_in_place(1, blob);
      insert.run();
    }
    t.commit();
  }
  make_old_layout(db_file_);
  state_store::open(dir_)->save_refresh_token("array-01", secret("kept"));
  EXPECT_EQ(pragma_of(db_file_, "page_size"), 4096);
  EXPECT_EQ(pragma_of(db_file_, "auto_vacuum"), 0);
  EXPECT_EQ(state_store::open(dir_)->load_refresh_token("array-01"), secret("kept"));
}

TEST_F(state_store_test, a_commit_syncs_the_wal_unless_deferred) {
  auto store = state_store::open(dir_);
  const auto before = store->database().wal_syncs();
  store->save_refresh_token("array-01", secret("kept"));
  EXPECT_EQ(store->database().wal_syncs(), before + 1);
  {
    auto t = store->begin();
    store->database().exec("CREATE TABLE scratch (v INTEGER)");
    t.commit(sqlite::durability::deferred);
  }
  EXPECT_EQ(store->database().wal_syncs(), before + 1);
  // Committed all the same: another connection sees it.
  auto other = store->another_connection();
  EXPECT_NO_THROW(other->database().exec("INSERT INTO scratch VALUES (1)"));
}

TEST_F(state_store_test, checkpoints_follow_wal_growth_when_the_wal_cannot_start_over) {
  auto store = state_store::open(dir_);
  auto delivery = store->another_connection();  // checkpoints every 4 MiB of WAL
  store->database().exec("CREATE TABLE scratch (v BLOB)");
  // A reader that stays on one snapshot: no checkpoint can finish, so the WAL never starts
  // over and keeps growing, as it does while collection and delivery both run flat out.
  auto reader = state_store::open_read_only(dir_);
  reader->database().exec("BEGIN");
  reader->database().exec("SELECT count(*) FROM scratch");

  const std::string blob(64 * 1024, 'x');
  constexpr int commits = 200;  // 12.5 MiB of rows: three times the 4 MiB
  for (int i = 0; i < commits; ++i) {
    auto t = delivery->begin();
    auto& insert = delivery->database().cached("INSERT INTO scratch VALUES (?1)");
    insert.bind_text_in_place(1, blob);
    insert.run();
    t.commit(sqlite::durability::deferred);
  }
  // One per 4 MiB written (each commit writes its pointer-map page too), not one per commit
  // once the WAL first held 4 MiB.
  EXPECT_GE(delivery->database().checkpoints(), 2);
  EXPECT_LE(delivery->database().checkpoints(), 6);
  reader->database().exec("COMMIT");
}

TEST_F(state_store_test, refresh_token_survives_reopening) {
  state_store::open(dir_)->save_refresh_token("array-01", secret("kept"));
  EXPECT_EQ(state_store::open(dir_)->load_refresh_token("array-01"), secret("kept"));
  EXPECT_EQ(state_store::open_read_only(dir_)->load_refresh_token("array-01"), secret("kept"));
}

TEST_F(state_store_test, reader_works_while_the_agent_runs) {
  auto writer = state_store::open(dir_);
  writer->save_refresh_token("array-01", secret("first"));

  auto reader = state_store::open_read_only(dir_);
  EXPECT_TRUE(reader->read_only());
  EXPECT_EQ(reader->schema_version(), state_store::latest_schema_version);
  EXPECT_EQ(reader->load_refresh_token("array-01"), secret("first"));

  // Each read sees what was committed before it.
  writer->save_refresh_token("array-01", secret("second"));
  EXPECT_EQ(reader->load_refresh_token("array-01"), secret("second"));

  // An uncommitted write stays invisible, and the reader does not block the writer.
  {
    auto t = writer->begin();
    writer->save_refresh_token("array-01", secret("third"));
    EXPECT_EQ(reader->load_refresh_token("array-01"), secret("second"));
    t.commit();
  }
  EXPECT_EQ(reader->load_refresh_token("array-01"), secret("third"));
}

TEST_F(state_store_test, reader_never_writes) {
  state_store::open(dir_).reset();
  auto reader = state_store::open_read_only(dir_);
  const std::string error =
      error_of([&] { reader->save_refresh_token("array-01", secret("must-not-leak")); });
  EXPECT_THAT(error, HasSubstr(db_file_.string()));
  EXPECT_THAT(error, ::testing::Not(HasSubstr("must-not-leak")));
  EXPECT_FALSE(reader->load_refresh_token("array-01").has_value());
}

TEST_F(state_store_test, reader_needs_an_existing_database_of_the_current_schema) {
  EXPECT_THAT(error_of([&] { state_store::open_read_only(dir_); }),
              HasSubstr("no state database at " + db_file_.string()));
  EXPECT_FALSE(std::filesystem::exists(dir_));

  std::filesystem::create_directory(dir_);
  set_user_version(db_file_, 0);
  EXPECT_THAT(error_of([&] { state_store::open_read_only(dir_); }),
              HasSubstr("has schema version 0, older than this qsanfwd reads"));
  EXPECT_EQ(user_version(db_file_), 0);
}

TEST_F(state_store_test, transaction_rolls_back_on_exception) {
  auto store = state_store::open(dir_);
  EXPECT_THROW(
      {
        auto t = store->begin();
        store->save_refresh_token("array-01", secret("lost"));
        throw std::runtime_error("interrupted");
      },
      std::runtime_error);
  EXPECT_FALSE(store->load_refresh_token("array-01").has_value());

  {
    auto t = store->begin();
    store->save_refresh_token("array-01", secret("kept"));
    t.commit();
  }
  EXPECT_EQ(store->load_refresh_token("array-01"), secret("kept"));
}

}  // namespace
}  // namespace qsanfwd

#include "agent/store/sqlite.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace qsanfwd::sqlite {
namespace {

class sqlite_test : public ::testing::Test {
 protected:
  test::temp_dir dir_;
  database db_{dir_ / "test.db", database::access::read_write};

  std::int64_t count_rows() {
    auto& count = db_.cached("SELECT count(*) FROM t");
    EXPECT_TRUE(count.step());
    const auto n = count.column_int64(0);
    count.reset();
    return n;
  }
};

TEST_F(sqlite_test, binds_and_reads_every_type) {
  db_.exec("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)");
  auto insert = db_.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)");
  const std::array blob{std::byte{0}, std::byte{0xff}, std::byte{7}};
  insert.bind_int64(1, -9007199254740993);
  insert.bind_double(2, 2.5);
  insert.bind_text(3, std::string("with\0nul", 8));
  insert.bind_blob(4, blob);
  insert.bind_null(5);
  insert.run();
  EXPECT_EQ(db_.changes(), 1);

  auto select = db_.prepare("SELECT i, d, s, b, n FROM t");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int64(0), -9007199254740993);
  EXPECT_DOUBLE_EQ(select.column_double(1), 2.5);
  EXPECT_EQ(select.column_text(2), std::string("with\0nul", 8));
  EXPECT_EQ(select.column_blob(3), std::vector<std::byte>(blob.begin(), blob.end()));
  EXPECT_TRUE(select.column_is_null(4));
  EXPECT_FALSE(select.column_is_null(0));
  EXPECT_FALSE(select.step());
}

TEST_F(sqlite_test, cached_statement_is_prepared_once_and_comes_back_reset) {
  db_.exec("CREATE TABLE t (v INTEGER)");
  auto& first = db_.cached("INSERT INTO t VALUES (?1)");
  first.bind_int64(1, 1);
  first.run();
  auto& second = db_.cached("INSERT INTO t VALUES (?1)");
  EXPECT_EQ(&first, &second);
  // Parameters were cleared: an unbound parameter is NULL.
  second.run();
  auto select = db_.prepare("SELECT count(*), count(v) FROM t");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int64(0), 2);
  EXPECT_EQ(select.column_int64(1), 1);
}

TEST_F(sqlite_test, transaction_commits) {
  db_.exec("CREATE TABLE t (v INTEGER)");
  {
    transaction t(db_);
    EXPECT_TRUE(db_.in_transaction());
    db_.exec("INSERT INTO t VALUES (1)");
    t.commit();
  }
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count_rows(), 1);
}

TEST_F(sqlite_test, transaction_rolls_back_when_an_exception_leaves_it) {
  db_.exec("CREATE TABLE t (v INTEGER)");
  EXPECT_THROW(
      {
        transaction t(db_);
        db_.exec("INSERT INTO t VALUES (1)");
        throw std::runtime_error("interrupted");
      },
      std::runtime_error);
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count_rows(), 0);
}

TEST_F(sqlite_test, transactions_do_not_nest) {
  transaction outer(db_);
  EXPECT_THROW(transaction inner(db_), store_error);
}

TEST_F(sqlite_test, error_names_the_file_and_keeps_the_code) {
  db_.exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
  db_.exec("INSERT INTO t VALUES (1)");
  auto& insert = db_.cached("INSERT INTO t VALUES (?1)");
  insert.bind_int64(1, 1);
  try {
    insert.run();
    FAIL() << "duplicate key accepted";
  } catch (const store_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "test.db").string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("UNIQUE constraint failed"), std::string::npos);
    EXPECT_EQ(e.code() & 0xff, 19);  // SQLITE_CONSTRAINT
    EXPECT_FALSE(e.is_disk_full());
    EXPECT_FALSE(e.is_busy());
  }
  // The statement that failed can be used again.
  auto& again = db_.cached("INSERT INTO t VALUES (?1)");
  again.bind_int64(1, 2);
  again.run();
  EXPECT_EQ(count_rows(), 2);
}

TEST_F(sqlite_test, full_disk_is_recognisable) {
  db_.exec("CREATE TABLE t (b BLOB)");
  db_.exec("PRAGMA max_page_count = 16");
  const std::vector<std::byte> chunk(4096);
  auto& insert = db_.cached("INSERT INTO t VALUES (?1)");
  bool full = false;
  for (int i = 0; i < 100 && !full; ++i) {
    try {
      insert.reset();
      insert.bind_blob(1, chunk);
      insert.run();
    } catch (const store_error& e) {
      EXPECT_TRUE(e.is_disk_full()) << e.what();
      EXPECT_EQ(e.file(), dir_ / "test.db");
      full = true;
    }
  }
  EXPECT_TRUE(full);
}

TEST(sqlite, read_only_connection_cannot_write) {
  test::temp_dir dir;
  database(dir / "ro.db", database::access::read_write).exec("CREATE TABLE t (v INTEGER)");
  database reader(dir / "ro.db", database::access::read_only);
  try {
    reader.exec("INSERT INTO t VALUES (1)");
    FAIL() << "a read-only connection wrote";
  } catch (const store_error& e) {
    EXPECT_EQ(e.code() & 0xff, 8);  // SQLITE_READONLY
  }
}

TEST(sqlite, read_only_open_of_a_missing_file_fails) {
  test::temp_dir dir;
  EXPECT_THROW(database(dir / "missing.db", database::access::read_only), store_error);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}

}  // namespace
}  // namespace qsanfwd::sqlite

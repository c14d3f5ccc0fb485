// SqliteRowFeed: a batch of C++ rows read by one SQL statement through the eponymous table.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "store/sqlite_row_feed.h"

using namespace iotwatch;

namespace {

/// A connection with the feed attached (a file, so that a second connection can look at it).
struct FeedDb {
    std::string path = "/tmp/iotwatch-row-feed-" + std::to_string(getpid()) + ".db";
    sqlite3* db = nullptr;
    SqliteRowFeed feed;
    FeedDb() {
        std::remove(path.c_str());
        EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        EXPECT_TRUE(feed.attach(db));
    }
    ~FeedDb() {
        sqlite3_close(db);
        std::remove(path.c_str());
    }
    void exec(const char* sql) { ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db); }
    sqlite3_stmt* prepare(const char* sql) {
        sqlite3_stmt* s = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        return s;
    }
    int64_t count(const char* sql) {
        sqlite3_stmt* s = prepare(sql);
        EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
        const int64_t n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return n;
    }
};

}  // namespace

TEST(SqliteRowFeed, OneStatementReadsEveryRowInOrderWithItsTypes) {
    FeedDb f;
    f.exec("CREATE TABLE t (k INTEGER, name TEXT, score REAL, none)");
    std::vector<std::string> names;
    for (int i = 0; i < 1000; ++i) names.push_back("host-" + std::to_string(999 - i));
    sqlite3_stmt* ins = f.prepare("INSERT INTO t SELECT c0, c1, c2, c3 FROM iotwatch_row_feed");
    const int rc = f.feed.run(ins, names.size(), [&](size_t row, int col, SqliteRowFeed::Cell& cell) {
        if (col == 0) cell.set(int64_t(row) * 1000000007);  // beyond 32 bits
        if (col == 1) cell.set(std::string_view(names[row]));
        if (col == 2) cell.set_real(row / 4.0);
        // c3: nothing set, NULL
    });
    EXPECT_EQ(rc, SQLITE_DONE);
    sqlite3_finalize(ins);

    sqlite3_stmt* q = f.prepare("SELECT k, name, score, typeof(none), typeof(k), typeof(name), typeof(score) FROM t ORDER BY rowid");
    size_t row = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        ASSERT_LT(row, names.size());
        EXPECT_EQ(sqlite3_column_int64(q, 0), int64_t(row) * 1000000007);
        EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 1)), names[row]);
        EXPECT_EQ(sqlite3_column_double(q, 2), row / 4.0);
        EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 3)), "null");
        EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 4)), "integer");
        EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 5)), "text");
        EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 6)), "real");
        ++row;
    }
    sqlite3_finalize(q);
    EXPECT_EQ(row, names.size());
}

TEST(SqliteRowFeed, TheTableIsEmptyOutsideARunAndUnknownToOtherConnections) {
    FeedDb f;
    EXPECT_EQ(f.count("SELECT count(*) FROM iotwatch_row_feed"), 0);
    f.exec("CREATE TABLE t (k INTEGER)");
    sqlite3_stmt* ins = f.prepare("INSERT INTO t SELECT c0 FROM iotwatch_row_feed");
    EXPECT_EQ(f.feed.run(ins, 0, [](size_t, int, SqliteRowFeed::Cell&) { ADD_FAILURE() << "no rows to read"; }), SQLITE_DONE);
    EXPECT_EQ(f.feed.run(ins, 3, [](size_t row, int, SqliteRowFeed::Cell& cell) { cell.set(int64_t(row)); }), SQLITE_DONE);
    sqlite3_finalize(ins);
    EXPECT_EQ(f.count("SELECT count(*) FROM t"), 3);
    EXPECT_EQ(f.count("SELECT count(*) FROM iotwatch_row_feed"), 0);  // the run's rows are gone with it

    // Nothing in the schema: another connection (the sqlite3 shell, an older iotwatch) sees no table.
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(f.path.c_str(), &other), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    EXPECT_NE(sqlite3_prepare_v2(other, "SELECT * FROM iotwatch_row_feed", -1, &s, nullptr), SQLITE_OK);
    EXPECT_NE(std::string(sqlite3_errmsg(other)).find("no such table"), std::string::npos) << sqlite3_errmsg(other);
    sqlite3_finalize(s);
    EXPECT_EQ(f.count("SELECT count(*) FROM sqlite_schema WHERE name LIKE '%feed%'"), 0);
    sqlite3_close(other);
}

TEST(SqliteRowFeed, AFailedRunReportsSqlitesMessageAndUndoesOnlyItsOwnRows) {
    FeedDb f;
    f.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    f.exec("INSERT INTO t VALUES (1, 'kept')");
    sqlite3_stmt* ins = f.prepare("INSERT INTO t SELECT c0, c1 FROM iotwatch_row_feed");
    // Rows 10..19, then 1 again: the last one violates the key after ten were inserted.
    const int rc = f.feed.run(ins, 11, [](size_t row, int col, SqliteRowFeed::Cell& cell) {
        if (col == 0) cell.set(row < 10 ? int64_t(10 + row) : 1);
        if (col == 1) cell.set(std::string_view("new"));
    });
    EXPECT_EQ(rc, SQLITE_CONSTRAINT);
    EXPECT_NE(f.feed.error().find("UNIQUE constraint failed: t.k"), std::string::npos) << f.feed.error();
    // The statement is atomic: its ten rows are undone, the earlier row stays; the statement is reset
    // and runs again.
    EXPECT_EQ(f.count("SELECT count(*) FROM t"), 1);
    EXPECT_EQ(f.feed.run(ins, 2, [](size_t row, int col, SqliteRowFeed::Cell& cell) {
        if (col == 0) cell.set(int64_t(20 + row));
        if (col == 1) cell.set(std::string_view("again"));
    }), SQLITE_DONE);
    sqlite3_finalize(ins);
    EXPECT_EQ(f.count("SELECT count(*) FROM t"), 3);
}

// SqliteWritebackVfs: a database written through it is the database SQLite would have written,
// and its writes are handed to the kernel's write-back as they go.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "store/sqlite_writeback_vfs.h"

using namespace iotwatch;

namespace {

struct TempDb {
    std::string path = "/tmp/iotwatch-writeback-vfs-" + std::to_string(getpid()) + ".db";
    TempDb() { remove_all(); }
    ~TempDb() { remove_all(); }
    void remove_all() const {
        for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    }
};

sqlite3* open(const std::string& path, const char* vfs, int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, flags, vfs), SQLITE_OK) << sqlite3_errmsg(db);
    return db;
}
void exec(sqlite3* db, const std::string& sql) {
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
}

/// Row i's blob: `bytes` pseudo-random bytes from i (no two rows alike, nothing compressible).
std::vector<unsigned char> blob(int i, size_t bytes) {
    std::vector<unsigned char> b(bytes);
    uint64_t x = 0x9E3779B97F4A7C15ull * uint64_t(i + 1);
    for (auto& c : b) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c = static_cast<unsigned char>(x);
    }
    return b;
}
/// Inserts rows [0, n) with blob(i, bytes) in one transaction.
void insert_rows(sqlite3* db, int n, size_t bytes) {
    exec(db, "BEGIN");
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?)", -1, &s, nullptr), SQLITE_OK);
    for (int i = 0; i < n; ++i) {
        const auto b = blob(i, bytes);
        sqlite3_bind_int(s, 1, i);
        sqlite3_bind_blob(s, 2, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
        ASSERT_EQ(sqlite3_step(s), SQLITE_DONE) << sqlite3_errmsg(db);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    exec(db, "COMMIT");
}
/// True when `db` holds exactly rows [0, n) as insert_rows() wrote them.
bool rows_are_intact(sqlite3* db, int n, size_t bytes) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT id, data FROM t ORDER BY id", -1, &s, nullptr), SQLITE_OK);
    int i = 0;
    bool ok = true;
    for (; sqlite3_step(s) == SQLITE_ROW; ++i) {
        const auto want = blob(i, bytes);
        const auto* got = static_cast<const unsigned char*>(sqlite3_column_blob(s, 1));
        ok = ok && sqlite3_column_int(s, 0) == i && sqlite3_column_bytes(s, 1) == int(bytes) &&
             std::equal(want.begin(), want.end(), got);
    }
    sqlite3_finalize(s);
    return ok && i == n;
}
int64_t started_bytes(sqlite3* db) {
    int64_t n = -1;
    EXPECT_EQ(sqlite3_file_control(db, "main", SqliteWritebackVfs::kStartedBytesOp, &n), SQLITE_OK);
    return n;
}

}  // namespace

TEST(SqliteWritebackVfs, WhatItWritesTheDefaultVfsReadsBack) {
    ASSERT_NE(SqliteWritebackVfs::name(), nullptr);
    EXPECT_EQ(SqliteWritebackVfs::name(), SqliteWritebackVfs::name());  // registered once
    TempDb file;
    constexpr int kRows = 200;
    constexpr size_t kBytes = 40000;  // 8 MB in all: several write-back requests
    sqlite3* db = open(file.path, SqliteWritebackVfs::name());
    exec(db, "PRAGMA page_size=65536");
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    insert_rows(db, kRows, kBytes);
    // A second connection, through the default VFS, reads the WAL beside the first (the
    // shared-memory index is passed through).
    sqlite3* reader = open(file.path, nullptr, SQLITE_OPEN_READONLY);
    EXPECT_TRUE(rows_are_intact(reader, kRows, kBytes));
    sqlite3_close(reader);
    exec(db, "DELETE FROM t WHERE id >= 100");
    exec(db, "VACUUM");  // rewrites the file: truncation and a copy through the wrapped file
    ASSERT_EQ(sqlite3_close(db), SQLITE_OK);

    db = open(file.path, nullptr);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "ok");
    sqlite3_finalize(s);
    EXPECT_TRUE(rows_are_intact(db, 100, kBytes));
    sqlite3_close(db);
}

TEST(SqliteWritebackVfs, StartsTheWriteBackOfWhatTheDatabaseFileIsWritten) {
    TempDb file;
    constexpr int kRows = 200;
    constexpr size_t kBytes = 40000;
    sqlite3* db = open(file.path, SqliteWritebackVfs::name());
    exec(db, "PRAGMA page_size=65536");
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA wal_autocheckpoint=0");  // the database file is written only below
    exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    EXPECT_LT(started_bytes(db), SqliteWritebackVfs::kWritebackBytes);
    insert_rows(db, kRows, kBytes);
    EXPECT_LT(started_bytes(db), SqliteWritebackVfs::kWritebackBytes);  // all of it in the WAL
    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");  // copies every page into the database file
    struct stat st {};
    ASSERT_EQ(::stat(file.path.c_str(), &st), 0);
    ASSERT_GT(st.st_size, int64_t(kRows) * int64_t(kBytes));
    // All but the last request's worth (the sync wrote that), and nothing the file does not hold.
    EXPECT_GE(started_bytes(db), st.st_size - SqliteWritebackVfs::kWritebackBytes);
    EXPECT_LE(started_bytes(db), st.st_size);
    sqlite3_close(db);

    // A read-only connection writes nothing and starts nothing.
    db = open(file.path, SqliteWritebackVfs::name(), SQLITE_OPEN_READONLY);
    EXPECT_TRUE(rows_are_intact(db, kRows, kBytes));
    EXPECT_EQ(started_bytes(db), 0);
    sqlite3_close(db);
}

// POSIX record locks belong to the process: closing any descriptor of a file releases every lock
// the process holds on it, other connections' included (SQLite's unix VFS defers its own closes
// for that reason). The VFS must not close a descriptor of its own: here a connection that stays
// open keeps its WAL-mode read lock on the database file after another one closes, as a second
// process sees it (F_GETLK does not report a process's own locks).
TEST(SqliteWritebackVfs, ClosingAConnectionKeepsTheOthersLocks) {
    TempDb file;
    sqlite3* a = open(file.path, SqliteWritebackVfs::name());
    exec(a, "PRAGMA journal_mode=WAL");
    exec(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    insert_rows(a, 4, 100);
    sqlite3* b = open(file.path, SqliteWritebackVfs::name());
    EXPECT_TRUE(rows_are_intact(b, 4, 100));  // b now holds its shared lock on the file
    auto read_locked_elsewhere = [&] {
        const pid_t child = fork();
        if (child == 0) {
            const int fd = ::open(file.path.c_str(), O_RDWR);
            struct flock lock {};
            lock.l_type = F_WRLCK;
            lock.l_whence = SEEK_SET;
            lock.l_start = 0x40000002;  // SQLite's shared-lock bytes (PENDING_BYTE + 2, 510 of them)
            lock.l_len = 510;
            const bool locked = fd >= 0 && ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
            _exit(locked ? 0 : 1);
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    };
    ASSERT_TRUE(read_locked_elsewhere());
    ASSERT_EQ(sqlite3_close(a), SQLITE_OK);
    EXPECT_TRUE(read_locked_elsewhere()) << "closing one connection dropped the other's lock";
    sqlite3_close(b);
}

// SqliteRowFeed: hands a batch of C++ rows to one SQL statement, through a virtual table that
// reads them where they are, so that a batch is `INSERT ... SELECT c0, c1, ... FROM
// iotwatch_row_feed` run once instead of a prepared INSERT bound and run once per row.
//
// Why: per row, SQLite starts the statement's program again (transaction check, write cursors
// opened on the table and on each index, each B-tree descended from its root), clears the
// bindings and copies the bound text; run once over the batch, the cursors stay open. The 20 M-
// packet benchmark's 128 k source rows went into a fresh `source_day` (64 kB pages, WAL) in
// 0.61 s one statement per row and 0.24 s through the feed (the same rows and order; see README,
// Speed), and the day's source and port rows are the writer's part of the final checkpoint.
//
// The table (`kTable`, eponymous: no CREATE statement, nothing in the schema, so other
// connections and older versions never see it) exists only on the connection attach() was
// called for, and has kColumns columns c0... of no declared type. Outside run() it is empty.
// Not thread-safe: one connection, one statement at a time (as Store is).
#pragma once
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace iotwatch {

class SqliteRowFeed {
public:
    static constexpr const char* kTable = "iotwatch_row_feed";
    static constexpr int kColumns = 16;

    /// One row's cell: what a column callback gives for (row, column).
    class Cell {
    public:
        explicit Cell(sqlite3_context* ctx) : ctx_(ctx) {}
        void set(int64_t v) { sqlite3_result_int64(ctx_, v); }
        /// `v` must stay valid until run() returns (it is not copied).
        void set(std::string_view v) {
            sqlite3_result_text(ctx_, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        }
        void set_real(double v) { sqlite3_result_double(ctx_, v); }

    private:
        sqlite3_context* ctx_;
    };

    SqliteRowFeed() = default;
    SqliteRowFeed(const SqliteRowFeed&) = delete;
    SqliteRowFeed& operator=(const SqliteRowFeed&) = delete;

    /// Makes kTable available on `db`. This feed must outlive the connection.
    /// Returns false (and leaves `db` unchanged) when SQLite refuses the module.
    bool attach(sqlite3* db);

    /// Steps `stmt` (a statement reading kTable, prepared on the attached connection) to its end
    /// with rows 0..n-1 in the table, row r's column c being what `column(r, c, cell)` sets;
    /// then resets it. A column the callback sets nothing for is NULL; the callback must not
    /// throw (SQLite's C frames are between it and run()). Returns sqlite3_step()'s last result:
    /// SQLITE_DONE when the statement ran through, else an error that error() describes.
    template <typename F>
    int run(sqlite3_stmt* stmt, size_t n, F&& column) {
        auto call = [](const void* f, size_t row, int col, sqlite3_context* ctx) {
            Cell cell(ctx);
            (*static_cast<const std::remove_reference_t<F>*>(f))(row, col, cell);
        };
        return run_erased(stmt, n, &column, call);
    }

    /// SQLite's message for the last run() that failed.
    const std::string& error() const { return error_; }

    // The virtual table's side (called by SQLite through the module; public for it only).
    size_t rows() const { return rows_; }
    void column(size_t row, int col, sqlite3_context* ctx) const { column_(source_, row, col, ctx); }

private:
    using ColumnFn = void (*)(const void*, size_t, int, sqlite3_context*);
    int run_erased(sqlite3_stmt* stmt, size_t n, const void* source, ColumnFn column);

    size_t rows_ = 0;
    const void* source_ = nullptr;
    ColumnFn column_ = nullptr;
    std::string error_;
};

}  // namespace iotwatch

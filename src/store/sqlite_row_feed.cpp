// SqliteRowFeed: the eponymous virtual table behind it (see the header).
#include "store/sqlite_row_feed.h"

#include <new>
#include <string>

namespace iotwatch {
namespace {

/// The table's cursor: the row it is on.
struct FeedCursor {
    sqlite3_vtab_cursor base;  // first: SQLite hands back a pointer to it
    size_t row = 0;
};

/// The table: the feed whose rows it shows.
struct FeedTable {
    sqlite3_vtab base;  // first, as above
    const SqliteRowFeed* feed = nullptr;
};

const FeedTable& table_of(sqlite3_vtab_cursor* c) { return *reinterpret_cast<const FeedTable*>(c->pVtab); }
FeedCursor& cursor(sqlite3_vtab_cursor* c) { return *reinterpret_cast<FeedCursor*>(c); }

int feed_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
    std::string schema = "CREATE TABLE x(";
    for (int c = 0; c < SqliteRowFeed::kColumns; ++c) schema += (c ? ", c" : "c") + std::to_string(c);
    schema += ")";
    if (const int rc = sqlite3_declare_vtab(db, schema.c_str()); rc != SQLITE_OK) return rc;
    auto* t = new (std::nothrow) FeedTable{};
    if (!t) return SQLITE_NOMEM;
    t->feed = static_cast<const SqliteRowFeed*>(aux);
    *out = &t->base;
    return SQLITE_OK;
}
int feed_disconnect(sqlite3_vtab* t) {
    delete reinterpret_cast<FeedTable*>(t);
    return SQLITE_OK;
}
int feed_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
    // One plan: a scan in row order (no constraint is used, so SQLite checks them all itself).
    info->estimatedCost = 1e6;
    info->estimatedRows = 1000000;
    return SQLITE_OK;
}
int feed_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
    auto* c = new (std::nothrow) FeedCursor{};
    if (!c) return SQLITE_NOMEM;
    *out = &c->base;
    return SQLITE_OK;
}
int feed_close(sqlite3_vtab_cursor* c) {
    delete reinterpret_cast<FeedCursor*>(c);
    return SQLITE_OK;
}
int feed_filter(sqlite3_vtab_cursor* c, int, const char*, int, sqlite3_value**) {
    cursor(c).row = 0;
    return SQLITE_OK;
}
int feed_next(sqlite3_vtab_cursor* c) {
    ++cursor(c).row;
    return SQLITE_OK;
}
int feed_eof(sqlite3_vtab_cursor* c) { return cursor(c).row >= table_of(c).feed->rows(); }
int feed_column(sqlite3_vtab_cursor* c, sqlite3_context* ctx, int col) {
    table_of(c).feed->column(cursor(c).row, col, ctx);
    return SQLITE_OK;
}
int feed_rowid(sqlite3_vtab_cursor* c, sqlite3_int64* rowid) {
    *rowid = static_cast<sqlite3_int64>(cursor(c).row);
    return SQLITE_OK;
}

sqlite3_module make_module() {
    sqlite3_module m{};
    m.iVersion = 0;
    m.xCreate = nullptr;  // eponymous only: no CREATE VIRTUAL TABLE, nothing in the schema
    m.xConnect = feed_connect;
    m.xBestIndex = feed_best_index;
    m.xDisconnect = feed_disconnect;
    m.xDestroy = feed_disconnect;
    m.xOpen = feed_open;
    m.xClose = feed_close;
    m.xFilter = feed_filter;
    m.xNext = feed_next;
    m.xEof = feed_eof;
    m.xColumn = feed_column;
    m.xRowid = feed_rowid;
    return m;
}
const sqlite3_module kFeedModule = make_module();

}  // namespace

bool SqliteRowFeed::attach(sqlite3* db) {
    return sqlite3_create_module(db, kTable, &kFeedModule, this) == SQLITE_OK;
}

int SqliteRowFeed::run_erased(sqlite3_stmt* stmt, size_t n, const void* source, ColumnFn column) {
    rows_ = n;
    source_ = source;
    column_ = column;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) error_ = sqlite3_errmsg(sqlite3_db_handle(stmt));
    sqlite3_reset(stmt);
    rows_ = 0;  // empty again: a later reader of the table sees no rows, never a dangling source
    source_ = nullptr;
    column_ = nullptr;
    return rc;
}

}  // namespace iotwatch

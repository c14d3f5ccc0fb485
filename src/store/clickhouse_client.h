// ClickHouseClient: one ClickHouse server's HTTP interface (port 8123 by default). Statements go
// in the request body (or, for INSERT, in the `query` parameter with the RowBinary rows as the
// body); every request carries the database and optimize_move_to_prewhere=0, because with
// FINAL a condition moved to PREWHERE is applied before replaced rows are collapsed.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace httplib {
class Client;
}

namespace iotwatch {

/// Where a ClickHouse store lives: clickhouse://HOST[:PORT]/DATABASE[?cluster=NAME].
/// With a cluster (a <remote_servers> entry of the servers' configuration), the tables are
/// Distributed tables over per-server `<table>_local` tables, sharded by the row key.
struct ClickHouseUrl {
    std::string host;
    uint16_t port = 8123;
    std::string database = "iotwatch";
    std::string cluster;
    /// Parses the URL; throws ConfigError naming what is wrong.
    static ClickHouseUrl parse(const std::string& url);
    std::string describe() const;
};

class ClickHouseClient {
public:
    explicit ClickHouseClient(ClickHouseUrl url);
    ~ClickHouseClient();
    /// Runs a statement without rows in or out (DDL, ALTER).
    void execute(const std::string& sql);
    /// Runs a SELECT and returns its TabSeparated result.
    std::string select(const std::string& sql);
    /// INSERT INTO `table` FORMAT RowBinary with `rows` as the body.
    void insert(const std::string& table, const std::string& rows);
    const ClickHouseUrl& url() const { return url_; }

private:
    std::string post(const std::string& params, const std::string& body, bool with_database);
    ClickHouseUrl url_;
    std::unique_ptr<httplib::Client> http_;
};

}  // namespace iotwatch

#include "store/clickhouse_client.h"

// Debian builds cpp-httplib as a shared library; its pkg-config flags match that build.
#include <httplib.h>

#include <cctype>
#include <cstdlib>

#include "core/error.h"

namespace iotwatch {

ClickHouseUrl ClickHouseUrl::parse(const std::string& url) {
    const std::string scheme = "clickhouse://";
    if (url.compare(0, scheme.size(), scheme) != 0)
        throw ConfigError("store URL '" + url + "' does not start with clickhouse://");
    std::string rest = url.substr(scheme.size());
    ClickHouseUrl u;
    if (const auto q = rest.find('?'); q != std::string::npos) {
        std::string params = rest.substr(q + 1);
        rest.resize(q);
        size_t pos = 0;
        while (pos <= params.size()) {
            const auto amp = params.find('&', pos);
            const std::string kv = params.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
            const auto eq = kv.find('=');
            const std::string key = kv.substr(0, eq), value = eq == std::string::npos ? "" : kv.substr(eq + 1);
            if (key != "cluster") throw ConfigError("store URL '" + url + "': unknown parameter '" + key + "' (known: cluster)");
            for (char c : value)
                if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
                    throw ConfigError("store URL '" + url + "': the cluster name may hold only letters, digits and _");
            if (value.empty()) throw ConfigError("store URL '" + url + "': empty cluster name");
            u.cluster = value;
            if (amp == std::string::npos) break;
            pos = amp + 1;
        }
    }
    const auto slash = rest.find('/');
    const std::string hostport = rest.substr(0, slash);
    if (slash != std::string::npos && slash + 1 < rest.size()) u.database = rest.substr(slash + 1);
    for (char c : u.database)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
            throw ConfigError("store URL '" + url + "': the database name may hold only letters, digits and _");
    std::string port;
    bool has_port = false;
    if (!hostport.empty() && hostport[0] == '[') {  // [::1]:8123
        const auto close = hostport.find(']');
        if (close == std::string::npos) throw ConfigError("store URL '" + url + "': unclosed [ in the host");
        u.host = hostport.substr(1, close - 1);
        if (close + 1 < hostport.size()) {
            if (hostport[close + 1] != ':') throw ConfigError("store URL '" + url + "': expected :PORT after ]");
            port = hostport.substr(close + 2);
            has_port = true;
        }
    } else {
        const auto colon = hostport.find(':');
        u.host = hostport.substr(0, colon);
        if (colon != std::string::npos) port = hostport.substr(colon + 1), has_port = true;
    }
    if (u.host.empty()) throw ConfigError("store URL '" + url + "' has no host");
    if (has_port) {
        char* end = nullptr;
        const long v = std::strtol(port.c_str(), &end, 10);
        if (port.empty() || *end || v <= 0 || v > 65535) throw ConfigError("store URL '" + url + "': bad port '" + port + "'");
        u.port = static_cast<uint16_t>(v);
    }
    return u;
}

std::string ClickHouseUrl::describe() const {
    return "clickhouse://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port) + "/" + database + (cluster.empty() ? "" : "?cluster=" + cluster);
}

ClickHouseClient::ClickHouseClient(ClickHouseUrl url)
    : url_(std::move(url)), http_(std::make_unique<httplib::Client>(url_.host, url_.port)) {
    http_->set_connection_timeout(10);
    http_->set_read_timeout(300);
    http_->set_write_timeout(300);
    http_->set_keep_alive(true);
}

ClickHouseClient::~ClickHouseClient() = default;

std::string ClickHouseClient::post(const std::string& params, const std::string& body, bool with_database) {
    // insert_distributed_sync: an insert into a Distributed table returns once every shard has
    // its rows (durable and visible), not when they are queued on the receiving server.
    std::string path = "/?optimize_move_to_prewhere=0&insert_distributed_sync=1";
    if (with_database) path += "&database=" + url_.database;
    if (!params.empty()) path += "&" + params;
    auto res = http_->Post(path, body, "application/octet-stream");
    if (!res)
        throw StoreError(url_.describe() + ": cannot reach the server (" + httplib::to_string(res.error()) + ")");
    if (res->status != 200) {
        std::string msg = res->body;
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        throw StoreError(url_.describe() + ": HTTP " + std::to_string(res->status) + ": " + msg.substr(0, 600));
    }
    return std::move(res->body);
}

void ClickHouseClient::execute(const std::string& sql) { post("", sql, sql.rfind("CREATE DATABASE", 0) != 0); }

std::string ClickHouseClient::select(const std::string& sql) { return post("", sql + " FORMAT TabSeparated", true); }

void ClickHouseClient::insert(const std::string& table, const std::string& rows) {
    if (rows.empty()) return;
    post("query=" + httplib::detail::encode_query_param("INSERT INTO " + table + " FORMAT RowBinary"), rows, true);
}

}  // namespace iotwatch

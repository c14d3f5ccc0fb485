// ApiServer: `iotwatch serve`. An HTTP(S) server (cpp-httplib, thread pool) with the JSON API under
// /api/v1 (see docs/api.md), a Server-Sent-Events stream of the live feed, and the dashboard's
// static files.
//
// Store access: the Store is one SQLite connection, not thread-safe, so every handler that reads
// it (and the GeoIP enricher it uses) runs under one mutex: requests are served concurrently up to
// the store, then one at a time. The queries are millisecond-scale aggregates over bins, so one
// connection is simpler than a pool and as fast on two cores; the live stream never takes the
// mutex.
//
// Never crashes on a bad request: every handler's exceptions become JSON errors (4xx for the
// request's fault naming the parameter, 500 otherwise).
#pragma once
#include <memory>
#include <string>

#include "enrich/geo_enricher.h"
#include "enrich/organisation_registry.h"
#include "server/live_feed.h"
#include "store/store.h"

namespace iotwatch::server {

class ApiServer {
public:
    struct Options {
        std::string host = "127.0.0.1";
        int port = 8080;                     // 0: any free port (see bind())
        std::string tls_cert, tls_key;       // both set: HTTPS
        std::string web_root;                // directory of the dashboard's files; "" serves none
        std::string outbox;                  // alert outbox directory for downloads; "" for none
        std::string admin_token;             // at least 16 characters
        const OrganisationRegistry* registry = nullptr;  // organisation tokens; may be null
        GeoEnricher::Options geo;            // countries/ASNs views and ASN attribution; may be empty
        double darknet_lat = 35.6895, darknet_lon = 139.6917;  // where the map draws the telescope
        unsigned threads = 16;               // worker threads (each open connection holds one)
        unsigned cache_seconds = 10;         // aggregate answers served from cache this long; 0: off
        unsigned max_stream_clients = 4;     // concurrent /api/v1/live readers; more get 503
    };

    /// `live` may be null (no --replay); it must outlive the server. Throws ConfigError for bad
    /// options (unreadable TLS files, missing web root).
    ApiServer(Options options, std::unique_ptr<Store> store, LiveFeed* live);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    /// Binds the listening socket; returns the port. Throws ConfigError naming the address when it
    /// cannot be bound.
    int bind();
    /// Serves until stop() (blocks the calling thread).
    void serve();
    /// Ends serve(): live streams end within a second, then the server stops. Thread-safe.
    void stop();
    bool tls() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace iotwatch::server

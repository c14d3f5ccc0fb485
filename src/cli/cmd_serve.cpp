// `iotwatch serve`: the web dashboard and JSON API over the store (see docs/api.md), with a live
// map fed by replaying a capture.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/geo_options.h"
#include "core/error.h"
#include "enrich/organisation_registry.h"
#include "server/access_control.h"
#include "server/api_server.h"
#include "server/live_feed.h"
#include "store/store.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {
namespace {

/// "HOST:PORT" or "[V6]:PORT".
std::pair<std::string, int> parse_listen(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 == text.size())
        throw ConfigError("--listen must be HOST:PORT, not '" + text + "'");
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        size_t used = 0;
        port = std::stoi(text.substr(colon + 1), &used);
        if (used != text.size() - colon - 1) port = -1;
    } catch (const std::exception&) {
    }
    if (port < 0 || port > 65535 || host.empty()) throw ConfigError("--listen must be HOST:PORT, not '" + text + "'");
    return {host, port};
}

std::pair<double, double> parse_location(const std::string& text) {
    double lat = 0, lon = 0;
    char extra = 0;
    if (std::sscanf(text.c_str(), "%lf,%lf%c", &lat, &lon, &extra) != 2 || lat < -90 || lat > 90 || lon < -180 || lon > 180)
        throw ConfigError("--darknet-location must be LAT,LON in degrees, not '" + text + "'");
    return {lat, lon};
}

}  // namespace

int cmd_serve(int argc, char** argv) {
    ArgParser args("serve", "[--db FILE] [--listen HOST:PORT] [--orgs FILE] [--replay CAPTURE] ...",
                   "Serves the web dashboard and the JSON API (docs/api.md) over the store: telescope series,\n"
                   "top countries/ASNs/ports, scan events, DoS victims, infected hosts, alerts and their\n"
                   "statistics and files. Every API request needs Authorization: Bearer TOKEN: the admin\n"
                   "token sees everything; an organisation's token (token_sha256 in the registry) sees only\n"
                   "alerts and per-address rows of its own addresses. Reads of alert data are written to the\n"
                   "store's access log. --replay feeds the live map (Server-Sent Events at /api/v1/live).\n"
                   "Listens on loopback unless told otherwise; stops cleanly on SIGINT/SIGTERM.");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default: the config's store.db, else iotwatch.db)");
    args.option("config", "FILE", "telescope configuration (store.db, [geo])");
    args.option("listen", "HOST:PORT", "address to listen on (default 127.0.0.1:8080; port 0 picks a free one)");
    args.option("orgs", "FILE", "organisation registry: organisations with token_sha256 get API access");
    args.option("admin-token", "TOKEN", "the admin bearer token (>= 16 characters; default: generated and printed)");
    args.option("admin-token-file", "FILE", "read the admin token from FILE (keeps it out of the process list)");
    args.option("tls-cert", "FILE", "PEM certificate: serve HTTPS (with --tls-key)");
    args.option("tls-key", "FILE", "PEM private key");
    args.option("web-root", "DIR", "the dashboard's files (default: the source tree's web/)");
    args.option("outbox", "DIR", "alert outbox directory, for /api/v1/alerts/files (default: none)");
    add_geo_options(args);
    args.option("replay", "CAPTURE", "capture file or directory replayed as the live feed, paced by its timestamps");
    args.option("replay-speed", "X", "replay speed factor (default 1: real time)");
    args.flag("replay-once", "stop the live feed at the end of the capture instead of starting over");
    args.option("live-from", "HOST:PORT", "receive the live feed from a running `iotwatch ingest --live --feed HOST:PORT`\n"
                "(UDP on a loopback address) instead of --replay");
    args.option("live-rate", "N", "at most N packet events per second on the live stream (default 50)");
    args.option("darknet", "CIDR", "live feed: show only packets to these prefixes (default: every packet)", true);
    args.option("darknet-location", "LAT,LON", "where the map draws the telescope (default 35.6895,139.6917: Tokyo)");
    args.option("threads", "N", "HTTP worker threads; each open connection holds one (default 16)");
    args.option("cache-seconds", "S", "serve aggregate answers (summary, series, top-N) up to S seconds old (default 10; 0: off)");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.positional().empty()) throw ConfigError("unexpected argument '" + args.positional()[0] + "'");

    TelescopeConfig cfg;
    if (args.has("config")) cfg = TelescopeConfig::load(args.get("config"));
    const std::string db = args.get("db", cfg.db_path.empty() ? "iotwatch.db" : cfg.db_path);

    server::ApiServer::Options o;
    std::tie(o.host, o.port) = parse_listen(args.get("listen", "127.0.0.1:8080"));
    std::unique_ptr<OrganisationRegistry> registry;
    if (args.has("orgs")) registry = std::make_unique<OrganisationRegistry>(OrganisationRegistry::load(args.get("orgs")));
    o.registry = registry.get();
    bool generated = false;
    if (args.has("admin-token-file")) {
        std::ifstream in(args.get("admin-token-file"));
        if (!in || !std::getline(in, o.admin_token)) throw ConfigError("cannot read --admin-token-file " + args.get("admin-token-file"));
    } else if (args.has("admin-token")) {
        o.admin_token = args.get("admin-token");
    } else {
        o.admin_token = server::AccessControl::generate_token();
        generated = true;
    }
    o.tls_cert = args.get("tls-cert");
    o.tls_key = args.get("tls-key");
    o.web_root = args.get("web-root", IOTWATCH_WEB_ROOT);
    o.outbox = args.get("outbox");
    o.geo = geo_paths(args, cfg);
    if (args.has("darknet-location")) std::tie(o.darknet_lat, o.darknet_lon) = parse_location(args.get("darknet-location"));
    o.threads = unsigned(args.get_int("threads", 16));
    if (o.threads < 2 || o.threads > 256) throw ConfigError("--threads must be in [2, 256]");
    const long long cache_s = args.get_int("cache-seconds", 10);
    if (cache_s < 0 || cache_s > 3600) throw ConfigError("--cache-seconds must be in [0, 3600]");
    o.cache_seconds = unsigned(cache_s);

    std::unique_ptr<server::LiveFeed> live;
    if (args.has("replay") && args.has("live-from")) throw ConfigError("--replay and --live-from are alternatives");
    if (args.has("replay") || args.has("live-from")) {
        server::LiveFeed::Options lo;
        lo.capture = args.get("replay");
        lo.listen_udp = args.get("live-from");
        lo.speed = args.get_double("replay-speed", 1.0);
        lo.max_events_per_second = uint32_t(args.get_int("live-rate", 50));
        lo.loop = !args.has("replay-once");
        for (const auto& d : args.all("darknet")) {
            std::string err;
            auto p = Prefix::parse(d, &err);
            if (!p) throw ConfigError("--darknet " + d + ": " + err);
            lo.darknet.push_back(*p);
        }
        lo.geo = o.geo;
        live = std::make_unique<server::LiveFeed>(lo);
    }

    server::ApiServer srv(o, open_store(db), live.get());
    const int port = srv.bind();
    if (live) live->start();
    const std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
    std::printf("iotwatch serve: %s://%s:%d/ (store %s%s)\n", srv.tls() ? "https" : "http", host.c_str(), port, db.c_str(),
                live ? (args.has("live-from") ? ", live feed from ingest" : ", live replay") : "");
    if (generated) std::printf("admin token: %s\n", o.admin_token.c_str());
    std::fflush(stdout);

    // The server runs in its own thread; this one waits for SIGINT/SIGTERM (a signal handler
    // cannot stop the server itself) and then stops it.
    std::thread serving([&] { srv.serve(); });
    while (!stop_requested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::fprintf(stderr, "iotwatch serve: stopping\n");
    if (live) live->stop();
    srv.stop();
    serving.join();
    return kExitOk;
}

}  // namespace iotwatch::cli

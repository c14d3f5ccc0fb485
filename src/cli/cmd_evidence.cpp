// `iotwatch evidence`: imports partner evidence (sinkhole / C&C takedown logs, STIX bundles) into
// the store, where `iotwatch alerts` picks it up for the day it happened.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "notify/evidence_feed.h"
#include "store/store.h"

namespace iotwatch::cli {

int cmd_evidence(int argc, char** argv) {
    ArgParser args("evidence", "--feed NAME [--format csv|stix] [--db FILE] FILE...",
                   "Imports partner evidence of infected addresses: CSV (header naming address/ip/src_ip and\n"
                   "timestamp/time/ts/first_seen, optional family and hostname columns) or a STIX 2.1 bundle\n"
                   "(indicators on ipv4-addr/ipv6-addr values, observed-data). Records already imported are\n"
                   "skipped, so importing a file twice adds nothing. A bad record is reported with its file,\n"
                   "line or object and field, skipped, and makes the exit code 3; good records are kept.");
    args.option("feed", "NAME", "name of the partner feed (shown as the alert's source)");
    args.option("format", "FORMAT", "csv or stix (default: stix for *.json, else csv)");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.flag("json", "print the summary as one JSON object");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.has("feed") || args.get("feed").empty()) throw ConfigError("--feed NAME is required");
    if (args.positional().empty()) throw ConfigError("give at least one evidence FILE");
    auto store = open_store(args.get("db", "iotwatch.db"));
    uint64_t records = 0, added = 0, bad = 0;
    for (const auto& path : args.positional()) {
        std::string format = args.get("format");
        if (format.empty()) format = path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0 ? "stix" : "csv";
        if (format != "csv" && format != "stix") throw ConfigError("--format must be csv or stix, not '" + format + "'");
        std::ifstream in(path, std::ios::binary);
        if (!in) throw InputError(path, UINT64_MAX, "cannot open");
        std::stringstream ss;
        ss << in.rdbuf();
        FeedParseResult r = format == "csv" ? parse_evidence_csv(ss.str(), path, args.get("feed"))
                                            : parse_evidence_stix(ss.str(), path, args.get("feed"));
        for (const auto& e : r.errors) std::cerr << "iotwatch evidence: " << e << "\n";
        if (r.bad > r.errors.size())
            std::cerr << "iotwatch evidence: " << path << ": " << (r.bad - r.errors.size()) << " more bad records\n";
        records += r.records.size();
        bad += r.bad;
        added += store->put_external_evidence(r.records);
    }
    if (args.has("json")) {
        JsonWriter w(std::cout);
        w.begin_object().key("feed").value(args.get("feed")).key("records").value(records).key("added").value(added)
            .key("bad").value(bad).end_object();
        std::cout << "\n";
    } else {
        std::cout << "feed " << args.get("feed") << ": " << records << " records read, " << added << " new, " << bad
                  << " bad\n";
    }
    return bad ? kExitBadInput : kExitOk;
}

}  // namespace iotwatch::cli

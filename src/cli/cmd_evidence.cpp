// `iotwatch evidence`: imports partner evidence (sinkhole / C&C takedown logs, STIX bundles) into
// the store, where `iotwatch alerts` picks it up for the day it happened.
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/feed_input.h"
#include "core/error.h"
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
        const std::string format = feed_format(path, args.get("format"));
        const std::string text = read_input_file(path);
        FeedParseResult r = format == "csv" ? parse_evidence_csv(text, path, args.get("feed"))
                                            : parse_evidence_stix(text, path, args.get("feed"));
        for (const auto& e : r.errors) std::cerr << "iotwatch evidence: " << e << "\n";
        if (r.bad > r.errors.size())
            std::cerr << "iotwatch evidence: " << path << ": " << (r.bad - r.errors.size()) << " more bad records\n";
        records += r.records.size();
        bad += r.bad;
        added += store->put_external_evidence(r.records);
    }
    print_feed_summary(std::cout, args.has("json"), args.get("feed"), records, added, bad);
    return bad ? kExitBadInput : kExitOk;
}

}  // namespace iotwatch::cli

// `iotwatch retention`: enforces the configuration's [retention] policy on the store now (ingest
// and alerts also enforce it after each run).
#include <chrono>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "store/store.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {

int cmd_retention(int argc, char** argv) {
    ArgParser args("retention", "--config FILE [--db FILE] [--now TIME]",
                   "Deletes every record older than the [retention] table of the configuration keeps it:\n"
                   "whole UTC days, counted back from today (or --now). Prints rows deleted per table.");
    args.option("config", "FILE", "TOML configuration with a [retention] table");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default: the config's store.db, else iotwatch.db)");
    args.option("now", "TIME", "reference time instead of the clock (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
    args.flag("json", "print rows deleted per table as one JSON object");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.has("config")) throw ConfigError("--config FILE with a [retention] table is required");
    const TelescopeConfig cfg = TelescopeConfig::load(args.get("config"));
    if (!cfg.has_retention) throw ConfigError(args.get("config") + ": no [retention] table");
    int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (args.has("now")) {
        auto t = parse_utc(args.get("now"));
        if (!t) throw ConfigError("--now: '" + args.get("now") + "' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        now_s = bin_start_seconds(*t, 1);
    }
    auto store = open_store(args.get("db", cfg.db_path.empty() ? "iotwatch.db" : cfg.db_path));
    const auto deleted = store->apply_retention(cfg.retention, now_s);
    if (args.has("json")) {
        JsonWriter w(std::cout);
        w.begin_object();
        for (const auto& [table, n] : deleted) w.key(table).value(n);
        w.end_object();
        std::cout << "\n";
    } else {
        for (const auto& [table, n] : deleted) std::cout << table << ": " << n << " rows deleted\n";
    }
    return kExitOk;
}

}  // namespace iotwatch::cli

// `iotwatch store init`: creates (or checks) the store's schema without reading or writing rows.
// On a ClickHouse cluster it is run once against every server, so each has its local tables and
// the Distributed tables over them before the first query spans the shards.
#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "store/store.h"

namespace iotwatch::cli {

int cmd_store(int argc, char** argv) {
    const std::string sub = argc > 0 ? argv[0] : "";
    if (sub != "init") {
        std::cerr << "usage: iotwatch store init --db FILE|clickhouse://HOST:PORT/DB[?cluster=NAME]\n";
        return sub == "--help" || sub == "-h" ? kExitOk : kExitUsage;
    }
    ArgParser args("store init", "--db FILE|URL",
                   "Creates the store's tables if they do not exist (SQLite: creates or migrates the file;\n"
                   "ClickHouse: the database, and on a cluster this server's _local tables and the\n"
                   "Distributed tables over them). Run it against every server of a cluster first.");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST[:PORT]/DATABASE[?cluster=NAME] (default iotwatch.db)");
    if (!args.parse(argc - 1, argv + 1)) return kExitOk;
    const std::string db = args.get("db", "iotwatch.db");
    open_store(db);
    std::cout << "store ready: " << db << "\n";
    return kExitOk;
}

}  // namespace iotwatch::cli

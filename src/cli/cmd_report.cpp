// `iotwatch report`: the telescope views from the store.
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/geo_options.h"
#include "core/error.h"
#include "core/timestamp.h"
#include "report/telescope_report.h"
#include "store/store.h"

namespace iotwatch::cli {

int cmd_report(int argc, char** argv) {
    ArgParser args("report", "[--db FILE] [--json|--csv|--jsonl] [--view VIEW] [--day D | --from T --to T]",
                   "Prints the NICTER-style telescope views from the store: totals per class, top TCP and UDP\n"
                   "destination ports by unique hosts, top sources (view 'summary', the default), or one of\n"
                   "'classes', 'ports', 'sources', 'series' (per-bin class counts, --width 300|3600|86400),\n"
                   "'countries' / 'asns' (unique hosts per country / AS, with a GeoIP/ASN database; the\n"
                   "summary then also shows the top countries), 'scans' (scan events), 'dos' (backscatter\n"
                   "DoS victims), 'labels' (SVM verdicts, after ingest --model) or 'infected' (sources judged\n"
                   "infected, with evidence and confidence), the last four after ingest --detect.\n"
                   "Times are UTC: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; --to is exclusive.");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.flag("json", "one JSON object (the stable scripting interface; see README)");
    args.flag("jsonl", "JSON lines, one object per row of the view");
    args.flag("csv", "CSV with a header line");
    args.option("view", "VIEW", std::string("one of ") + report_views() + " (default summary)");
    args.option("config", "FILE", "configuration: [geo] databases");
    add_geo_options(args);
    args.option("iot-ports", "FILE", "IoT port taxonomy TSV for --view infected and the scans view's iot_category (default: data/iot-ports.tsv, built in)");
    args.option("research-scanners", "FILE",
                "research-scanner list TSV for --view infected (default: data/research-scanners.tsv, built in)");
    args.option("day", "YYYY-MM-DD", "only this UTC day");
    args.option("from", "TIME", "start of the range (inclusive)");
    args.option("to", "TIME", "end of the range (exclusive)");
    args.option("top", "N", "rows in top-N views (default 10)");
    args.option("width", "SECONDS", "bin width of the series view: 300, 3600 or 86400 (default 3600)");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.positional().empty()) throw ConfigError("unexpected argument '" + args.positional()[0] + "'");

    ReportOptions opts;
    int formats = args.has("json") + args.has("jsonl") + args.has("csv");
    if (formats > 1) throw ConfigError("choose one of --json, --jsonl, --csv");
    opts.format = args.has("json") ? ReportFormat::kJson
                  : args.has("jsonl") ? ReportFormat::kJsonLines
                  : args.has("csv")   ? ReportFormat::kCsv
                                      : ReportFormat::kTable;
    opts.view = args.get("view", "summary");
    auto parse_time = [&](const std::string& flag) {
        auto t = parse_utc(args.get(flag));
        if (!t) throw ConfigError("--" + flag + ": '" + args.get(flag) + "' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        return bin_start_seconds(*t, 1);
    };
    if (args.has("day")) {
        if (args.has("from") || args.has("to")) throw ConfigError("--day excludes --from/--to");
        opts.range.from = parse_time("day");
        opts.range.to = opts.range.from + 86400;
    }
    if (args.has("from")) opts.range.from = parse_time("from");
    if (args.has("to")) opts.range.to = parse_time("to");
    const long long top = args.get_int("top", 10);
    if (top < 1 || top > 100000) throw ConfigError("--top must be between 1 and 100000");
    opts.top = static_cast<size_t>(top);
    const long long width = args.get_int("width", 3600);
    if (width != 300 && width != 3600 && width != 86400) throw ConfigError("--width must be 300, 3600 or 86400");
    opts.width = static_cast<int32_t>(width);
    opts.iot_ports_file = args.get("iot-ports");
    opts.research_scanners_file = args.get("research-scanners");

    TelescopeConfig cfg;
    if (args.has("config")) cfg = TelescopeConfig::load(args.get("config"));
    std::unique_ptr<GeoEnricher> geo = open_geo(args, cfg);
    if (geo) opts.geo = [&geo](const IpAddress& a) { return geo->lookup(a); };
    auto store = open_store(args.get("db", cfg.db_path.empty() ? "iotwatch.db" : cfg.db_path));
    write_report(*store, opts, std::cout);
    std::cout.flush();
    return std::cout ? kExitOk : kExitFailure;
}

}  // namespace iotwatch::cli

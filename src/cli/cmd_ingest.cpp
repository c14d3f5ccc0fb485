// `iotwatch ingest`: captures -> telescope aggregates in the store.
#include <chrono>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/detect_options.h"
#include "cli/output.h"
#include "core/error.h"
#include "pipeline/ingest_job.h"
#include "enrich/organisation_registry.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {

int cmd_ingest(int argc, char** argv) {
    ArgParser args("ingest", "[--darknet CIDR]... [--config FILE] [--db FILE] CAPTURE...",
                   "Counts every packet that reaches the darknet: NICTER classes, 5 min / 1 h / 1 day bins,\n"
                   "destination ports and sources, into the store. CAPTURE is a pcap or pcapng file (gzip or\n"
                   "zstd compressed too), a directory of them (read in timestamp order), or - for stdin.\n"
                   "Re-running the same command after an interruption (even kill -9) resumes from the last\n"
                   "checkpoint; inputs already ingested are skipped.");
    args.option("darknet", "CIDR", "monitored darknet prefix (IPv4 or IPv6)", true);
    args.option("config", "FILE", "TOML configuration ([[sensor]] name/prefixes, [store] db, [detect] thresholds)");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default: the config's store.db, else iotwatch.db)");
    args.option("orgs", "FILE", "organisation registry: members' darknet prefixes join as sensors named by id (DAEDALUS)");
    args.option("live", "IFACE", "capture live from a network interface (libpcap) instead of files");
    args.option("filter", "BPF", "capture filter for --live");
    args.option("feed", "HOST:PORT", "with --live: stream a sample of the classified darknet packets (200/s) to\n"
                "`iotwatch serve --live-from HOST:PORT` for the live map (loopback addresses only)");
    args.option("reader", "auto|libpcap", "file reader: own fast walker (default) or libpcap's pcap_next_ex");
    args.option("checkpoint-interval", "SECONDS", "commit rows and a checkpoint this often (default 60)");
    args.option("threads", "N", "worker threads for files (default 1; stdin and live use one)");
    args.option("pair-sort-thread", "auto|on|off",
                "with one worker, sort the day's (source, destination) pairs on a thread of their own while\n"
                "                            packets are counted (auto: when there is a second core; same results)");
    args.option("decode-thread", "auto|on|off",
                "with one worker, read and decode the capture files' records on a thread of their own\n"
                "                            (auto: when there is a second core that no detector thread takes;\n"
                "                            same results)");
    add_detect_options(args);
    args.flag("reset", "ignore an existing checkpoint in the store and start over");
    args.flag("progress", "print progress (packets, rate, ETA) on stderr (default when stderr is a terminal)");
    args.flag("quiet", "no progress and no summary");
    args.flag("json", "print the run summary as one JSON object");
    if (!args.parse(argc, argv)) return kExitOk;

    TelescopeConfig cfg;
    if (args.has("config")) cfg = TelescopeConfig::load(args.get("config"));
    for (const auto& d : args.all("darknet")) cfg.add_darknet_prefix(d);
    if (args.has("orgs")) {
        // DAEDALUS: each member's contributed unused space is one more sensor, named by its id,
        // so an alert can say whose darknet a subscriber's device hit.
        const OrganisationRegistry registry = OrganisationRegistry::load(args.get("orgs"));
        for (const auto& org : registry.organisations()) {
            if (org.darknet.empty()) continue;
            for (const auto& s : cfg.sensors)
                if (s.name == org.id)
                    throw ConfigError(args.get("orgs") + ": organisation '" + org.id +
                                      "' has the name of a configured sensor; rename one of them");
            cfg.sensors.push_back({org.id, org.darknet});
        }
    }
    if (cfg.sensors.empty())
        throw ConfigError("no darknet: give --darknet CIDR, a --config with [[sensor]] prefixes, or --orgs with darknet prefixes");
    Darknet darknet(cfg.sensors);
    const std::string db = args.get("db", cfg.db_path.empty() ? "iotwatch.db" : cfg.db_path);

    IngestOptions opts;
    opts.inputs = args.positional();
    opts.live_interface = args.get("live");
    opts.bpf_filter = args.get("filter");
    opts.live_feed = args.get("feed");
    if (!opts.live_feed.empty() && opts.live_interface.empty())
        throw ConfigError("--feed needs --live IFACE (it streams a running capture to `iotwatch serve --live-from`)");
    if (opts.inputs.empty() && opts.live_interface.empty())
        throw ConfigError("nothing to ingest: give CAPTURE files/directories, - for stdin, or --live IFACE");
    const std::string reader = args.get("reader", "auto");
    if (reader == "libpcap") opts.reader = ReaderKind::kLibpcap;
    else if (reader != "auto") throw ConfigError("--reader must be auto or libpcap, not '" + reader + "'");
    opts.checkpoint_seconds = args.get_double("checkpoint-interval", 60.0);
    if (opts.checkpoint_seconds <= 0) throw ConfigError("--checkpoint-interval must be > 0");
    opts.reset = args.has("reset");
    apply_detect_options(args, cfg, opts);
    const long long threads = args.get_int("threads", 1);
    if (threads < 1 || threads > 64) throw ConfigError("--threads must be between 1 and 64");
    opts.threads = static_cast<unsigned>(threads);
    opts.pair_sort_thread = thread_mode_option(args, "pair-sort-thread", opts.pair_sort_thread);
    opts.decode_thread = thread_mode_option(args, "decode-thread", opts.decode_thread);
    const bool quiet = args.has("quiet");
    opts.progress = !quiet && (args.has("progress") || isatty(STDERR_FILENO));

    auto store = open_store(db);
    IngestJob job(opts, darknet, *store);
    IngestResult r = job.run(&stop_requested(), std::cerr);
    if (cfg.has_retention && !r.interrupted) {
        const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
        for (const auto& [table, n] : store->apply_retention(cfg.retention, now_s))
            if (n && !quiet) std::cerr << "iotwatch ingest: retention removed " << n << " old rows from " << table << "\n";
    }

    if (!quiet) {
        if (args.has("json")) {
            print_ingest_summary_json(r, darknet, db, std::cout);
        } else {
            print_ingest_summary_text(r, darknet, db, std::cout);
        }
    }
    for (const auto& in : r.inputs)
        if (in.error) std::cerr << "iotwatch ingest: " << *in.error << "\n";
    if (r.interrupted) {
        std::cerr << "iotwatch ingest: interrupted; state checkpointed in " << db
                  << " (run the same command again to resume)\n";
        return kExitInterrupted;
    }
    return r.had_input_errors() ? kExitBadInput : kExitOk;
}

}  // namespace iotwatch::cli

// iotwatch: ISP-cooperative IoT threat observation. Thin front end over libiotwatch.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "core/error.h"

#ifdef IOTWATCH_JEMALLOC
// jemalloc reads this at start-up (MALLOC_CONF in the environment overrides it: MALLOC_CONF=thp:default
// gives back the kernel's choice). The ingest's logs, sort buffers and checkpoint buffers are
// hundreds of MB that are filled, freed and refilled: freed pages are kept for 30 s instead of
// returned at once, so that refilling them is no page fault (with 4 kB pages and immediate return,
// faults were an eighth of a 20 M-packet ingest on this virtual machine, 215 k of them).
// Transparent huge pages for all of jemalloc's memory ("thp:always"): history, since this choice
// depends on the machine. On, then off in the fifteenth session (that machine faulted a fresh 2 MB
// page in at ~0.4 GB/s against ~2 GB/s for 4 kB pages: 1 worker 3.82 -> 3.45 s without), and on
// again in the twentieth: by then the large tables read at random had huge pages of their own
// (core/huge_page_allocator.h), and what still faulted 4 kB pages was the checkpoint's buffers
// (the serialized state, the day's source rows, the bins' rows: ~30 k faults), each fault an exit
// to the hypervisor here (perf: 4.6% of a 1-worker ingest's samples in the fault's return path).
// With thp:always, A/B alternating on the 20 M-packet benchmark: page faults 55 k -> 28 k (system
// time varied either way from run to run); 1 worker, medians of 7, 3.77 -> 3.53 s; 2 workers, medians of 5,
// 4.35 -> 4.02 s; --detect 1 worker 7.64 -> 7.40 s (4). Peak memory +25 MB for the ingest (1.5 GB
// of it the mapped capture), +12 MB for a `report` (48 -> 60 MB).
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "thp:always,dirty_decay_ms:30000,muzzy_decay_ms:30000";
}
#endif

namespace iotwatch::cli {
namespace {
// The one piece of process-wide mutable state: a signal handler can only talk through a global.
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

constexpr const char* kUsage = R"(usage: iotwatch COMMAND [OPTIONS] [ARGS]

iotwatch watches IoT botnets from a darknet telescope and tells network operators which of their
addresses look infected.

commands:
  ingest    count darknet packets from captures (pcap, pcapng, gzip/zstd, directories, stdin, live)
  report    print the telescope views (classes, top ports, top sources, series) as table/CSV/JSON
  gen       generate a deterministic sample darknet day (pcap + ground truth JSON)
  train     train the SVM DDoS-backscatter classifier on labelled captures
  classify  classify sources with the SVM; with labels, precision/recall/F1 beside the rules
  alerts    write each organisation's daily list of infected addresses (CSV/JSONL/STIX) to its outbox;
            --stats for alerted addresses per day (average, min, max)
  evidence  import partner evidence (sinkhole / takedown logs as CSV or STIX 2.1) for the alerts
  retention delete records older than the configuration's [retention] allows
  sites     malicious-site list (ACTIVE): import feeds, export a DNS RPZ for resolvers, plain lists
  share     information-sharing hub: anonymised submissions, published findings, TLP-checked reads
  serve     the web dashboard and JSON API (HTTP/HTTPS, bearer tokens), with a live map from --replay
  geo       look addresses up in GeoIP/ASN databases (.mmdb): country, region, city, location, AS
  survey    weak-credential survey of allow-listed space (telnet, http, https): closed, no-auth,
            auth-prompt, login-ok per (address, port, protocol); --dry-run lists targets, sends nothing
  collect   flow collector: NetFlow v5/v9/IPFIX from UDP (loopback by default) or captures into the store
  flows     the stored flow records of a time range, as JSON lines or CSV
  cnc       the day's likely C&C servers from stored flows (co-occurrence with infected hosts, beaconing)
  sensor    remote sensor at a partner site: captures its darknet prefixes and ships header-only
            batches to a centre over TLS, spooled to disk until acknowledged
  center    central collector: receives sensors' batches (HTTPS, per-sensor tokens), merges them in
            time order and ingests them like one capture; per-sensor health in the store
  store     store init: create the schema (SQLite file, or a ClickHouse server / each server of a cluster)
  version   print the version

`iotwatch COMMAND --help` explains each command's options.

exit codes: 0 ok; 1 runtime failure (I/O, database); 2 bad command line or configuration;
            3 some input was truncated or corrupt (everything before the bad record was counted);
            130 interrupted by a signal (state was checkpointed; rerun the same command to resume)
)";
}  // namespace

const std::atomic<bool>& stop_requested() { return g_stop; }

}  // namespace iotwatch::cli

int main(int argc, char** argv) {
    using namespace iotwatch;
    using namespace iotwatch::cli;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? kExitUsage : kExitOk;
    }
    const std::string cmd = argv[1];
    try {
        if (cmd == "ingest") return cmd_ingest(argc - 2, argv + 2);
        if (cmd == "report") return cmd_report(argc - 2, argv + 2);
        if (cmd == "gen") return cmd_gen(argc - 2, argv + 2);
        if (cmd == "train") return cmd_train(argc - 2, argv + 2);
        if (cmd == "classify") return cmd_classify(argc - 2, argv + 2);
        if (cmd == "alerts") return cmd_alerts(argc - 2, argv + 2);
        if (cmd == "evidence") return cmd_evidence(argc - 2, argv + 2);
        if (cmd == "retention") return cmd_retention(argc - 2, argv + 2);
        if (cmd == "geo") return cmd_geo(argc - 2, argv + 2);
        if (cmd == "sites") return cmd_sites(argc - 2, argv + 2);
        if (cmd == "share") return cmd_share(argc - 2, argv + 2);
        if (cmd == "survey") return cmd_survey(argc - 2, argv + 2);
        if (cmd == "serve") return cmd_serve(argc - 2, argv + 2);
        if (cmd == "collect") return cmd_collect(argc - 2, argv + 2);
        if (cmd == "store") return cmd_store(argc - 2, argv + 2);
        if (cmd == "cnc") return cmd_cnc(argc - 2, argv + 2);
        if (cmd == "flows") return cmd_flows(argc - 2, argv + 2);
        if (cmd == "sensor") return cmd_sensor(argc - 2, argv + 2);
        if (cmd == "center") return cmd_center(argc - 2, argv + 2);
        if (cmd == "version" || cmd == "--version") {
            std::puts("iotwatch " IOTWATCH_VERSION);
            return kExitOk;
        }
        std::fprintf(stderr, "iotwatch: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
        return kExitUsage;
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "iotwatch %s: %s\n", cmd.c_str(), e.what());
        return kExitUsage;
    } catch (const InputError& e) {
        std::fprintf(stderr, "iotwatch %s: %s\n", cmd.c_str(), e.what());
        return kExitBadInput;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "iotwatch %s: %s\n", cmd.c_str(), e.what());
        return kExitFailure;
    }
}

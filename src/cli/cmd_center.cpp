// `iotwatch center`: the central collector of remote sensors. Receiver (HTTPS) -> CenterJournal
// (durable) -> MergedSensorStream (time-ordered merge) -> IngestJob (the telescope, exactly as
// `ingest`), with the merge position committed in the ingest's checkpoint.
#include <chrono>
#include <iostream>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/detect_options.h"
#include "cli/output.h"
#include "core/error.h"
#include "pipeline/ingest_job.h"
#include "sensor/center_journal.h"
#include "sensor/center_receiver.h"
#include "sensor/merged_sensor_stream.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {

int cmd_center(int argc, char** argv) {
    ArgParser args("center", "--config FILE --tls-cert FILE --tls-key FILE [--listen HOST:PORT] [--db FILE|URL] [--journal DIR]",
                   "Central collector for `iotwatch sensor`s. Each [[sensor]] of the configuration (name,\n"
                   "prefixes, token_sha256) may connect over TLS with its token and ship batches; a batch is\n"
                   "acknowledged once it is on disk in the journal. The batches of all sensors are merged in\n"
                   "capture-time order and counted like one capture (classes, bins, ports, sources, and with\n"
                   "--detect the detectors) into the store, with checkpoints: killed at any point and restarted,\n"
                   "the totals equal an uninterrupted run. Per-sensor health (last contact, packets, drops,\n"
                   "lag, spool) goes to the store with every checkpoint: `iotwatch serve` shows it at\n"
                   "/api/v1/sensors and on the dashboard. Stops on SIGINT/SIGTERM (exit 130, state\n"
                   "checkpointed), or with --exit-when-final once every sensor's inputs ended and all is counted.");
    args.option("config", "FILE", "TOML configuration: [[sensor]] name, prefixes, token_sha256; [store] db; [detect]");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default: the config's store.db, else iotwatch.db)");
    args.option("listen", "HOST:PORT", "address for sensors (default 127.0.0.1:9540; port 0 picks a free one)");
    args.option("tls-cert", "FILE", "PEM certificate presented to sensors (required: TLS only)");
    args.option("tls-key", "FILE", "PEM private key");
    args.option("journal", "DIR", "durable inbox of received batches (default: center-journal)");
    args.option("hold", "SECONDS", "how long the merge waits for a silent sensor before going on without it (default 30)");
    args.option("checkpoint-interval", "SECONDS", "commit rows, the merge position and sensor health this often (default 10)");
    add_detect_options(args);
    args.flag("exit-when-final", "exit once every sensor sent its final batch (its inputs ended) and all is counted");
    args.flag("json", "print the run summary as one JSON object");
    args.flag("quiet", "no summary");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.positional().empty()) throw ConfigError("unexpected argument '" + args.positional()[0] + "'");
    if (!args.has("config")) throw ConfigError("--config is required: its [[sensor]] tables name the sensors and their tokens");

    const TelescopeConfig cfg = TelescopeConfig::load(args.get("config"));
    if (cfg.sensors.empty()) throw ConfigError(args.get("config") + ": no [[sensor]] tables");
    Darknet darknet(cfg.sensors);
    const std::string db = args.get("db", cfg.db_path.empty() ? "iotwatch.db" : cfg.db_path);

    std::vector<std::string> names;
    std::vector<CenterReceiver::SensorToken> tokens;
    for (const auto& s : cfg.sensors) {
        names.push_back(s.name);
        auto t = cfg.sensor_tokens.find(s.name);
        tokens.push_back({s.name, t == cfg.sensor_tokens.end() ? std::string() : t->second});
    }
    CenterReceiver::Options ro;
    const std::string listen = args.get("listen", "127.0.0.1:9540");
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw ConfigError("--listen must be HOST:PORT, not '" + listen + "'");
    ro.host = listen.substr(0, colon);
    if (ro.host.size() > 2 && ro.host.front() == '[') ro.host = ro.host.substr(1, ro.host.size() - 2);
    ro.port = int(std::strtol(listen.c_str() + colon + 1, nullptr, 10));
    ro.tls_cert = args.get("tls-cert");
    ro.tls_key = args.get("tls-key");

    auto wall = [] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    auto store = open_store(db);
    CenterJournal journal(args.get("journal", "center-journal"), names);
    journal.seed_health(store->sensor_health());
    MergedSensorStream::Options mo;
    mo.hold_seconds = args.get_double("hold", 30);
    if (mo.hold_seconds < 0) throw ConfigError("--hold must be >= 0");
    mo.exit_when_final = args.has("exit-when-final");
    MergedSensorStream stream(journal, mo, wall);
    CenterReceiver receiver(ro, tokens, journal, [&] { stream.wait_ready(); }, wall);
    const int port = receiver.bind();
    std::cout << "iotwatch center: listening on https://" << (ro.host.find(':') != std::string::npos ? "[" + ro.host + "]" : ro.host)
              << ":" << port << " for " << names.size() << " sensors; journal " << args.get("journal", "center-journal")
              << ", store " << db << std::endl;
    std::thread serving([&] { receiver.serve(); });

    IngestOptions opts;
    opts.stream = &stream;
    opts.checkpoint_seconds = args.get_double("checkpoint-interval", 10);
    if (opts.checkpoint_seconds <= 0) throw ConfigError("--checkpoint-interval must be > 0");
    apply_detect_options(args, cfg, opts);

    IngestResult r;
    std::exception_ptr failure;
    try {
        IngestJob job(opts, darknet, *store);
        r = job.run(&stop_requested(), std::cerr);
    } catch (...) {
        failure = std::current_exception();
        stream.request_stop();
    }
    receiver.stop();
    serving.join();
    if (failure) std::rethrow_exception(failure);
    if (stream.late_packets())
        std::cerr << "iotwatch center: " << stream.late_packets()
                  << " packets arrived after newer ones were counted (a sensor came back late); counted in the open bin\n";
    if (!args.has("quiet")) {
        if (args.has("json")) print_ingest_summary_json(r, darknet, db, std::cout);
        else print_ingest_summary_text(r, darknet, db, std::cout);
    }
    return r.interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace iotwatch::cli

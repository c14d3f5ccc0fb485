// `iotwatch sensor`: a partner site's darknet capture, shipped to `iotwatch center` (see
// src/sensor/sensor_agent.h for the pipeline and its guarantees).
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "sensor/sensor_agent.h"
#include "sensor/sensor_batch.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {

int cmd_sensor(int argc, char** argv) {
    ArgParser args("sensor",
                   "--name NAME (--darknet CIDR... | --config FILE) --center HOST:PORT --ca FILE --token-file FILE\n"
                   "                       [--spool DIR] (CAPTURE... | --live IFACE)",
                   "Runs at a partner site: reads its capture, keeps only packets to this sensor's darknet\n"
                   "prefixes, cuts each after its headers (no payload leaves the site), and ships them in batches\n"
                   "to `iotwatch center` over TLS with a bearer token. Every batch is written to the spool\n"
                   "directory first and removed only when the centre acknowledged it: while the centre is\n"
                   "unreachable the spool grows, and the batches go out in order when it returns. Killed and\n"
                   "restarted with the same inputs and spool, the sensor resumes after its last batch and the\n"
                   "centre drops what it already has, so nothing is counted twice.\n"
                   "Exit: 0 when every batch was acknowledged; 1 when some are still spooled (rerun to send\n"
                   "them) or the centre refused the sensor; 3 when an input was corrupt (what came before it\n"
                   "was shipped); 130 when interrupted.");
    args.option("name", "NAME", "this sensor's name, as in the centre's [[sensor]] table");
    args.option("darknet", "CIDR", "this sensor's darknet prefix (repeatable)", true);
    args.option("config", "FILE", "TOML file whose [[sensor]] named NAME gives the prefixes");
    args.option("center", "HOST:PORT", "address of `iotwatch center`");
    args.option("ca", "FILE", "PEM certificate (or CA) the centre's certificate must verify against");
    args.option("token-file", "FILE", "file holding this sensor's bearer token (its SHA-256 is in the centre's config)");
    args.option("spool", "DIR", "disk buffer of batches not yet acknowledged (default: sensor-spool-NAME)");
    args.option("live", "IFACE", "capture live from an interface instead of files");
    args.option("filter", "BPF", "capture filter for --live");
    args.option("batch-packets", "N", "packets per batch at most (default 4096)");
    args.option("batch-seconds", "S", "a batch is sent after S seconds even when not full (default 1)");
    args.option("rate", "PPS", "replay files at this many frames per second (default: as fast as they are read)");
    args.option("max-spool-mb", "MB", "pause reading when this much waits in the spool (default 1024)");
    args.option("drain-seconds", "S", "after the capture ends, wait this long for the centre to acknowledge (default 30)");
    args.flag("progress", "progress lines on stderr");
    args.flag("json", "print the run summary as one JSON object");
    args.flag("quiet", "no summary");
    if (!args.parse(argc, argv)) return kExitOk;

    SensorAgentOptions o;
    o.name = args.get("name");
    if (o.name.empty()) throw ConfigError("--name is required");
    if (args.has("config")) {
        const TelescopeConfig cfg = TelescopeConfig::load(args.get("config"));
        for (const auto& s : cfg.sensors)
            if (s.name == o.name) o.prefixes = s.prefixes;
        if (o.prefixes.empty()) throw ConfigError(args.get("config") + ": no [[sensor]] named '" + o.name + "'");
    }
    for (const auto& d : args.all("darknet")) {
        std::string err;
        auto p = Prefix::parse(d, &err);
        if (!p) throw ConfigError("--darknet: " + err);
        o.prefixes.push_back(*p);
    }
    o.inputs = args.positional();
    o.live_interface = args.get("live");
    o.bpf_filter = args.get("filter");
    o.spool_dir = args.get("spool", "sensor-spool-" + o.name);
    o.center = args.get("center");
    o.ca_file = args.get("ca");
    if (args.has("token-file")) {
        std::ifstream in(args.get("token-file"));
        if (!in || !std::getline(in, o.token) || o.token.empty())
            throw ConfigError("cannot read a token from --token-file " + args.get("token-file"));
    }
    const long long bp = args.get_int("batch-packets", 4096);
    if (bp < 1 || bp > SensorBatch::kMaxPackets) throw ConfigError("--batch-packets must be 1.." + std::to_string(SensorBatch::kMaxPackets));
    o.batch_packets = uint32_t(bp);
    o.batch_seconds = args.get_double("batch-seconds", 1.0);
    o.rate_pps = args.get_double("rate", 0);
    if (o.rate_pps < 0) throw ConfigError("--rate must be >= 0");
    const long long mb = args.get_int("max-spool-mb", 1024);
    if (mb < 1) throw ConfigError("--max-spool-mb must be >= 1");
    o.max_spool_bytes = uint64_t(mb) << 20;
    o.drain_seconds = args.get_double("drain-seconds", 30);
    o.progress = args.has("progress");

    SensorAgent agent(o);
    const SensorAgentResult r = agent.run(&stop_requested(), std::cerr);
    if (o.progress) std::cerr << "\n";
    if (!args.has("quiet")) {
        if (args.has("json")) {
            JsonWriter w(std::cout);
            w.begin_object();
            w.key("sensor").value(o.name);
            w.key("captured").value(r.captured);
            w.key("darknet").value(r.darknet);
            w.key("batches").value(r.batches);
            w.key("acked_batches").value(r.acked_batches);
            w.key("pending_batches").value(r.pending_batches);
            w.key("kernel_drops").value(r.kernel_drops);
            w.key("interface_drops").value(r.interface_drops);
            w.key("resumed").value(r.resumed);
            w.key("interrupted").value(r.interrupted);
            if (!r.error.empty()) w.key("error").value(r.error);
            w.end_object();
            std::cout << "\n";
        } else {
            std::cout << "sensor " << o.name << ": " << r.captured << " frames read, " << r.darknet
                      << " to the darknet, " << r.batches << " batches written, " << r.acked_batches
                      << " acknowledged by the centre, " << r.pending_batches << " still spooled in " << o.spool_dir
                      << "\n";
        }
    }
    if (!r.error.empty() && r.pending_batches > 0) std::cerr << "iotwatch sensor: " << r.error << "\n";
    if (r.interrupted) return kExitInterrupted;
    if (r.pending_batches > 0) {
        if (r.error.empty()) std::cerr << "iotwatch sensor: " << r.pending_batches << " batches not acknowledged; they stay in "
                                       << o.spool_dir << " (run again to send them)\n";
        return kExitFailure;
    }
    if (!r.error.empty()) {
        std::cerr << "iotwatch sensor: " << r.error << "\n";
        return kExitBadInput;
    }
    return kExitOk;
}

}  // namespace iotwatch::cli

// `iotwatch flows`: the stored flow records of a time range as JSON lines or CSV, for scripts and
// for checking the collector against other tools (the SQLite store keeps flows in compressed
// blocks, store/flow_block.h, so this is how to read them). Every read goes to the access log.
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "store/store.h"

namespace iotwatch::cli {

int cmd_flows(int argc, char** argv) {
    ArgParser args("flows", "(--day YYYY-MM-DD | --from T --to T) [--db FILE|URL] [--format jsonl|csv]",
                   "Prints the stored flow records (iotwatch collect) whose start lies in the range, by start\n"
                   "time: exporter, observation domain, version, addresses, ports, protocol, TCP flags,\n"
                   "packets and octets (sampling applied), start/end (UTC ns), sampling interval.");
    args.option("day", "YYYY-MM-DD", "one UTC day");
    args.option("from", "T", "start (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ), inclusive");
    args.option("to", "T", "end, exclusive");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.option("format", "F", "jsonl (default) or csv");
    args.option("operator", "NAME", "who runs this, for the access log (default: the login name)");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.positional().empty()) throw ConfigError("unexpected argument '" + args.positional()[0] + "'");
    TimeRange range;
    auto parse = [&](const std::string& flag) {
        auto t = parse_utc(args.get(flag));
        if (!t) throw ConfigError("--" + flag + ": '" + args.get(flag) + "' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        return *t / kNanosPerSecond;
    };
    if (args.has("day")) {
        if (args.has("from") || args.has("to")) throw ConfigError("--day or --from/--to, not both");
        range.from = parse("day");
        range.to = range.from + 86400;
    } else {
        if (args.has("from")) range.from = parse("from");
        if (args.has("to")) range.to = parse("to");
    }
    const std::string format = args.get("format", "jsonl");
    if (format != "jsonl" && format != "csv") throw ConfigError("--format: jsonl or csv, not '" + format + "'");
    auto store = open_store(args.get("db", "iotwatch.db"));
    const auto flows = store->flows(range);
    store->log_access({now_ns(), operator_name(args), "flows.read",
                       "from=" + args.get("from", args.get("day", "*")) + " to=" + args.get("to", "*") +
                           " rows=" + std::to_string(flows.size())});
    if (format == "csv")
        std::cout << "exporter,domain,version,src,dst,sport,dport,protocol,tcp_flags,packets,octets,start_ns,end_ns,sampling\n";
    JsonWriter w(std::cout);
    for (const auto& f : flows) {
        if (format == "csv") {
            std::cout << f.exporter.to_string() << ',' << f.observation_domain << ',' << unsigned(f.version) << ','
                      << f.src.to_string() << ',' << f.dst.to_string() << ',' << f.sport << ',' << f.dport << ','
                      << unsigned(f.protocol) << ',' << unsigned(f.tcp_flags) << ',' << f.packets << ',' << f.octets << ','
                      << f.start_ns << ',' << f.end_ns << ',' << f.sampling_interval << '\n';
            continue;
        }
        w.begin_object();
        w.key("exporter").value(f.exporter.to_string());
        w.key("domain").value(uint64_t(f.observation_domain));
        w.key("version").value(unsigned(f.version));
        w.key("src").value(f.src.to_string());
        w.key("dst").value(f.dst.to_string());
        w.key("sport").value(unsigned(f.sport));
        w.key("dport").value(unsigned(f.dport));
        w.key("protocol").value(unsigned(f.protocol));
        w.key("tcp_flags").value(unsigned(f.tcp_flags));
        w.key("packets").value(f.packets);
        w.key("octets").value(f.octets);
        w.key("start_ns").value(f.start_ns);
        w.key("end_ns").value(f.end_ns);
        w.key("sampling").value(uint64_t(f.sampling_interval));
        w.end_object();
        std::cout << '\n';
    }
    return std::cout.flush() ? kExitOk : kExitFailure;
}

}  // namespace iotwatch::cli

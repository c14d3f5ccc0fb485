// `iotwatch gen`: a deterministic sample darknet day.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/timestamp.h"
#include "gen/darknet_generator.h"

namespace iotwatch::cli {

int cmd_gen(int argc, char** argv) {
    ArgParser args("gen", "[--seed N] [--packets N] [--start T] [--duration S] [--darknet CIDR]... -o FILE",
                   "Generates a realistic darknet day as a classic pcap (Ethernet), deterministically from the\n"
                   "seed: Mirai-style bots, ZMap- and masscan-like research scanners, horizontal scanners,\n"
                   "UDP probes, DDoS backscatter, noise, and a share of packets outside the darknet. The\n"
                   "capture is streamed: memory does not grow with --packets. --truth writes the ground truth.");
    args.option("seed", "N", "random seed (default 1)");
    args.option("packets", "N", "approximate number of packets (default 2000000; k/M/G suffixes)");
    args.option("start", "TIME", "first timestamp, UTC (default 2026-01-01T00:00:00Z)");
    args.option("duration", "SECONDS", "time span (default 86400)");
    args.option("darknet", "CIDR", "darknet prefix (default 198.18.0.0/16)", true);
    args.option("outside-fraction", "F", "share of packets to addresses outside the darknet (default 0.01)");
    args.option("snaplen", "N", "cut frames to N bytes (default: full frames)");
    args.flag("nanosecond", "nanosecond timestamps (pcap magic a1b23c4d)");
    args.option("o", "FILE", "output capture ('-' for stdout)");
    args.option("output", "FILE", "same as -o");
    args.option("truth", "FILE", "ground truth JSON (populations, class counts)");
    // -o is a short option: accept it before handing the rest to the parser.
    std::vector<char*> rest;
    std::string out;
    for (int i = 0; i < argc; ++i) {
        if (std::string(argv[i]) == "-o") {
            if (i + 1 >= argc) throw ConfigError("-o needs a FILE");
            out = argv[++i];
        } else {
            rest.push_back(argv[i]);
        }
    }
    if (!args.parse(static_cast<int>(rest.size()), rest.data())) return kExitOk;
    if (out.empty()) out = args.get("output");
    if (out.empty()) throw ConfigError("no output: give -o FILE (or -o - for stdout)");
    if (out == "-" && isatty(STDOUT_FILENO)) throw ConfigError("refusing to write a capture to a terminal");

    GenOptions g;
    g.seed = static_cast<uint64_t>(args.get_int("seed", 1));
    const long long packets = args.get_int("packets", 2000000);
    if (packets < 1) throw ConfigError("--packets must be >= 1");
    g.packets = static_cast<uint64_t>(packets);
    if (args.has("start")) {
        auto t = parse_utc(args.get("start"));
        if (!t) throw ConfigError("--start: '" + args.get("start") + "' is not a UTC time");
        g.start_ns = *t;
    }
    g.duration_s = args.get_int("duration", 86400);
    if (g.duration_s < 1) throw ConfigError("--duration must be >= 1 second");
    if (!args.all("darknet").empty()) {
        g.darknet.clear();
        for (const auto& d : args.all("darknet")) {
            std::string err;
            auto p = Prefix::parse(d, &err);
            if (!p) throw ConfigError("--darknet: " + err);
            g.darknet.push_back(*p);
        }
    }
    g.outside_fraction = args.get_double("outside-fraction", g.outside_fraction);
    if (g.outside_fraction < 0 || g.outside_fraction >= 1) throw ConfigError("--outside-fraction must be in [0, 1)");
    const long long snap = args.get_int("snaplen", 0);
    if (snap < 0 || snap > 262144) throw ConfigError("--snaplen must be between 0 and 262144");
    g.snaplen = static_cast<uint32_t>(snap);
    g.nanosecond = args.has("nanosecond");

    const bool progress = isatty(STDERR_FILENO);
    GenSummary s = generate_darknet(g, out, args.get("truth"), [&](uint64_t n) {
        if (progress) std::fprintf(stderr, "\rgen: %llu packets", static_cast<unsigned long long>(n));
    });
    if (progress) std::fputs("\n", stderr);
    if (out != "-")
        std::fprintf(stderr, "gen: wrote %llu packets (%llu outside the darknet) to %s\n",
                     static_cast<unsigned long long>(s.packets + s.outside),
                     static_cast<unsigned long long>(s.outside), out.c_str());
    return kExitOk;
}

}  // namespace iotwatch::cli

// The sample-data generator behind `iotwatch gen`: a deterministic (seeded) darknet day as a
// classic pcap plus its ground truth. Populations follow DOMAIN.md section 2: Mirai-style bots
// (seq == destination; 23 nine in ten, 2323 one in ten; variant ports), ZMap-like and masscan-like
// research scanners, unfingerprinted horizontal TCP scanners, UDP probes, DDoS backscatter from a
// few victims (SYN/ACK, RST, ICMP errors quoting the spoofed probe, UDP from port 53) and noise
// (ACK, FIN, PUSH, RST, flagless TCP, echo requests, GRE/ESP, fragments, IP options).
//
// Streaming: packets are merged in time order from a heap of emitters; memory grows with the
// number of emitters (about packets / 250, capped at ~2.5 million: ~200 MB for a NICTER-scale
// day of 1.43 billion packets), never with the packets themselves.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/prefix.h"
#include "store/rows.h"

namespace iotwatch {

struct GenOptions {
    uint64_t seed = 1;
    int64_t start_ns = 1767225600LL * 1'000'000'000LL;  // 2026-01-01T00:00:00Z
    int64_t duration_s = 86400;
    uint64_t packets = 2'000'000;  // approximate total, darknet-bound and outside together
    std::vector<Prefix> darknet = {*Prefix::parse("198.18.0.0/16")};
    double outside_fraction = 0.01;  // share of packets addressed outside the darknet
    uint32_t snaplen = 0;            // 0 = full frames
    bool nanosecond = false;
};

struct GenSummary {
    uint64_t packets = 0;  // darknet-bound
    uint64_t outside = 0;
    uint64_t class_packets[kClassCount] = {};
    uint64_t sources = 0;  // distinct sources of darknet-bound packets
};

/// Streams the capture to `pcap_path` ("-" = stdout) and writes the ground truth JSON to
/// `truth_path` (empty = none). `progress` is called every 2^20 packets. Throws ConfigError on bad
/// options (IPv6-only darknet, empty darknet) and StoreError on I/O errors.
GenSummary generate_darknet(const GenOptions& options, const std::string& pcap_path, const std::string& truth_path,
                            const std::function<void(uint64_t)>& progress = {});

}  // namespace iotwatch

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "capture/decoded_packet.h"
#include "capture/packet_source.h"
#include "core/error.h"
#include "core/timestamp.h"
#include "gen/darknet_generator.h"

using namespace iotwatch;

namespace {
std::string tmp(const char* suffix) {
    static int n = 0;
    return "/tmp/iotwatch-gen-" + std::to_string(getpid()) + "-" + std::to_string(n++) + suffix;
}
std::string slurp(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}
}  // namespace

TEST(Gen, SameSeedSameBytesOtherSeedOtherBytes) {
    GenOptions o;
    o.packets = 20000;
    std::string a = tmp(".pcap"), b = tmp(".pcap"), c = tmp(".pcap");
    generate_darknet(o, a, "");
    generate_darknet(o, b, "");
    o.seed = 2;
    generate_darknet(o, c, "");
    EXPECT_EQ(slurp(a), slurp(b));
    EXPECT_NE(slurp(a), slurp(c));
    for (auto& f : {a, b, c}) std::remove(f.c_str());
}

// Reads the capture back through the capture module and checks what the generator promises:
// time order, the fingerprints of each population, backscatter shape and the outside share.
TEST(Gen, CaptureKeepsItsPromises) {
    GenOptions o;
    o.packets = 100000;
    o.seed = 9;
    std::string pcap = tmp(".pcap");
    GenSummary s = generate_darknet(o, pcap, "");
    auto src = open_capture_file(pcap);
    RawPacket raw;
    DecodedPacket p;
    int64_t last = INT64_MIN;
    uint64_t n = 0, outside = 0, mirai = 0, mirai23 = 0, mirai2323 = 0, zmap = 0, masscan = 0;
    std::map<std::string, std::pair<int64_t, int64_t>> victims;  // SYN/ACK sources: first/last
    std::map<std::string, uint64_t> victim_packets;
    const Prefix dark = *Prefix::parse("198.18.0.0/16");
    while (src->next(raw)) {
        ASSERT_GE(raw.ts_ns, last);
        last = raw.ts_ns;
        ++n;
        decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, p);
        ASSERT_EQ(p.status, DecodeStatus::kOk);
        if (!dark.contains(p.dst)) {
            ++outside;
            continue;
        }
        ASSERT_GE(p.ts_ns, o.start_ns);
        ASSERT_LT(p.ts_ns, o.start_ns + o.duration_s * kNanosPerSecond);
        if (p.protocol == kProtoTcp && p.tcp_flags == kTcpSyn && p.tcp_seq == p.dst.v4_value()) {
            ++mirai;
            mirai23 += p.dport == 23;
            mirai2323 += p.dport == 2323;
        }
        if (p.ip_id == 54321 && p.ttl == 255) ++zmap;
        if (p.protocol == kProtoTcp && p.tcp_flags == kTcpSyn && p.tcp_window == 1024 &&
            p.ip_id == ((p.dst.v4_value() ^ p.dport ^ p.tcp_seq) & 0xFFFF))
            ++masscan;
        if (p.protocol == kProtoTcp && (p.tcp_flags & 0x12) == 0x12) {
            auto& v = victims[p.src.to_string()];
            if (!victim_packets[p.src.to_string()]++) v.first = p.ts_ns;
            v.second = p.ts_ns;
        }
    }
    EXPECT_EQ(n, s.packets + s.outside);
    EXPECT_EQ(outside, s.outside);
    EXPECT_NEAR(double(outside) / double(n), o.outside_fraction, 0.004);
    EXPECT_GT(mirai, 45000u);
    EXPECT_NEAR(double(mirai23) / double(mirai23 + mirai2323), 0.9, 0.02);
    EXPECT_GT(zmap, 1000u);
    EXPECT_GT(masscan, 1000u);
    ASSERT_FALSE(victims.empty());
    for (auto& [v, span] : victims) {
        EXPECT_GE(victim_packets[v], 25u) << v;
        EXPECT_GE(span.second - span.first, 60 * kNanosPerSecond) << v;
    }
    std::remove(pcap.c_str());
}

TEST(Gen, TruthJsonCountsAddUp) {
    GenOptions o;
    o.packets = 30000;
    std::string pcap = tmp(".pcap"), truth = tmp(".json");
    GenSummary s = generate_darknet(o, pcap, truth);
    uint64_t sum = 0;
    for (auto c : s.class_packets) sum += c;
    EXPECT_EQ(sum, s.packets);
    std::string j = slurp(truth);
    EXPECT_NE(j.find("\"packets\":" + std::to_string(s.packets)), std::string::npos);
    EXPECT_NE(j.find("\"outside\":" + std::to_string(s.outside)), std::string::npos);
    EXPECT_NE(j.find("\"mirai_bots\":[{"), std::string::npos);
    EXPECT_NE(j.find("\"dos_victims\":[{"), std::string::npos);
    std::remove(pcap.c_str());
    std::remove(truth.c_str());
    o.darknet = {*Prefix::parse("2001:db8::/32")};
    EXPECT_THROW(generate_darknet(o, pcap, ""), ConfigError);
}

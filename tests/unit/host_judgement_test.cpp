#include <gtest/gtest.h>

#include "core/error.h"
#include "detect/host_judgement.h"

using namespace iotwatch;

namespace {
ScanEvent event(const char* src, uint8_t proto, uint16_t port, uint64_t packets, uint64_t mirai, int64_t start) {
    ScanEvent e;
    e.src = *IpAddress::parse(src);
    e.protocol = proto;
    e.port = port;
    e.packets = packets;
    e.destinations = packets;
    e.fingerprint_packets[kFpMirai] = mirai;
    e.start_ns = start;
    e.end_ns = start + 100;
    return e;
}
}  // namespace

TEST(HostJudgement, BuiltinDataFilesLoadAndCarrySources) {
    auto ports = PortTaxonomy::builtin();
    EXPECT_GE(ports.size(), 20u);
    EXPECT_EQ(ports.category(6, 23), "telnet");
    EXPECT_EQ(ports.category(6, 7547), "tr-069");
    EXPECT_EQ(ports.category(6, 3389), "");
    auto research = ResearchScannerList::builtin();
    EXPECT_GE(research.size(), 1u);
    ASSERT_TRUE(research.match(*IpAddress::parse("162.142.125.10")));
    EXPECT_EQ(*research.match(*IpAddress::parse("162.142.125.10")), "Censys");
    EXPECT_FALSE(research.match(*IpAddress::parse("8.8.8.8")));
}

TEST(HostJudgement, DataFileErrorsNameTheLine) {
    try {
        PortTaxonomy::parse("# c\ntcp\t23\ttelnet\nsctp\t1\tx\n", "ports.tsv");
        ADD_FAILURE();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("ports.tsv:3"), std::string::npos) << e.what();
    }
    EXPECT_THROW(ResearchScannerList::parse("10.0.0.0/8\tx\n", "r.tsv"), ConfigError);  // no source
    EXPECT_THROW(ResearchScannerList::parse("10.0.0.1/8\tx\tsrc\n", "r.tsv"), ConfigError);
}

TEST(HostJudgement, AppliesTheDocumentedRule) {
    auto ports = PortTaxonomy::builtin();
    auto research = ResearchScannerList::parse("198.51.100.0/24\tLab\ttest fixture\n", "r.tsv");
    std::vector<ScanEvent> events = {
        event("1.1.1.1", 6, 23, 100, 100, 10),   // Mirai on telnet: high
        event("1.1.1.1", 6, 2323, 50, 50, 5),    // same host, same evidence kind: merged
        event("1.1.1.1", 6, 7547, 40, 0, 20),    // and an IoT-port scan without fingerprint: medium
        event("2.2.2.2", 6, 3389, 500, 0, 0),    // not an IoT port, no fingerprint: not judged
        event("198.51.100.7", 6, 23, 900, 900, 0),  // research scanner: excluded
        event("3.3.3.3", 6, 80, 200, 20, 0),     // 10% Mirai: below half, but IoT port: medium
    };
    uint64_t excluded = 0;
    auto hosts = judge_infected_hosts(events, ports, research, &excluded);
    ASSERT_EQ(hosts.size(), 3u);
    EXPECT_EQ(excluded, 1u);
    EXPECT_EQ(hosts[0].src.to_string(), "1.1.1.1");
    EXPECT_EQ(hosts[0].evidence, "iot-port-scan");
    EXPECT_EQ(hosts[0].ports, "tcp/7547(tr-069)");
    EXPECT_EQ(hosts[1].evidence, "mirai-fingerprint");
    EXPECT_EQ(hosts[1].confidence, "high");
    EXPECT_EQ(hosts[1].packets, 150u);
    EXPECT_EQ(hosts[1].first_seen_ns, 5);
    EXPECT_EQ(hosts[1].last_seen_ns, 110);
    EXPECT_EQ(hosts[1].ports, "tcp/23(telnet) tcp/2323(telnet)");
    EXPECT_DOUBLE_EQ(hosts[1].mirai_fraction, 1.0);
    EXPECT_EQ(hosts[2].src.to_string(), "3.3.3.3");
    EXPECT_EQ(hosts[2].confidence, "medium");
    EXPECT_NEAR(hosts[2].mirai_fraction, 0.1, 1e-9);
}

TEST(HostJudgement, MiraiFingerprintsBelowScanThresholdsStillCount) {
    auto ports = PortTaxonomy::builtin();
    auto research = ResearchScannerList::parse("", "r.tsv");
    auto day = [](const char* src, uint64_t packets, uint64_t mirai) {
        SourceDayRow r;
        r.src = *IpAddress::parse(src);
        r.packets = packets;
        r.fingerprints[kFpMirai] = mirai;
        r.first_seen_ns = 1;
        r.last_seen_ns = 2;
        r.top_ports = "tcp/23:3";
        return r;
    };
    std::vector<SourceDayRow> rows = {day("4.4.4.4", 3, 3),        // a quiet bot: judged
                                      day("5.5.5.5", 1, 1),        // one match could be chance: not judged
                                      day("6.6.6.6", 100000, 3)};  // a big scanner with chance matches: not judged
    auto hosts = judge_infected_hosts({}, ports, research, nullptr, rows);
    ASSERT_EQ(hosts.size(), 1u);
    EXPECT_EQ(hosts[0].src.to_string(), "4.4.4.4");
    EXPECT_EQ(hosts[0].confidence, "high");
    EXPECT_EQ(hosts[0].ports, "tcp/23(telnet)");
    EXPECT_DOUBLE_EQ(hosts[0].mirai_fraction, 1.0);
}

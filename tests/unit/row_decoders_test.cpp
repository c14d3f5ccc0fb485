#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/row_decoders.h"

namespace iotwatch {
namespace {

// A selected row as both backends present it: text, i64 and f64 by column.
struct FakeRow {
    std::vector<std::string> cells;
    std::string text(size_t i) const { return cells.at(i); }
    int64_t i64(size_t i) const { return std::stoll(cells.at(i)); }
    double f64(size_t i) const { return std::stod(cells.at(i)); }
};

TEST(RowDecoders, PortCountsSkipDamagedTokensInsteadOfThrowing) {
    using V = std::vector<std::pair<uint16_t, uint64_t>>;
    EXPECT_EQ(row_decoders::parse_port_counts("80:3 443:18446744073709551615"), (V{{80, 3}, {443, UINT64_MAX}}));
    EXPECT_EQ(row_decoders::parse_port_counts(""), V{});
    // Not a pair, letters, a port past 65535, a count past 2^64-1, empty halves, double spaces.
    EXPECT_EQ(row_decoders::parse_port_counts("x 22 a:1 1:b 65536:1 7:18446744073709551616 :1 9:  65535:2"),
              (V{{65535, 2}}));
}

TEST(RowDecoders, DosAttackAndScanEventColumnsInOrder) {
    FakeRow attack{{"192.0.2.7", "6", "100", "200", "50", "31", "12.5", "40", "3", "80:30 443:20"}};
    auto a = row_decoders::dos_attack_from(attack);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->victim.to_string(), "192.0.2.7");
    EXPECT_EQ(a->protocol, 6);
    EXPECT_EQ(a->start_ns, 100);
    EXPECT_EQ(a->end_ns, 200);
    EXPECT_EQ(a->packets, 50u);
    EXPECT_EQ(a->max_window_packets, 31u);
    EXPECT_DOUBLE_EQ(a->rate_pps, 12.5);
    EXPECT_EQ(a->attackers, 40u);
    EXPECT_EQ(a->attacker_ports, 3u);
    ASSERT_EQ(a->victim_ports.size(), 2u);
    EXPECT_EQ(a->victim_ports[1], (std::pair<uint16_t, uint64_t>{443, 20}));

    FakeRow scan{{"2001:db8::1", "17", "5060", "1", "2", "300", "120", "99.5", "4", "3", "2", "1"}};
    auto e = row_decoders::scan_event_from(scan);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->src.to_string(), "2001:db8::1");
    EXPECT_EQ(e->port, 5060);
    EXPECT_EQ(e->destinations, 120u);
    EXPECT_EQ(e->fingerprint_packets[kFpMirai], 4u);
    EXPECT_EQ(e->fingerprint_packets[kFpLargeScanner], 1u);

    scan.cells[0] = "not an address";  // unreadable rows are skipped by the callers
    EXPECT_FALSE(row_decoders::scan_event_from(scan));
}

TEST(RowDecoders, SurveyResultNeedsAKnownOutcome) {
    FakeRow r{{"c1", "127.0.0.1", "23", "telnet", "7", "login-ok", "cred-3", "2", "10", "20", "127.0.0.2", "banner"}};
    auto s = row_decoders::survey_result_from(r);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->campaign, "c1");
    EXPECT_EQ(s->index, 7u);
    EXPECT_EQ(s->credential_id, "cred-3");
    EXPECT_EQ(s->detail, "banner");
    r.cells[5] = "no-such-outcome";
    EXPECT_FALSE(row_decoders::survey_result_from(r));
}

TEST(RowDecoders, FlowRecordNeedsAllThreeAddresses) {
    FakeRow r{{"127.0.0.1", "7", "10", "192.0.2.1", "198.51.100.2", "1234", "23", "6", "2", "10", "600", "5", "9", "100"}};
    auto f = row_decoders::flow_from(r);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->observation_domain, 7u);
    EXPECT_EQ(f->version, 10);
    EXPECT_EQ(f->dst.to_string(), "198.51.100.2");
    EXPECT_EQ(f->sport, 1234);
    EXPECT_EQ(f->dport, 23);
    EXPECT_EQ(f->tcp_flags, 2);
    EXPECT_EQ(f->octets, 600u);
    EXPECT_EQ(f->end_ns, 9);
    EXPECT_EQ(f->sampling_interval, 100u);
    r.cells[0] = "";  // no exporter
    EXPECT_FALSE(row_decoders::flow_from(r));
}

TEST(RowDecoders, SourceDayCarriesEveryFingerprint) {
    FakeRow r{{"19800", "192.0.2.9", "10", "20", "30", "1800", "tcp/23:25 tcp/2323:5", "3", "25", "4", "2", "1"}};
    auto s = row_decoders::source_day_from(r);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->day, 19800);
    EXPECT_EQ(s->src.to_string(), "192.0.2.9");
    EXPECT_EQ(s->packets, 30u);
    EXPECT_EQ(s->bytes, 1800u);
    EXPECT_EQ(s->top_ports, "tcp/23:25 tcp/2323:5");
    EXPECT_EQ(s->sensors, 3u);
    EXPECT_EQ(s->fingerprints[kFpMirai], 25u);
    EXPECT_EQ(s->fingerprints[kFpZmap], 4u);
    EXPECT_EQ(s->fingerprints[kFpMasscan], 2u);
    EXPECT_EQ(s->fingerprints[kFpLargeScanner], 1u);
}

TEST(TimeRange, NanosecondBoundsSaturate) {
    EXPECT_EQ(ns_bound(2), 2000000000);
    EXPECT_EQ(ns_bound(-2), -2000000000);
    EXPECT_EQ(ns_bound(INT64_MAX), INT64_MAX);
    EXPECT_EQ(ns_bound(INT64_MIN), INT64_MIN);
}

}  // namespace
}  // namespace iotwatch

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "core/byte_buffer.h"
#include "core/error.h"
#include "core/timestamp.h"
#include "telescope/packet_classifier.h"
#include "detect/ddos_features.h"
#include "detect/fingerprints.h"
#include "detect/svm_classifier.h"
#include "pipeline/row_merger.h"
#include "telescope/source_pair_log.h"
#include "telescope/telescope_aggregator.h"

using namespace iotwatch;

namespace {

constexpr int64_t kDay = 1767225600;  // 2026-01-01T00:00:00Z
int64_t at(int64_t seconds) { return (kDay + seconds) * kNanosPerSecond; }

Darknet test_darknet() { return Darknet({{"s1", {*Prefix::parse("198.18.0.0/24")}}, {"s2", {*Prefix::parse("198.19.0.0/24")}}}); }

DecodedPacket tcp(int64_t ts, const char* src, const char* dst, uint16_t dport, uint8_t flags) {
    DecodedPacket p;
    p.ts_ns = ts;
    p.ip_version = 4;
    p.protocol = kProtoTcp;
    p.src = *IpAddress::parse(src);
    p.dst = *IpAddress::parse(dst);
    p.has_l4 = true;
    p.sport = 40000;
    p.dport = dport;
    p.tcp_flags = flags;
    p.ip_bytes = 40;
    return p;
}

DecodedPacket udp(int64_t ts, const char* src, const char* dst, uint16_t dport) {
    DecodedPacket p = tcp(ts, src, dst, dport, 0);
    p.protocol = kProtoUdp;
    p.ip_bytes = 28;
    return p;
}

struct RecordingSink : BinSink {
    std::vector<BinRows> batches;
    std::vector<bool> finals;
    void on_rows(const BinRows& rows, bool final_rows) override {
        batches.push_back(rows);
        finals.push_back(final_rows);
    }
    // Latest value of each row key over all batches (what a REPLACE store would hold).
    std::map<std::tuple<int32_t, int64_t, int>, ClassBinRow> classes() const {
        std::map<std::tuple<int32_t, int64_t, int>, ClassBinRow> m;
        for (auto& b : batches)
            for (auto& r : b.classes) m[{r.width, r.bin_start, r.cls}] = r;
        return m;
    }
    std::map<std::tuple<int32_t, int64_t, int, int>, PortBinRow> ports() const {
        std::map<std::tuple<int32_t, int64_t, int, int>, PortBinRow> m;
        for (auto& b : batches)
            for (auto& r : b.ports) m[{r.width, r.bin_start, r.protocol, r.port}] = r;
        return m;
    }
    std::map<std::pair<int64_t, std::string>, SourceDayRow> sources() const {
        std::map<std::pair<int64_t, std::string>, SourceDayRow> m;
        for (auto& b : batches)
            for (auto& r : b.sources) m[{r.day, r.src.to_string()}] = r;
        return m;
    }
    std::map<std::pair<int32_t, int64_t>, BinMetaRow> meta() const {
        std::map<std::pair<int32_t, int64_t>, BinMetaRow> m;
        for (auto& b : batches)
            for (auto& r : b.meta) m[{r.width, r.bin_start}] = r;
        return m;
    }
};

}  // namespace

// The classifier against the DOMAIN.md rule written as independent, mutually exclusive predicates:
// for every flag byte exactly one predicate holds, and it is the class classify_tcp_flags returns.
TEST(TelescopeClassifier, TcpClassesAreExclusiveAndExhaustive) {
    for (int f = 0; f < 256; ++f) {
        const bool R = f & kTcpRst, S = f & kTcpSyn, A = f & kTcpAck, F = f & kTcpFin, P = f & kTcpPsh;
        const bool preds[7] = {
            R,                                  // RST if RST is set
            !R && S && A && !F,                 // else SYN/ACK if SYN+ACK without FIN
            !R && S && !A && !F,                // else SYN if SYN without ACK or FIN
            !R && F && !S,                      // else FIN if FIN without SYN
            !R && !(S && !F) && !(F && !S) && P,// else PUSH if PSH
            !R && !(S && !F) && !(F && !S) && !P && A, // else ACK
            !R && !(S && !F) && !(F && !S) && !P && !A // else other (no flags, SYN+FIN, URG only)
        };
        const PacketClass expected[7] = {kClassRst, kClassSynAck, kClassSyn, kClassFin, kClassPush, kClassAck, kClassTcpOther};
        int holds = 0, which = -1;
        for (int i = 0; i < 7; ++i)
            if (preds[i]) ++holds, which = i;
        ASSERT_EQ(holds, 1) << "flags " << f;
        EXPECT_EQ(classify_tcp_flags(static_cast<uint8_t>(f)), expected[which]) << "flags " << f;
        // ECE, CWR and URG never change the class.
        EXPECT_EQ(classify_tcp_flags(static_cast<uint8_t>(f | kTcpEce | kTcpCwr | kTcpUrg)),
                  classify_tcp_flags(static_cast<uint8_t>(f & ~(kTcpEce | kTcpCwr | kTcpUrg))));
    }
}

TEST(TelescopeClassifier, EveryProtocolHasExactlyOneClass) {
    DecodedPacket p;
    p.has_l4 = true;
    for (int proto = 0; proto < 256; ++proto) {
        p.protocol = static_cast<uint8_t>(proto);
        PacketClass c = classify_packet(p);
        ASSERT_LT(c, kClassCount);
        if (proto == kProtoUdp) {
            EXPECT_EQ(c, kClassUdp);
        } else if (proto == kProtoIcmp || proto == kProtoIcmp6) {
            EXPECT_EQ(c, kClassIcmp);
        } else if (proto != kProtoTcp) {
            EXPECT_EQ(c, kClassOtherIp);
        }
    }
    // Later fragments: protocol only.
    p.protocol = kProtoTcp;
    p.tcp_flags = kTcpSyn;
    p.is_later_fragment = true;
    EXPECT_EQ(classify_packet(p), kClassTcpOther);
    p.is_later_fragment = false;
    EXPECT_EQ(classify_packet(p), kClassSyn);
}

// classify_packet() reads a table built from classify_tcp_flags(): the same class for every byte.
TEST(TelescopeClassifier, PacketClassFollowsTheFlagRuleForEveryFlagByte) {
    DecodedPacket p;
    p.protocol = kProtoTcp;
    p.has_l4 = true;
    for (int f = 0; f < 256; ++f) {
        p.tcp_flags = static_cast<uint8_t>(f);
        EXPECT_EQ(classify_packet(p), classify_tcp_flags(static_cast<uint8_t>(f))) << "flags " << f;
    }
}

// A packet of the open 5-min bin takes a shortcut (a window of timestamps); its edges are exact to
// the nanosecond, and a packet before the window is late, through process() and process_batch().
TEST(TelescopeAggregator, OpenBinEdgesAreExactToTheNanosecond) {
    Darknet dn = test_darknet();
    for (bool batch : {false, true}) {
        RecordingSink sink;
        TelescopeAggregator agg(dn, sink);
        std::vector<DecodedPacket> ps = {
            tcp(at(300), "1.1.1.1", "198.18.0.1", 23, kTcpSyn),      // opens [300, 600)
            tcp(at(600) - 1, "1.1.1.2", "198.18.0.1", 23, kTcpSyn),  // its last nanosecond
            tcp(at(300) - 1, "1.1.1.3", "198.18.0.1", 23, kTcpSyn),  // one before it: late
            tcp(at(600), "1.1.1.4", "198.18.0.1", 23, kTcpSyn),      // opens [600, 900)
            tcp(at(600) - 1, "1.1.1.5", "198.18.0.1", 23, kTcpSyn),  // late now
            tcp(at(899), "1.1.1.6", "198.18.0.1", 23, kTcpSyn),
        };
        if (batch)
            agg.process_batch(ps.data(), ps.size());
        else
            for (const auto& p : ps) agg.process(p);
        agg.close_all();
        auto c = sink.classes();
        auto m = sink.meta();
        EXPECT_EQ(c.at({300, kDay + 300, kClassSyn}).packets, 3u);
        EXPECT_EQ(m.at({300, kDay + 300}).late, 1u);
        EXPECT_EQ(c.at({300, kDay + 600, kClassSyn}).packets, 3u);
        EXPECT_EQ(m.at({300, kDay + 600}).late, 1u);
    }
}

// Timestamps at both ends of the range: before 1970 they count at second 0; the last bins end at
// or past INT64_MAX nanoseconds (the open-bin window must neither overflow nor swallow the next bin).
TEST(TelescopeAggregator, TimestampsAtTheEndsOfTheRangeAreCounted) {
    Darknet dn = test_darknet();
    RecordingSink sink;
    TelescopeAggregator agg(dn, sink);
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    constexpr int64_t kBin = 300 * kNanosPerSecond;
    const int64_t last_bin = kMax / kNanosPerSecond / 300 * 300;  // seconds; it ends past kMax
    agg.process(tcp(-5, "1.1.1.1", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(1, "1.1.1.2", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(last_bin * kNanosPerSecond - kBin, "1.1.1.3", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(last_bin * kNanosPerSecond - 1, "1.1.1.4", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(last_bin * kNanosPerSecond, "1.1.1.5", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(kMax - 1, "1.1.1.6", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(kMax, "1.1.1.7", "198.18.0.1", 23, kTcpSyn));
    agg.close_all();
    auto c = sink.classes();
    auto m = sink.meta();
    EXPECT_EQ(c.at({300, 0, kClassSyn}).packets, 2u);
    EXPECT_EQ(m.at({300, 0}).late, 0u);
    EXPECT_EQ(c.at({300, last_bin - 300, kClassSyn}).packets, 2u);
    EXPECT_EQ(c.at({300, last_bin, kClassSyn}).packets, 3u);
    EXPECT_EQ(m.at({300, last_bin}).late, 0u);
}

// A checkpoint whose open 5-min bin lies past the timestamp range (the checkpoint fuzzer made one:
// the open-bin window's start overflowed) restores without undefined behaviour and still counts.
TEST(TelescopeAggregator, RestoredBinPastTheTimestampRangeIsSafe) {
    Darknet dn = test_darknet();
    RecordingSink sink;
    TelescopeAggregator agg(dn, sink);
    agg.process(tcp(at(300), "1.1.1.1", "198.18.0.1", 23, kTcpSyn));
    std::string blob = agg.serialize();
    // Layout: magic (u64 length + bytes), darknet description (the same), started (u8), cur5 (u32).
    const size_t magic_len = blob.size() > 8 ? static_cast<unsigned char>(blob[0]) : 0;
    const size_t dn_at = 8 + magic_len;
    const size_t dn_len = static_cast<unsigned char>(blob[dn_at]);
    const size_t cur5_at = dn_at + 8 + dn_len + 1;
    ASSERT_LT(cur5_at + 4, blob.size());
    uint32_t cur5 = 0;
    std::memcpy(&cur5, blob.data() + cur5_at, 4);
    ASSERT_EQ(cur5, static_cast<uint32_t>((kDay + 300) / 300 + 1));  // found the field
    for (uint32_t damaged : {0xFFFFFFFFu, 30744575u, 30744574u}) {
        std::string bad = blob;
        std::memcpy(bad.data() + cur5_at, &damaged, 4);
        RecordingSink sink2;
        TelescopeAggregator restored(dn, sink2);
        restored.restore(bad);
        restored.process(tcp(at(600), "1.1.1.2", "198.18.0.1", 23, kTcpSyn));  // older than that bin: late
        restored.close_all();
        uint64_t late = 0;
        for (const auto& [key, row] : sink2.meta())
            if (key.first == 300) late += row.late;
        EXPECT_EQ(late, 1u) << damaged;
    }
}

TEST(TelescopeAggregator, CountsBinsClassesAndExactUniques) {
    Darknet dn = test_darknet();
    RecordingSink sink;
    TelescopeAggregator agg(dn, sink);
    // Bin 0 (00:00-00:05): A sends 3 SYNs to 2 dsts, B one UDP; bin 1 (00:05-00:10): A again, C RST.
    agg.process(tcp(at(10), "1.1.1.1", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(at(20), "1.1.1.1", "198.18.0.2", 23, kTcpSyn));
    agg.process(tcp(at(30), "1.1.1.1", "198.18.0.2", 2323, kTcpSyn));
    agg.process(udp(at(40), "2.2.2.2", "198.19.0.9", 53));
    agg.process(tcp(at(50), "3.3.3.3", "8.8.8.8", 80, kTcpSyn));  // outside
    agg.process(tcp(at(310), "1.1.1.1", "198.18.0.3", 23, kTcpSyn));
    agg.process(tcp(at(320), "4.4.4.4", "198.18.0.3", 80, kTcpRst));
    agg.close_all();

    auto c = sink.classes();
    auto row = [&](int32_t w, int64_t start, int cls) { return c.at({w, kDay + start, cls}); };
    EXPECT_EQ(row(300, 0, kClassSyn).packets, 3u);
    EXPECT_EQ(row(300, 0, kClassSyn).sources, 1u);
    EXPECT_EQ(row(300, 0, kClassSyn).destinations, 2u);
    EXPECT_EQ(row(300, 0, kClassAll).packets, 4u);
    EXPECT_EQ(row(300, 0, kClassAll).sources, 2u);
    EXPECT_EQ(row(300, 0, kClassAll).destinations, 3u);
    EXPECT_EQ(row(300, 0, kClassAll).bytes, 3u * 40 + 28);
    EXPECT_EQ(row(300, 300, kClassSyn).packets, 1u);
    EXPECT_EQ(row(300, 300, kClassAll).sources, 2u);
    EXPECT_EQ(row(3600, 0, kClassSyn).packets, 4u);
    EXPECT_EQ(row(3600, 0, kClassSyn).sources, 1u);  // A in both 5-min bins is one host in the hour
    EXPECT_EQ(row(3600, 0, kClassSyn).destinations, 3u);
    EXPECT_EQ(row(3600, 0, kClassAll).sources, 3u);
    EXPECT_EQ(row(3600, 0, kClassAll).destinations, 4u);  // .1 .2 .3 and 198.19.0.9
    EXPECT_EQ(row(86400, 0, kClassRst).packets, 1u);
    EXPECT_EQ(row(86400, 0, kClassUdp).packets, 1u);
    EXPECT_EQ(c.count({86400, kDay, kClassAck}), 0u);

    auto p = sink.ports();
    EXPECT_EQ(p.at({300, kDay, kProtoTcp, 23}).packets, 2u);
    EXPECT_EQ(p.at({300, kDay, kProtoTcp, 23}).sources, 1u);
    EXPECT_EQ(p.at({86400, kDay, kProtoTcp, 23}).packets, 3u);
    EXPECT_EQ(p.at({86400, kDay, kProtoTcp, 23}).sources, 1u);
    EXPECT_EQ(p.at({86400, kDay, kProtoUdp, 53}).sources, 1u);

    auto m = sink.meta();
    EXPECT_EQ(m.at({86400, kDay}).outside, 1u);
    EXPECT_EQ(m.at({300, kDay}).outside, 1u);
    EXPECT_EQ(m.at({300, kDay + 300}).outside, 0u);

    auto s = sink.sources();
    const auto& a = s.at({kDay, "1.1.1.1"});
    EXPECT_EQ(a.packets, 4u);
    EXPECT_EQ(a.destinations, 3u);
    EXPECT_EQ(a.ports, 2u);
    EXPECT_EQ(a.top_ports, "tcp/23:3 tcp/2323:1");
    EXPECT_EQ(a.classes, 1u << kClassSyn);
    EXPECT_EQ(a.first_seen_ns, at(10));
    EXPECT_EQ(a.last_seen_ns, at(310));
    EXPECT_EQ(s.count({kDay, "3.3.3.3"}), 0u);  // outside traffic is not analysed
}

TEST(TelescopeAggregator, LateAndNonIpFramesAreCountedNotDropped) {
    Darknet dn = test_darknet();
    RecordingSink sink;
    TelescopeAggregator agg(dn, sink);
    agg.process(tcp(at(700), "1.1.1.1", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(at(100), "1.1.1.2", "198.18.0.1", 23, kTcpSyn));  // older than the open bin
    DecodedPacket arp;
    arp.ts_ns = at(701);
    arp.status = DecodeStatus::kNotIp;
    agg.process(arp);
    agg.close_all();
    auto m = sink.meta();
    EXPECT_EQ(m.at({300, kDay + 600}).late, 1u);
    EXPECT_EQ(m.at({300, kDay + 600}).not_ip, 1u);
    EXPECT_EQ(sink.classes().at({300, kDay + 600, kClassSyn}).packets, 2u);
}

TEST(TelescopeAggregator, DayRolloverEmitsSourceRowsOncePerDay) {
    Darknet dn = test_darknet();
    RecordingSink sink;
    TelescopeAggregator agg(dn, sink);
    agg.process(tcp(at(100), "1.1.1.1", "198.18.0.1", 23, kTcpSyn));
    agg.process(tcp(at(86400 + 5), "1.1.1.1", "198.18.0.2", 23, kTcpSyn));
    ASSERT_EQ(sink.batches.size(), 1u);  // the first day closed when the second began
    EXPECT_EQ(sink.batches[0].sources.size(), 1u);
    agg.close_all();
    auto s = sink.sources();
    EXPECT_EQ(s.at({kDay, "1.1.1.1"}).packets, 1u);
    EXPECT_EQ(s.at({kDay + 86400, "1.1.1.1"}).packets, 1u);
    EXPECT_EQ(sink.classes().at({86400, kDay + 86400, kClassAll}).sources, 1u);
}

TEST(TelescopeAggregator, DistinctDestinationsStayExactPastTheBitmapSwitch) {
    Darknet dn({{"big", {*Prefix::parse("198.18.0.0/16")}}});
    RecordingSink sink;
    TelescopeAggregator agg(dn, sink);
    std::mt19937 rng(7);
    std::set<uint32_t> truth;
    for (int i = 0; i < 20000; ++i) {
        uint32_t off = rng() % 65536;
        truth.insert(off);
        DecodedPacket p = tcp(at(i / 10), "5.5.5.5", "198.18.0.0", 23, kTcpSyn);
        p.dst = IpAddress::v4(0xC6120000u + off);
        agg.process(p);
    }
    agg.close_all();
    EXPECT_EQ(sink.sources().at({kDay, "5.5.5.5"}).destinations, truth.size());
    EXPECT_EQ(sink.classes().at({86400, kDay, kClassAll}).destinations, truth.size());
}

// A run cut in two by a checkpoint (serialize, new aggregator, restore) gives the same rows as one
// uninterrupted run: what the crash-safety of ingest rests on.
TEST(TelescopeAggregator, SnapshotRestoreContinuesExactly) {
    Darknet dn = test_darknet();
    std::vector<DecodedPacket> pkts;
    std::mt19937 rng(3);
    for (int i = 0; i < 5000; ++i) {
        char src[32], dst[32];
        std::snprintf(src, sizeof src, "10.0.%u.%u", unsigned(rng() % 4), unsigned(rng() % 50));
        std::snprintf(dst, sizeof dst, "198.%u.0.%u", unsigned(18 + rng() % 2), unsigned(rng() % 256));
        auto p = (rng() % 4) ? tcp(at(i * 20), src, dst, static_cast<uint16_t>(rng() % 30), static_cast<uint8_t>(rng() % 64))
                             : udp(at(i * 20), src, dst, 53);
        pkts.push_back(p);
    }
    RecordingSink whole;
    {
        TelescopeAggregator agg(dn, whole);
        for (auto& p : pkts) agg.process(p);
        agg.close_all();
    }
    // With flush_open() first (as ingest does: the logs are sorted and merged) and without it (the
    // logs are serialized as they stand, unsorted): both encodings must round-trip.
    std::string blob;
    for (bool flush_first : {true, false}) {
        SCOPED_TRACE(flush_first ? "flushed" : "not flushed");
        RecordingSink split;
        {
            TelescopeAggregator agg(dn, split);
            for (size_t i = 0; i < 2500; ++i) agg.process(pkts[i]);
            if (flush_first) agg.flush_open();
            blob = agg.serialize();
        }
        {
            TelescopeAggregator agg(dn, split);
            agg.restore(blob);
            for (size_t i = 2500; i < pkts.size(); ++i) agg.process(pkts[i]);
            agg.close_all();
        }
        const auto wc = whole.classes(), sc = split.classes();
        const auto wp = whole.ports(), sp = split.ports();
        const auto ws = whole.sources(), ss = split.sources();
        EXPECT_EQ(wc.size(), sc.size());
        EXPECT_EQ(ws.size(), ss.size());
        for (auto& [k, r] : wc) {
            auto& o = sc.at(k);
            EXPECT_EQ(r.packets, o.packets);
            EXPECT_EQ(r.sources, o.sources);
            EXPECT_EQ(r.destinations, o.destinations);
        }
        for (auto& [k, r] : wp) EXPECT_EQ(r.sources, sp.at(k).sources);
        for (auto& [k, r] : ws) {
            auto& o = ss.at(k);
            EXPECT_EQ(r.packets, o.packets);
            EXPECT_EQ(r.destinations, o.destinations);
            EXPECT_EQ(r.top_ports, o.top_ports);
        }
    }
    // A snapshot for another darknet is refused, and a corrupt one is an InputError.
    Darknet other({{"x", {*Prefix::parse("203.0.113.0/24")}}});
    RecordingSink ignored;
    TelescopeAggregator agg(other, ignored);
    EXPECT_THROW(agg.restore(blob), ConfigError);
    TelescopeAggregator agg2(dn, ignored);
    EXPECT_THROW(agg2.restore(blob.substr(0, blob.size() / 2)), InputError);
    // Another version's snapshot names both versions and the way out; garbage says what it is not.
    ByteWriter old_version;
    old_version.put_string("iotwatch-aggregator-v7");
    try {
        agg2.restore(old_version.data());
        ADD_FAILURE() << "an older snapshot was accepted";
    } catch (const InputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("state v7"), std::string::npos) << what;
        EXPECT_NE(what.find("--reset"), std::string::npos) << what;
    }
    ByteWriter garbage;
    garbage.put_string("something else");
    EXPECT_THROW(agg2.restore(garbage.data()), InputError);
}

TEST(TelescopeDarknet, RejectsOverlapsAndFindsSensors) {
    EXPECT_THROW(Darknet({{"a", {*Prefix::parse("198.18.0.0/16")}}, {"b", {*Prefix::parse("198.18.5.0/24")}}}),
                 ConfigError);
    Darknet dn = test_darknet();
    auto m = dn.lookup(*IpAddress::parse("198.19.0.7"));
    ASSERT_TRUE(m);
    EXPECT_EQ(dn.sensors()[m->sensor].name, "s2");
    EXPECT_EQ(m->dense_index, 256u + 7u);
    EXPECT_FALSE(dn.lookup(*IpAddress::parse("198.19.1.0")));
    EXPECT_DOUBLE_EQ(dn.extrapolation_factor(), 4294967296.0 / 512);
}

// Two partitioned workers fed the same packets, joined by RowMerger, store exactly what one
// aggregator stores: the basis of `ingest --threads 2`.
TEST(TelescopeAggregator, PartitionedWorkersMergeToTheSingleWorkerRows) {
    Darknet dn = test_darknet();
    std::vector<DecodedPacket> pkts;
    std::mt19937 rng(5);
    for (int i = 0; i < 20000; ++i) {
        char src[32], dst[32];
        std::snprintf(src, sizeof src, "10.%u.%u.%u", unsigned(rng() % 3), unsigned(rng() % 8), unsigned(rng() % 40));
        std::snprintf(dst, sizeof dst, "198.%u.%u.%u", unsigned(18 + rng() % 2), unsigned(rng() % 2), unsigned(rng() % 256));
        auto p = (rng() % 5) ? tcp(at(i * 9), src, dst, static_cast<uint16_t>(rng() % 40), static_cast<uint8_t>(rng() % 64))
                             : udp(at(i * 9), src, dst, static_cast<uint16_t>(rng() % 5));
        if (rng() % 50 == 0) p.status = DecodeStatus::kNotIp;
        if (rng() % 60 == 0) p.ts_ns -= 400LL * kNanosPerSecond;  // late
        pkts.push_back(p);
    }
    RecordingSink single;
    {
        TelescopeAggregator agg(dn, single);
        agg.process_batch(pkts.data(), pkts.size());
        agg.flush_open();
        agg.close_all();
    }
    RecordingSink joined;
    {
        RowMerger merger(joined, 2);
        TelescopeAggregator a(dn, merger.worker_sink(0)), b(dn, merger.worker_sink(1));
        a.set_partition(0, 2);
        b.set_partition(1, 2);
        a.process_batch(pkts.data(), pkts.size());
        EXPECT_GT(merger.pending(), 0u);  // a's events wait for b's
        b.process_batch(pkts.data(), pkts.size());
        a.flush_open();
        b.flush_open();
        a.close_all();
        b.close_all();
        EXPECT_EQ(merger.pending(), 0u);
    }
    ASSERT_EQ(single.batches.size(), joined.batches.size());
    auto key_rows = [](const RecordingSink& s) {
        std::vector<std::string> out;
        for (auto& b : s.batches) {
            for (auto& r : b.classes)
                out.push_back("c " + std::to_string(r.width) + " " + std::to_string(r.bin_start) + " " + std::to_string(r.cls) +
                              " " + std::to_string(r.packets) + " " + std::to_string(r.bytes) + " " +
                              std::to_string(r.sources) + " " + std::to_string(r.destinations));
            for (auto& r : b.ports)
                out.push_back("p " + std::to_string(r.width) + " " + std::to_string(r.bin_start) + " " +
                              std::to_string(r.protocol) + "/" + std::to_string(r.port) + " " +
                              std::to_string(r.packets) + " " + std::to_string(r.sources));
            for (auto& r : b.meta)
                out.push_back("m " + std::to_string(r.width) + " " + std::to_string(r.bin_start) + " " +
                              std::to_string(r.outside) + " " + std::to_string(r.not_ip) + " " + std::to_string(r.late));
            for (auto& r : b.sources)
                out.push_back("s " + std::to_string(r.day) + " " + r.src.to_string() + " " + std::to_string(r.packets) +
                              " " + std::to_string(r.destinations) + " " + std::to_string(r.ports) + " " + r.top_ports);
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    auto s1 = key_rows(single), s2 = key_rows(joined);
    EXPECT_GT(s1.size(), 100u);
    EXPECT_EQ(s1, s2);
}

// Detection with two partitioned workers equals one worker: scan events, and DoS attacks whose
// backscatter comes from many sources (ICMP errors sent by routers on the way to the victim, so
// the victim is the quoted destination). Partitioning such packets by their source would split
// the victim's vector between the workers; they are partitioned by victim.
TEST(TelescopeAggregator, PartitionedDetectionFindsTheSameAttacksAndScans) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    std::vector<DecodedPacket> pkts;
    std::mt19937 rng(9);
    for (int i = 0; i < 6000; ++i) {
        const int64_t ts = at(i / 10);  // 10 packets a second for 600 s
        const unsigned dark = rng() % 65536;
        char dst[32];
        std::snprintf(dst, sizeof dst, "198.18.%u.%u", dark >> 8, dark & 255);
        if (i % 3 == 0) {  // host unreachable from one of 40 routers, quoting a probe to one of 3 victims
            char router[32];
            std::snprintf(router, sizeof router, "10.9.%u.1", unsigned(rng() % 40));
            DecodedPacket p = tcp(ts, router, dst, 0, 0);
            p.protocol = kProtoIcmp;
            p.icmp_type = 3;
            p.icmp_code = 1;
            p.has_quoted = true;
            p.quoted.protocol = kProtoTcp;
            p.quoted.src = p.dst;
            p.quoted.dst = IpAddress::v4(0x05060700u + unsigned(rng() % 3));
            p.quoted.has_ports = true;
            p.quoted.sport = static_cast<uint16_t>(1024 + rng() % 1000);
            p.quoted.dport = 80;
            pkts.push_back(p);
        } else if (i % 3 == 1) {  // SYN/ACKs from one of 5 victims
            char victim[32];
            std::snprintf(victim, sizeof victim, "20.0.0.%u", unsigned(rng() % 5));
            DecodedPacket p = tcp(ts, victim, dst, static_cast<uint16_t>(1024 + rng() % 1000), kTcpSyn | kTcpAck);
            p.sport = 443;
            pkts.push_back(p);
        } else {  // SYN probes of 8 scanners to ports 23 and 2323 (about 225 and 25 each)
            char scanner[32];
            std::snprintf(scanner, sizeof scanner, "30.0.%u.7", unsigned(rng() % 8));
            pkts.push_back(tcp(ts, scanner, dst, rng() % 10 ? 23 : 2323, kTcpSyn));
        }
    }
    // `on_thread`: one worker whose detectors run on their own thread (DetectorThread); with
    // `restart` it checkpoints half way (flush, serialize) and a new one restores and goes on.
    auto detections = [&](unsigned workers, bool on_thread = false, bool restart = false) {
        RecordingSink sink;
        if (restart) {
            const size_t half = pkts.size() / 2;
            std::string blob;
            {
                TelescopeAggregator a(dn, sink);
                a.enable_detection();
                if (on_thread) a.run_detectors_on_thread();
                EXPECT_EQ(a.detectors_on_thread(), on_thread);
                a.process_batch(pkts.data(), half);
                a.flush_open();  // as a checkpoint does: hands over what ended, and open events
                blob = a.serialize();
            }
            TelescopeAggregator b(dn, sink);
            b.enable_detection();
            if (on_thread) b.run_detectors_on_thread();
            b.restore(blob);
            for (size_t i = half; i < pkts.size(); ++i) b.process(pkts[i]);  // the one-packet path too
            b.close_all();
        } else {
            RowMerger merger(sink, workers);
            std::vector<std::unique_ptr<TelescopeAggregator>> aggs;
            for (unsigned w = 0; w < workers; ++w) {
                aggs.push_back(std::make_unique<TelescopeAggregator>(dn, merger.worker_sink(w)));
                if (workers > 1) aggs.back()->set_partition(w, workers);
                aggs.back()->enable_detection();
                if (on_thread) aggs.back()->run_detectors_on_thread();
                EXPECT_EQ(aggs.back()->detectors_on_thread(), on_thread && workers == 1);
            }
            for (auto& a : aggs) a->process_batch(pkts.data(), pkts.size());
            for (auto& a : aggs) a->close_all();
        }
        std::vector<std::string> out;
        for (const auto& b : sink.batches) {
            for (const auto& a : b.attacks)
                out.push_back("dos " + a.victim.to_string() + " " + std::to_string(a.protocol) + " " +
                              std::to_string(a.start_ns) + " " + std::to_string(a.end_ns) + " " +
                              std::to_string(a.packets) + " " + std::to_string(a.attackers));
            for (const auto& e : b.scans)
                out.push_back("scan " + e.src.to_string() + " " + std::to_string(e.port) + " " +
                              std::to_string(e.packets) + " " + std::to_string(e.destinations));
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    const auto one = detections(1), two = detections(2);
    EXPECT_EQ(std::count_if(one.begin(), one.end(), [](const std::string& s) { return s.rfind("dos 5.6.7.", 0) == 0; }), 3);
    EXPECT_EQ(std::count_if(one.begin(), one.end(), [](const std::string& s) { return s.rfind("dos 20.0.0.", 0) == 0; }), 5);
    EXPECT_EQ(std::count_if(one.begin(), one.end(), [](const std::string& s) { return s.rfind("scan 30.0.", 0) == 0; }), 8);
    EXPECT_EQ(one, two);
    EXPECT_EQ(one, detections(1, true));
    // Across a checkpoint (whose open events are handed over too, so compared with each other).
    const auto restarted = detections(1, false, true);
    EXPECT_GT(restarted.size(), one.size());
    EXPECT_EQ(restarted, detections(1, true, true));
    // A partitioned worker ignores the request: its detectors stay in its own path.
    EXPECT_EQ(one, detections(2, true));
}

// The grouped pair logs (4- and 8-byte entries) against a std::set: groups of 256 ids, several
// chunks in a group, pairs added again after a compaction (the new pairs are merged into the
// group's sorted run, surplus chunks return to the pool), a new day reusing the pool;
// destinations up to the entry's limit. Both with the chunks sorted at compaction only and with
// them sorted on the log's background thread as they fill (start_background()).
template <typename Log>
class SourcePairLogTest : public ::testing::Test {};
using PairLogTypes = ::testing::Types<DensePairLog, AddressPairLog>;
TYPED_TEST_SUITE(SourcePairLogTest, PairLogTypes);
TYPED_TEST(SourcePairLogTest, CountsAndOrdersLikeASet) {
    for (const bool background : {false, true}) {
        std::mt19937 rng;
        TypeParam log;
        if (background) log.start_background();
        EXPECT_EQ(log.sorting_in_background(), background);
        const uint32_t top = static_cast<uint32_t>(TypeParam::kDestinationLimit - 1);
        uint64_t pooled = 0;
        for (int day = 0; day < 3; ++day) {
            rng.seed(21);  // the same pairs every day: the same chunks and sort buffers are needed
            std::set<uint64_t> want;
            for (int round = 0; round < 3; ++round) {
                for (int i = 0; i < 60000; ++i) {
                    // ids 0..299 dense (group 0 gets most pairs, over several chunks), a few up to 5000
                    const uint32_t id = rng() % 10 ? rng() % 300 : rng() % 5000;
                    uint32_t dst = rng() % (round == 0 ? 64u : 4096u);
                    if (i % 1000 == 0) dst = top - dst;  // the highest destinations too
                    log.add(id, dst);
                    want.insert(uint64_t(id) << 32 | dst);
                }
                {  // Before the compaction every pair held counts (runs, chunks and staged pairs,
                   // duplicates too), not only the groups' first runs (fails when the sorted-run
                   // path is taken for an uncompacted log).
                    std::vector<uint64_t> distinct(5000, 0), expect(5000, 0);
                    log.count_per_source(distinct);
                    log.for_each([&](uint64_t k) { ++expect[k >> 32]; });
                    ASSERT_EQ(distinct, expect);
                }
                log.compact();
                ASSERT_TRUE(log.compacted());
                std::vector<uint64_t> got;
                log.for_each([&](uint64_t k) { got.push_back(k); });
                ASSERT_EQ(got, std::vector<uint64_t>(want.begin(), want.end()))
                    << "background " << background << " day " << day << " round " << round;
                std::vector<uint64_t> distinct(5000, 0), expect(5000, 0);
                log.count_per_source(distinct);
                for (uint64_t k : want) ++expect[k >> 32];
                ASSERT_EQ(distinct, expect);
                EXPECT_EQ(log.size(), want.size());
            }
            log.clear();
            EXPECT_EQ(log.size(), 0u);
            // What stays after a day is the chunk pool and the sort buffers, the same every day
            // (the sorted runs are freed; chunks handed to the sorting thread came back).
            if (day == 1) pooled = log.memory_bytes();
            if (day == 2) EXPECT_EQ(log.memory_bytes(), pooled) << "background " << background;
        }
    }
}

// The background sorting thread as pairs keep coming: a group gets many chunks between
// compactions, so the thread merges its runs over and over (a run is merged into the one before
// it once it is at least half its length); set comparisons after compactions at odd moments,
// for_each and size() before a compaction (the same pairs, not yet in key order), and pairs
// after stop_background() (the thread's runs become the log's own).
TYPED_TEST(SourcePairLogTest, BackgroundSortingMergesRunsAsChunksFill) {
    std::mt19937 rng(8);
    TypeParam log;
    log.start_background();
    std::set<uint64_t> want;
    std::vector<uint64_t> added;
    auto add = [&](int n, uint32_t ids) {
        for (int i = 0; i < n; ++i) {
            const uint32_t id = rng() % ids;
            const uint32_t dst = rng() % 50000;
            log.add(id, dst);
            want.insert(uint64_t(id) << 32 | dst);
        }
    };
    auto check = [&](const std::string& how) {
        log.compact();
        std::vector<uint64_t> got;
        log.for_each([&](uint64_t k) { got.push_back(k); });
        ASSERT_EQ(got, std::vector<uint64_t>(want.begin(), want.end())) << how;
        ASSERT_TRUE(log.compacted()) << how;
    };
    add(400000, 256);  // one group, ~100 chunks of 4-byte entries: runs merge many times
    {
        std::set<uint64_t> seen;  // before compact(): every pair, once or more, any order
        log.for_each([&](uint64_t k) { seen.insert(k); });
        EXPECT_EQ(seen, want);
        EXPECT_FALSE(log.compacted());
        EXPECT_GE(log.size(), want.size());
    }
    check("one group");
    add(300000, 2000);  // eight groups
    check("eight groups");
    add(1000, 2000);  // only the chunks' tails: nothing handed over
    check("tails");
    log.stop_background();
    EXPECT_FALSE(log.sorting_in_background());
    add(100000, 2000);
    check("after stop_background()");
}

// One compaction shared by two threads (compact(&share) and help_compact(share)): the same set
// whoever sorts which group, with the helper before, after, or at the same time as the owner;
// and the chunks a helper's groups gave back return to the pool (a day of 500 k copies of ten
// pairs frees ~30 chunks a day: lost, the next days would need new slabs).
TYPED_TEST(SourcePairLogTest, TwoThreadsShareACompaction) {
    for (const bool background : {false, true}) {  // chunks sorted at compaction only / as they fill
        std::mt19937 rng(5);
        TypeParam log;
        if (background) log.start_background();
        std::set<uint64_t> want;
        auto add = [&](int n) {
            for (int i = 0; i < n; ++i) {
                const uint32_t id = rng() % 20000;  // 79 groups
                const uint32_t dst = rng() % 3000;
                log.add(id, dst);
                want.insert(uint64_t(id) << 32 | dst);
            }
        };
        auto check = [&](const char* how) {
            std::vector<uint64_t> got;
            log.for_each([&](uint64_t k) { got.push_back(k); });
            ASSERT_EQ(got, std::vector<uint64_t>(want.begin(), want.end())) << how << (background ? " (background)" : "");
            ASSERT_TRUE(log.compacted()) << how << (background ? " (background)" : "");
        };
        for (int round = 0; round < 6; ++round) {
            add(round == 0 ? 200000 : 20000);  // later rounds: some groups sorted, some changed
            typename TypeParam::Share share;
            switch (round % 3) {
                case 0: {  // both at once
                    std::thread helper([&] { log.help_compact(share); });
                    log.compact(&share);
                    helper.join();
                    break;
                }
                case 1:  // the helper does every group, the owner none
                    log.help_compact(share);
                    log.compact(&share);
                    break;
                case 2:  // the owner does every group, the helper comes too late to find one
                    log.compact(&share);
                    log.help_compact(share);
                    break;
            }
            check(round % 3 == 0 ? "both" : round % 3 == 1 ? "helper first" : "owner first");
        }

        uint64_t held = 0;
        for (int day = 0; day < 4; ++day) {
            log.clear();
            for (int i = 0; i < 500000; ++i) log.add(0, uint32_t(i % 10));
            typename TypeParam::Share share;
            log.help_compact(share);
            log.compact(&share);
            EXPECT_EQ(log.size(), 10u);
            // (Without the staging slabs: in the background mode their number depends on how
            // far this thread ran ahead of the sorting one, which varied with the machine's load.)
            const uint64_t bytes = log.memory_bytes() - log.staging_bytes();
            if (day == 1) held = bytes;
            if (day > 1) {
                EXPECT_EQ(bytes, held) << "day " << day << ": the helper's chunks did not return to the pool";
            }
        }
    }
}

/// Runs `pkts` through one aggregator, and through one snapshotted after `split` packets
/// (`flush_first`: flush_open() before the snapshot, as a checkpoint does) whose snapshot is
/// restored into a second that takes the rest; calls `check(sink)` on each run's rows.
template <typename Check>
void run_straight_and_resumed(const Darknet& dn, const std::vector<DecodedPacket>& pkts, size_t split,
                              bool flush_first, Check check) {
    RecordingSink straight;
    {
        TelescopeAggregator agg(dn, straight);
        agg.process_batch(pkts.data(), pkts.size());
        agg.close_all();
    }
    check(straight);
    RecordingSink resumed;
    {
        std::string blob;
        {
            TelescopeAggregator agg(dn, resumed);
            agg.process_batch(pkts.data(), split);
            if (flush_first) agg.flush_open();
            blob = agg.serialize();
        }
        TelescopeAggregator agg(dn, resumed);
        agg.restore(blob);
        agg.process_batch(pkts.data() + split, pkts.size() - split);
        agg.close_all();
    }
    check(resumed);
}

// Unique sources per (bin, port) and each source's distinct ports and top ports, against a brute
// force over the packets. Sources probe 1 to 12 ports, so their first pairs are counted in the
// source record and the rest in the (source, port) logs; a mid-run flush_open() and a checkpoint
// round trip must not change a count. Two days, late packets included.
TEST(TelescopeAggregator, PortCountsMatchABruteForceAcrossInlineAndLoggedPairs) {
    Darknet dn = test_darknet();
    std::vector<DecodedPacket> pkts;
    std::mt19937 rng(11);
    std::vector<int> width_of(200);
    for (auto& w : width_of) w = 1 + int(rng() % 12);
    for (int i = 0; i < 30000; ++i) {
        const unsigned src_n = unsigned(rng() % 200);
        char src[32];
        std::snprintf(src, sizeof src, "10.1.0.%u", src_n);
        const uint16_t port = static_cast<uint16_t>(1000 + rng() % unsigned(width_of[src_n]));
        auto p = (rng() % 4) ? tcp(at(i * 6), src, "198.18.0.7", port, kTcpSyn) : udp(at(i * 6), src, "198.18.0.7", port);
        if (rng() % 40 == 0) p.ts_ns -= 700LL * kNanosPerSecond;  // late: counted in the open bin
        pkts.push_back(p);
    }
    // Brute force: the open bins as the aggregator sees them (a late packet counts in the open one).
    std::map<std::tuple<int32_t, int64_t, int, int>, std::set<std::string>> want_ports;
    std::map<std::pair<int64_t, std::string>, std::map<uint32_t, uint64_t>> want_src;
    int64_t open5 = -1;
    for (const auto& p : pkts) {
        const int64_t s = p.ts_ns / kNanosPerSecond;
        if (s - s % 300 > open5) open5 = s - s % 300;
        const std::string src = p.src.to_string();
        for (int32_t w : {300, 3600, 86400})
            want_ports[{w, open5 - open5 % w, p.protocol, p.dport}].insert(src);
        ++want_src[{open5 - open5 % 86400, src}][(p.protocol == kProtoUdp ? 65536u : 0u) | p.dport];
    }
    auto check = [&](const RecordingSink& sink) {
        const auto ports = sink.ports();
        ASSERT_EQ(ports.size(), want_ports.size());
        for (const auto& [k, srcs] : want_ports) EXPECT_EQ(ports.at(k).sources, srcs.size());
        const auto sources = sink.sources();
        ASSERT_EQ(sources.size(), want_src.size());
        for (const auto& [k, per_port] : want_src) {
            const SourceDayRow& r = sources.at(k);
            EXPECT_EQ(r.ports, per_port.size()) << k.second;
            std::vector<std::pair<uint64_t, uint32_t>> order;  // packets desc, then key asc
            for (const auto& [key, n] : per_port) order.push_back({n, key});
            std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
            std::string top;
            for (size_t i = 0; i < order.size() && i < 5; ++i)
                top += std::string(top.empty() ? "" : " ") + (order[i].second >> 16 ? "udp/" : "tcp/") +
                       std::to_string(order[i].second & 0xFFFF) + ":" + std::to_string(order[i].first);
            EXPECT_EQ(r.top_ports, top) << k.second;
        }
    };
    run_straight_and_resumed(dn, pkts, 17000, true, check);
}

// Port packet counts are queued per packet and applied in batches (Level::count_port_packet):
// thousands of TCP/UDP packets in one 5-min bin fill the queue several times, and a snapshot taken
// with increments still queued must carry them. Counts must equal a brute force either way.
TEST(TelescopeAggregator, PortPacketCountsStayExactAcrossQueuedIncrementsAndSnapshots) {
    Darknet dn = test_darknet();
    std::vector<DecodedPacket> pkts;
    std::mt19937 rng(29);
    for (int i = 0; i < 20000; ++i) {
        char src[32];
        std::snprintf(src, sizeof src, "10.2.0.%u", unsigned(rng() % 50));
        const uint16_t port = static_cast<uint16_t>(rng() % 5000);
        pkts.push_back((rng() % 4) ? tcp(at(0) + int64_t(i) * 10'000'000, src, "198.18.0.9", port, kTcpSyn)
                                   : udp(at(0) + int64_t(i) * 10'000'000, src, "198.18.0.9", port));
    }
    std::map<std::tuple<int32_t, int64_t, int, int>, uint64_t> want;
    int64_t open5 = -1;
    for (const auto& p : pkts) {
        const int64_t s = p.ts_ns / kNanosPerSecond;
        if (s - s % 300 > open5) open5 = s - s % 300;
        for (int32_t w : {300, 3600, 86400}) ++want[{w, open5 - open5 % w, p.protocol, p.dport}];
    }
    auto check = [&](const RecordingSink& sink) {
        const auto ports = sink.ports();
        ASSERT_EQ(ports.size(), want.size());
        for (const auto& [k, n] : want) EXPECT_EQ(ports.at(k).packets, n);
    };
    // 7777: not a multiple of the queue's length; no flush_open() first, which would settle the
    // queue through its fold, so the snapshot itself must.
    run_straight_and_resumed(dn, pkts, 7777, false, check);
}

// An IPv6 prefix makes the darknet non-dense: destinations go through the hash-keyed paths
// (per-bin table, IPv6 pair log). Counts must be as exact as on the dense path.
TEST(TelescopeAggregator, Ipv6DarknetCountsExactly) {
    Darknet dn({{"v6", {*Prefix::parse("2001:db8:dead::/48")}}, {"v4", {*Prefix::parse("198.18.0.0/24")}}});
    ASSERT_FALSE(dn.dense());
    RecordingSink sink;
    TelescopeAggregator agg(dn, sink);
    auto v6 = [](int64_t ts, const char* src, const char* dst, uint16_t dport) {
        DecodedPacket p = tcp(ts, "1.1.1.1", "198.18.0.1", dport, kTcpSyn);
        p.ip_version = 6;
        p.src = *IpAddress::parse(src);
        p.dst = *IpAddress::parse(dst);
        return p;
    };
    agg.process(v6(at(1), "2001:db8:1::1", "2001:db8:dead::1", 22));
    agg.process(v6(at(2), "2001:db8:1::1", "2001:db8:dead::2", 22));
    agg.process(v6(at(3), "2001:db8:1::1", "2001:db8:dead::2", 23));  // repeat destination
    agg.process(v6(at(4), "2001:db8:2::9", "2001:db8:dead::1", 22));
    agg.process(tcp(at(5), "2001:db8:1::1", "198.18.0.9", 22, kTcpSyn));  // same source, IPv4 destination
    agg.process(v6(at(6), "2001:db8:1::1", "2001:db8:beef::1", 22));    // outside
    agg.close_all();
    auto c = sink.classes();
    EXPECT_EQ(c.at({86400, kDay, kClassAll}).packets, 5u);
    EXPECT_EQ(c.at({86400, kDay, kClassAll}).destinations, 3u);
    EXPECT_EQ(c.at({86400, kDay, kClassAll}).sources, 2u);
    auto s = sink.sources();
    EXPECT_EQ(s.at({kDay, "2001:db8:1::1"}).destinations, 3u);  // dead::1, dead::2, 198.18.0.9
    EXPECT_EQ(s.at({kDay, "2001:db8:1::1"}).ports, 2u);
    EXPECT_EQ(s.at({kDay, "2001:db8:2::9"}).destinations, 1u);
    EXPECT_EQ(sink.meta().at({86400, kDay}).outside, 1u);
}

TEST(TelescopeAggregator, CountsFingerprintsPerSourceDay) {
    Darknet dn = test_darknet();
    RecordingSink sink;
    TelescopeAggregator agg(dn, sink);
    for (int i = 0; i < 3; ++i) {
        DecodedPacket p = tcp(at(10 + i), "7.7.7.7", "198.18.0.4", 23, kTcpSyn);
        p.ip_version = 4;
        if (i < 2) p.tcp_seq = p.dst.v4_value();  // Mirai: seq == destination
        if (i == 2) p.ip_id = 54321;              // ZMap
        agg.process(p);
    }
    agg.close_all();
    const auto r = sink.sources().at({kDay, "7.7.7.7"});
    EXPECT_EQ(r.fingerprints[kFpMirai], 2u);
    EXPECT_EQ(r.fingerprints[kFpZmap], 1u);
    EXPECT_EQ(r.fingerprints[kFpMasscan], 0u);
}

// RowMerger merges workers' rows that come in key order as runs, and sorts rows in any other
// order first: both give each key once with the sums, and the united destination counts.
TEST(RowMerger, SumsRowsInKeyOrderOrNotAndUnitesDestinations) {
    BinRows a, b;
    a.ports = {{0, 300, 6, 23, 5, 2}, {0, 300, 6, 80, 1, 1}, {0, 3600, 6, 23, 5, 2}};  // in key order
    b.ports = {{0, 3600, 6, 23, 1, 1}, {0, 300, 17, 53, 2, 1}, {0, 300, 6, 23, 3, 1}};  // not
    a.classes = {{0, 300, 0, 6, 360, 2, 0}, {0, 300, kClassAll, 6, 360, 2, 0}};
    b.classes = {{0, 300, 0, 3, 180, 1, 0}, {0, 300, 7, 2, 100, 1, 0}, {0, 300, kClassAll, 5, 280, 2, 0}};
    // Destinations 0..3 of a /30 darknet: a's SYNs went to 0 and 1, b's to 1 and 2, b's UDP to 3.
    const size_t words = 1;
    a.destination_marks.push_back({0, 300, std::vector<uint64_t>(kClassCount * words, 0), {}});
    b.destination_marks.push_back({0, 300, std::vector<uint64_t>(kClassCount * words, 0), {}});
    a.destination_marks[0].bits[0] = 0b0011;
    b.destination_marks[0].bits[0] = 0b0110;
    b.destination_marks[0].bits[7] = 0b1000;
    for (const auto& parts : {std::vector<const BinRows*>{&a, &b}, std::vector<const BinRows*>{&b, &a}}) {
        const BinRows m = RowMerger::merge(parts);
        std::vector<std::string> ports;
        for (const auto& r : m.ports)
            ports.push_back(std::to_string(r.width) + " " + std::to_string(int(r.protocol)) + "/" + std::to_string(r.port) +
                            " " + std::to_string(r.packets) + " " + std::to_string(r.sources));
        EXPECT_EQ(ports, (std::vector<std::string>{"300 6/23 8 3", "300 6/80 1 1", "300 17/53 2 1", "3600 6/23 6 3"}));
        ASSERT_EQ(m.classes.size(), 3u);
        EXPECT_EQ(m.classes[0].packets, 9u);
        EXPECT_EQ(m.classes[0].destinations, 3u);  // 0, 1, 2: destination 1 once
        EXPECT_EQ(m.classes[1].cls, 7);
        EXPECT_EQ(m.classes[1].destinations, 1u);
        EXPECT_EQ(m.classes[2].cls, kClassAll);
        EXPECT_EQ(m.classes[2].packets, 11u);
        EXPECT_EQ(m.classes[2].destinations, 4u);
        EXPECT_TRUE(m.destination_marks.empty());
    }
}

// The bound a reader uses to skip other workers' packets is the 5-min bin process() uses: a
// packet before it opens no bin, one at it does (at bin edges, before 1970, at the range's end).
TEST(TelescopeAggregator, FiveMinuteBinEndIsWhereItOpensTheNextBin) {
    Darknet darknet({{"default", {*Prefix::parse("198.18.0.0/24")}}});
    struct CountingSink : BinSink {
        size_t calls = 0;
        void on_rows(const BinRows&, bool) override { ++calls; }
    };
    const int64_t kBin = 300'000'000'000LL;
    for (int64_t ts : {int64_t(0), int64_t(1), kBin - 1, kBin, 5 * kBin + 17, 1'767'225'600'000'000'000 - 1,
                       1'767'225'600'000'000'000, int64_t(-1), -kBin - 5, std::numeric_limits<int64_t>::max() - kBin,
                       std::numeric_limits<int64_t>::max() - 1}) {
        const int64_t end = TelescopeAggregator::five_minute_bin_end_ns(ts);
        ASSERT_GT(end, ts) << ts;
        CountingSink sink;
        TelescopeAggregator agg(darknet, sink);
        DecodedPacket p;
        p.status = DecodeStatus::kNotIp;
        p.ts_ns = ts;
        agg.process(p);
        p.ts_ns = end - 1;
        agg.process(p);
        EXPECT_EQ(sink.calls, 0u) << "a packet before the bound opened a bin, ts " << ts;
        if (end == std::numeric_limits<int64_t>::max()) continue;  // the range's last bin
        p.ts_ns = end;
        agg.process(p);
        EXPECT_EQ(sink.calls, 1u) << "the packet at the bound opened no bin, ts " << ts;
        const int64_t next = TelescopeAggregator::five_minute_bin_end_ns(end);
        EXPECT_TRUE(next == std::numeric_limits<int64_t>::max() || next - end == kBin) << ts;
    }
}

// With the SVM next to the scan detector, run_detectors_on_thread() starts a second detector
// thread for the SVM, fed digests by source number. Its labels must be those of the feature
// windows computed from the packets' addresses: inline, on the thread, and cut by a checkpoint
// (serialize, new aggregator, restore) before and inside the window that spans the day's end,
// where the aggregator numbers its sources from 0 again. Including the windows emitted after the
// last interval end: those reach the aggregator only when close_all() drains both threads (77-s
// windows, so a packet, not an interval end, closes most of them, and one spans midnight).
TEST(TelescopeAggregatorDetection, SvmOnItsOwnThreadLabelsWhatInlineDoes) {
    Darknet dn = test_darknet();
    std::vector<DecodedPacket> pkts;
    std::mt19937 rng(5);
    for (int64_t t = -280; t < 280; ++t) {
        std::vector<DecodedPacket> second;
        for (int i = 0; i < 20; ++i) {  // a DoS victim's SYN/ACKs from port 80 to the darknet
            char dst[32];
            std::snprintf(dst, sizeof dst, "198.18.0.%u", unsigned(rng() % 256));
            DecodedPacket p = tcp(at(t) + i * 40000000LL, "20.0.0.9", dst, uint16_t(1024 + rng() % 60000),
                                  kTcpSyn | kTcpAck);
            p.sport = 80;
            second.push_back(p);
        }
        for (unsigned k = 1; k <= 5; ++k) {  // five slow scanners of port 23
            char src[32], dst[32];
            std::snprintf(src, sizeof src, "30.0.0.%u", k);
            std::snprintf(dst, sizeof dst, "198.18.0.%u", unsigned(rng() % 256));
            const DecodedPacket p = tcp(at(t) + k * 100000000LL + 900000000LL, src, dst, 23, kTcpSyn);
            // From midnight on the scanners come first, so that the day's new source numbers
            // name other sources than the same numbers did before.
            if (t >= 0)
                second.insert(second.begin() + (k - 1), p);
            else
                second.push_back(p);
        }
        pkts.insert(pkts.end(), second.begin(), second.end());
    }
    // A model trained on this traffic's own feature windows, the victim the positive class.
    constexpr int64_t kWindow = 77;  // a window spans midnight (kDay is 63 s into one)
    DdosFeatureExtractor fx(kWindow);
    std::vector<DdosFeatureVector> x;
    std::vector<bool> y;
    auto keep = [&](const SourceWindow& w) {
        x.push_back(w.features);
        y.push_back(w.src == *IpAddress::parse("20.0.0.9"));
    };
    for (const auto& p : pkts) fx.add(p, keep);
    fx.finish(keep);
    SvmClassifier svm;
    svm.train(x, y);
    const std::string model = ::testing::TempDir() + "aggregator_svm_thread.model";
    svm.save(model);
    DetectorConfig config;
    config.svm_model = model;
    config.svm_window_s = kWindow;
    // The labels as the module gives them, from windows keyed by address.
    std::vector<std::string> want;
    DdosFeatureExtractor by_address(kWindow);
    auto label = [&](const SourceWindow& w) {
        const double score = svm.decision_value(w.features);
        if (score > 0)
            want.push_back(std::to_string(w.window_start_s) + " " + w.src.to_string() + " ddos " +
                           std::to_string(score) + " " + std::to_string(uint64_t(w.features[0])));
    };
    for (const auto& p : pkts) by_address.add(p, label);
    by_address.finish(label);
    std::sort(want.begin(), want.end());

    auto labels = [&](bool on_thread, size_t cut) {
        RecordingSink sink;
        auto aggregator = [&] {
            auto a = std::make_unique<TelescopeAggregator>(dn, sink);
            a->set_detectors(make_detectors({"scan", "backscatter", "svm-ddos"}, dn, config));
            if (on_thread) a->run_detectors_on_thread();
            EXPECT_EQ(a->detectors_on_thread(), on_thread);
            return a;
        };
        auto a = aggregator();
        if (cut) {
            a->process_batch(pkts.data(), cut);
            a->flush_open();
            const std::string blob = a->serialize();
            a = aggregator();
            a->restore(blob);
        }
        a->process_batch(pkts.data() + cut, pkts.size() - cut);
        a->close_all();
        std::vector<std::string> out;
        for (const auto& b : sink.batches)
            for (const auto& l : b.labels)
                out.push_back(std::to_string(l.window_start_s) + " " + l.src.to_string() + " " + l.label + " " +
                              std::to_string(l.score) + " " + std::to_string(l.packets));
        std::sort(out.begin(), out.end());
        return out;
    };
    // The victim, in each of the eight windows its 560 s touch (starts 294, 217, 140 and 63 s
    // before midnight, 14, 91, 168 and 245 s after).
    EXPECT_EQ(want.size(), 8u);
    for (const auto& l : want) EXPECT_NE(l.find(" 20.0.0.9 ddos "), std::string::npos) << l;
    EXPECT_EQ(labels(false, 0), want);
    EXPECT_EQ(labels(true, 0), want);
    // Cuts before midnight and inside the window that spans it (each second has 25 packets).
    for (size_t cut : {size_t(100 * 25 + 7), size_t(290 * 25 + 3)}) {
        EXPECT_EQ(labels(false, cut), want) << "inline, cut at " << cut;
        EXPECT_EQ(labels(true, cut), want) << "on threads, cut at " << cut;
    }
    std::remove(model.c_str());
    std::remove((model + ".scale").c_str());
}

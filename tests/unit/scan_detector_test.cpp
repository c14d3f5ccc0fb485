#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

#include "core/byte_buffer.h"
#include "core/error.h"
#include "core/timestamp.h"
#include "detect/destination_runs.h"
#include "detect/scan_detector.h"
#include "telescope/packet_classifier.h"

using namespace iotwatch;

namespace {
constexpr int64_t kT0 = 1767225600LL * kNanosPerSecond;

/// `runs` saved and loaded back (a checkpoint round trip).
DestinationRuns round_trip(DestinationRuns& runs, uint64_t universe) {
    ByteWriter w;
    runs.save(w, universe);
    const std::string blob = w.data();
    ByteReader r(blob, "test");
    DestinationRuns back;
    back.load(r, universe);
    return back;
}

DecodedPacket syn(int64_t ts, uint32_t src, uint32_t dst, uint16_t dport) {
    DecodedPacket p;
    p.ts_ns = ts;
    p.ip_version = 4;
    p.protocol = kProtoTcp;
    p.has_l4 = true;
    p.src = IpAddress::v4(src);
    p.dst = IpAddress::v4(dst);
    p.dport = dport;
    p.tcp_flags = kTcpSyn;
    p.tcp_seq = 12345;
    p.ip_id = 777;
    p.ttl = 64;
    p.tcp_window = 5840;
    p.tcp_options_len = 20;
    return p;
}
}  // namespace

TEST(Fingerprints, MatchTheDocumentedRules) {
    DecodedPacket p = syn(kT0, 1, 0xC6120005, 23);
    EXPECT_EQ(fingerprint_bits(p), 0);
    p.tcp_seq = 0xC6120005;  // Mirai: seq == destination
    EXPECT_EQ(fingerprint_bits(p), 1u << kFpMirai);
    p = syn(kT0, 1, 0xC6120005, 80);
    p.ip_id = 54321;  // ZMap
    EXPECT_EQ(fingerprint_bits(p), 1u << kFpZmap);
    p = syn(kT0, 1, 0xC6120005, 80);
    p.tcp_seq = 0xDEADBEEF;
    p.ip_id = (0xC6120005u ^ 80u ^ 0xDEADBEEFu) & 0xFFFF;  // masscan
    EXPECT_EQ(fingerprint_bits(p), 1u << kFpMasscan);
    p = syn(kT0, 1, 0xC6120005, 80);
    p.ttl = 240, p.tcp_window = 1024, p.tcp_options_len = 0;  // large-scale scanner hint
    EXPECT_EQ(fingerprint_bits(p), 1u << kFpLargeScanner);
    p.tcp_flags = kTcpSyn | kTcpAck;  // not a probe: SYN/ACK backscatter never matches
    p.tcp_seq = 0xC6120005;
    EXPECT_EQ(fingerprint_bits(p), 0);
}

TEST(ScanDetector, ReportsAScanPastBothThresholdsWithFractions) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});  // factor 65536: 1 probe/s -> 65536 pps
    ScanDetector det(dn);
    std::vector<ScanEvent> out;
    for (uint32_t i = 0; i < 150; ++i) {
        DecodedPacket p = syn(kT0 + int64_t(i) * kNanosPerSecond, 0x01020304, 0xC6120000 + i, 23);
        if (i % 3 == 0) p.tcp_seq = p.dst.v4_value();
        det.observe(p, i, out);
    }
    // 99 destinations only on port 2323: below the threshold.
    for (uint32_t i = 0; i < 99; ++i) det.observe(syn(kT0 + i, 0x01020304, 0xC6120000 + i, 2323), i, out);
    EXPECT_TRUE(out.empty());
    det.expire(kT0 + 149 * kNanosPerSecond + 480 * kNanosPerSecond, out);  // not yet idle long enough
    EXPECT_TRUE(out.empty());
    det.expire(kT0 + 150 * kNanosPerSecond + 480 * kNanosPerSecond, out);
    ASSERT_EQ(out.size(), 1u);
    const ScanEvent& e = out[0];
    EXPECT_EQ(e.port, 23);
    EXPECT_EQ(e.protocol, kProtoTcp);
    EXPECT_EQ(e.packets, 150u);
    EXPECT_EQ(e.destinations, 150u);
    EXPECT_NEAR(e.fraction(kFpMirai), 50.0 / 150.0, 1e-9);
    EXPECT_NEAR(e.rate_pps, 150.0 / 149.0 * 65536.0, 1e-6);
    EXPECT_EQ(e.end_ns - e.start_ns, 149 * kNanosPerSecond);
}

TEST(ScanDetector, IdleGapSplitsScansAndSlowSourcesDoNotQualify) {
    Darknet dn({{"d", {*Prefix::parse("198.0.0.0/8")}}});  // factor 256
    ScanDetector det(dn, ScanThresholds{100, 10.0, 480});
    std::vector<ScanEvent> out;
    // 120 probes, one every 20 s: 0.05 pps x 256 = 12.8 pps >= 10 -> a scan.
    for (uint32_t i = 0; i < 120; ++i) det.observe(syn(kT0 + int64_t(i) * 20 * kNanosPerSecond, 7, 0xC6000000 + i, 22), i, out);
    // After 500 s of silence the next probe starts a new scan, closing the first.
    det.observe(syn(kT0 + (119 * 20 + 500) * kNanosPerSecond, 7, 0xC6000000, 22), 0, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].packets, 120u);
    // A slow source: 120 probes one per 60 s = 4.3 pps extrapolated: no event.
    for (uint32_t i = 0; i < 120; ++i) det.observe(syn(kT0 + int64_t(i) * 60 * kNanosPerSecond, 8, 0xC6000000 + i, 22), i, out);
    det.finish(out);
    ASSERT_EQ(out.size(), 1u);  // the new 1-probe scan of source 7 and slow source 8 do not qualify
}

TEST(ScanDetector, BackscatterIsNotAProbe) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    ScanDetector det(dn);
    std::vector<ScanEvent> out;
    for (uint32_t i = 0; i < 500; ++i) {
        DecodedPacket p = syn(kT0 + i, 9, 0xC6120000 + i, 80);
        p.tcp_flags = kTcpSyn | kTcpAck;
        det.observe(p, i, out);
        DecodedPacket u = syn(kT0 + i, 10, 0xC6120000 + i, 40000 + i);
        u.protocol = kProtoUdp;
        u.sport = 53;
        det.observe(u, i, out);
    }
    det.finish(out);
    EXPECT_TRUE(out.empty());
}

// An ECN-setup SYN (ECE+CWR, RFC 3168) is still a SYN: classified as one, a probe, fingerprinted.
TEST(ScanDetector, SynWithEceAndCwrIsAProbeAndFingerprinted) {
    DecodedPacket p = syn(kT0, 1, 0xC6120005, 23);
    p.tcp_flags = kTcpSyn | kTcpEce | kTcpCwr;
    p.tcp_seq = 0xC6120005;
    EXPECT_EQ(classify_packet(p), kClassSyn);
    EXPECT_TRUE(is_bare_syn(p));
    EXPECT_EQ(fingerprint_bits(p), 1u << kFpMirai);
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    ScanDetector det(dn);
    std::vector<ScanEvent> out;
    for (uint32_t i = 0; i < 100; ++i) {
        DecodedPacket q = syn(kT0 + i, 1, 0xC6120000 + i, 23);
        q.tcp_flags = kTcpSyn | kTcpEce | kTcpCwr;
        q.tcp_seq = q.dst.v4_value();
        det.observe(q, i, out);
    }
    det.finish(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].packets, 100u);
    EXPECT_EQ(out[0].fingerprint_packets[kFpMirai], 100u);
}

// A run that ends while a scan is open (a capture shorter than the idle timeout) still shows it:
// open_events gives it as it stands without closing it, and the closed event has the same key.
TEST(ScanDetector, OpenScansAreGivenAsTheyStandWithoutClosing) {
    Darknet dn({{"d", {*Prefix::parse("198.18.5.0/24")}}});
    ScanDetector det(dn);
    std::vector<ScanEvent> out;
    for (uint32_t i = 0; i < 256; ++i) det.observe(syn(kT0 + i * 1'000'000LL, 11, 0xC6120500 + i, 23), i, out);
    for (uint32_t i = 0; i < 50; ++i) det.observe(syn(kT0 + i, 12, 0xC6120500 + i, 23), i, out);  // too few
    std::vector<ScanEvent> open;
    det.open_events(open);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].packets, 256u);
    EXPECT_EQ(open[0].destinations, 256u);
    det.observe(syn(kT0 + 400 * kNanosPerSecond, 11, 0xC6120500, 23), 0, out);  // still the same scan
    EXPECT_TRUE(out.empty());
    det.finish(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].start_ns, open[0].start_ns);
    EXPECT_EQ(out[0].packets, 257u);
}

// On a darknet so large that a scan continued with 480 s gaps could fall below the rate threshold
// (factor 256 / 480 s = 0.53 pps < 10), an open scan could still be disqualified: none is given.
TEST(ScanDetector, OpenScansThatLaterProbesCouldDisqualifyAreNotGiven) {
    Darknet dn({{"d", {*Prefix::parse("198.0.0.0/8")}}});
    ScanDetector det(dn);
    std::vector<ScanEvent> out;
    for (uint32_t i = 0; i < 200; ++i) det.observe(syn(kT0 + i, 7, 0xC6000000 + i, 22), i, out);
    std::vector<ScanEvent> open;
    det.open_events(open);
    EXPECT_TRUE(open.empty());
    det.finish(out);
    EXPECT_EQ(out.size(), 1u);  // closed now, it qualifies
}

// A held first value (hold(): inline, no heap block) is a member like any other: counted at
// once by upper_bound() and count(), in its sorted place after a compaction (the tail after it
// keeps the order the scan detector appended), saved, and never counted twice when added again.
// Sets of one value, of a few, and of enough to become a bitmap; held values below, inside and
// above the values that follow.
TEST(DestinationRuns, AHeldFirstValueIsAMemberLikeAnyOther) {
    std::mt19937 rng(9);
    const uint64_t universe = uint64_t(1) << 16;
    for (int trial = 0; trial < 300; ++trial) {
        DestinationRuns runs;
        std::set<uint64_t> want;
        const uint64_t first = trial % 3 == 0 ? 0 : trial % 3 == 1 ? universe - 1 : rng() % universe;
        ASSERT_TRUE(runs.hold(first));
        want.insert(first);
        EXPECT_FALSE(runs.hold(first + 1));  // one value only
        EXPECT_EQ(runs.upper_bound(), 1u);
        EXPECT_EQ(runs.heap_bytes(), 0u);
        const int more = trial % 5 == 0 ? 0 : trial % 5 == 4 ? 3000 : 1 + int(rng() % 60);
        std::vector<uint64_t> v(static_cast<size_t>(more));
        for (auto& x : v) x = rng() % (trial % 2 ? universe : 200);  // often the held value again
        std::sort(v.begin(), v.end());  // ascending, as the scan detector applies them
        for (uint64_t x : v) {
            runs.add(x, universe);
            want.insert(x);
            ASSERT_GE(runs.upper_bound(), want.size());
            ASSERT_LE(runs.lower_bound(), want.size());
        }
        ASSERT_EQ(runs.count(universe), want.size()) << "trial " << trial;
        ASSERT_EQ(runs.upper_bound(), want.size());
        DestinationRuns back = round_trip(runs, universe);
        ASSERT_EQ(back.count(universe), want.size());
        for (uint64_t x : want) back.add(x, universe);
        ASSERT_EQ(back.count(universe), want.size());
    }
    // Not held: a set that has values, or a value past 32 bits (address hashes).
    DestinationRuns has;
    has.add(7, universe);
    EXPECT_FALSE(has.hold(8));
    DestinationRuns wide;
    EXPECT_FALSE(wide.hold(uint64_t(1) << 40));
    // A held value saved on its own.
    DestinationRuns one;
    ASSERT_TRUE(one.hold(42));
    DestinationRuns back = round_trip(one, universe);
    EXPECT_EQ(back.count(universe), 1u);
    back.add(42, universe);
    EXPECT_EQ(back.count(universe), 1u);
}

// The scan detector's destination sets against a std::set: values appended in interval-like
// bursts (ascending, with repeats) and one at a time in random order, exact counts between the
// free bounds, the switch to a bitmap over a dense darknet, and a checkpoint round trip of each
// form. Corrupt encodings fail with a message instead of restoring a wrong set.
TEST(DestinationRuns, CountsLikeASetAcrossCompactionsBitmapsAndCheckpoints) {
    std::mt19937 rng(5);
    for (const uint64_t universe : {uint64_t(0), uint64_t(1) << 16}) {
        DestinationRuns runs;
        std::set<uint64_t> want;
        for (int burst = 0; burst < 400; ++burst) {
            std::vector<uint64_t> v(1 + rng() % 40);
            for (auto& x : v) x = universe ? rng() % (burst < 200 ? 3000 : universe) : (uint64_t(rng()) << 32 | rng());
            if (burst % 2) std::sort(v.begin(), v.end());
            // Every fourth burst ascends from above everything added so far (a tail that needs
            // neither the sort nor the merge), unless that would leave the darknet.
            const uint64_t top = want.empty() ? 0 : *want.rbegin() + 1;
            if (burst % 4 == 3 && (!universe || top + 40 * v.size() < universe))
                for (size_t i = 0; i < v.size(); ++i) v[i] = top + i * (1 + rng() % 40);
            for (uint64_t x : v) {
                runs.add(x, universe);
                want.insert(x);
            }
            ASSERT_LE(runs.lower_bound(), want.size());
            ASSERT_GE(runs.upper_bound(), want.size());
            if (burst % 50 == 0) {
                ASSERT_EQ(runs.count(universe), want.size()) << "burst " << burst;
            }
        }
        ASSERT_EQ(runs.count(universe), want.size());
        DestinationRuns back = round_trip(runs, universe);
        EXPECT_EQ(back.count(universe), want.size());
        // (dense: past a sixty-fourth of the universe the set is a bitmap, 8 kB here)
        if (universe) {
            EXPECT_EQ(back.heap_bytes(), universe / 8);
        }
        for (uint64_t x : want) back.add(x, universe);  // all known: nothing new
        EXPECT_EQ(back.count(universe), want.size());
    }
    // A list that is not ascending, or a value outside the darknet, is refused.
    for (const auto& [values, universe] : std::vector<std::pair<std::vector<uint64_t>, uint64_t>>{
             {{5, 0}, 100}, {{5, 200}, 100}}) {
        ByteWriter w;
        w.put<uint8_t>(0);
        w.put<uint64_t>(values.size());
        for (uint64_t d : values) w.put_varint(d);
        const std::string blob = w.data();
        ByteReader r(blob, "test");
        DestinationRuns runs;
        EXPECT_THROW(runs.load(r, universe), InputError);
    }
}

// A checkpointed scan whose times are reversed or beyond +-2^62 ns is refused (its duration would
// overflow; found by the checkpoint fuzzer under UBSan).
TEST(ScanDetector, RestoreRefusesReversedOrOutOfRangeTimes) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    ScanDetector det(dn);
    std::vector<ScanEvent> out;
    for (uint32_t i = 0; i < 5; ++i) det.observe(syn(kT0 + i, 0x01020304, 0xC6120000 + i, 23), i, out);
    ByteWriter w;
    det.serialize(w);
    const std::string good = w.data();
    {
        ByteReader r(good, "test");
        ScanDetector back(dn);
        back.restore(r);  // as written: fine
    }
    // Layout: live count (8), source halves (16), proto/port (4), then start and last (8 each).
    constexpr size_t kStart = 8 + 16 + 4, kLast = kStart + 8;
    for (const auto& [start, last] : std::vector<std::pair<int64_t, int64_t>>{
             {kT0 + 10, kT0}, {-kMaxTimestampNs - 1, kT0}, {kT0, kMaxTimestampNs + 1}}) {
        std::string bad = good;
        std::memcpy(bad.data() + kStart, &start, 8);
        std::memcpy(bad.data() + kLast, &last, 8);
        ByteReader r(bad, "test");
        ScanDetector back(dn);
        EXPECT_THROW(back.restore(r), InputError);
    }
}

// A scan's per-fingerprint counts are 32-bit in its one-line state: past UINT32_MAX matching
// probes (more than 4.29 billion darknet probes in a single scan) they stay at UINT32_MAX rather
// than wrap, and a checkpoint with larger counts restores them as UINT32_MAX. Packets stay 64-bit.
TEST(ScanDetector, FingerprintCountsSaturateInsteadOfWrapping) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    ScanDetector det(dn);
    std::vector<ScanEvent> out;
    auto mirai = [](int64_t ts, uint32_t dst) {
        DecodedPacket p = syn(ts, 0x01020304, dst, 23);
        p.tcp_seq = dst;  // Mirai's fingerprint
        return p;
    };
    for (uint32_t i = 0; i < 150; ++i) det.observe(mirai(kT0 + i * kNanosPerSecond / 100, 0xC6120000 + i), i, out);
    ByteWriter w;
    det.serialize(w);
    std::string blob = w.data();
    // Layout: live count (8), source halves (16), proto/port (4), start, last, packets (8 each),
    // then the four fingerprint counts (8 each).
    constexpr size_t kPackets = 8 + 16 + 4 + 16, kFp = kPackets + 8;
    const uint64_t big = 5'000'000'000ULL, near = UINT32_MAX - 1ULL;
    std::memcpy(blob.data() + kPackets, &big, 8);
    std::memcpy(blob.data() + kFp + 8 * kFpMirai, &near, 8);  // one below the limit
    std::memcpy(blob.data() + kFp + 8 * kFpZmap, &big, 8);    // above it
    ByteReader r(blob, "test");
    ScanDetector back(dn);
    back.restore(r);
    // Three more Mirai probes: the count reaches UINT32_MAX and stays there.
    for (uint32_t i = 150; i < 153; ++i) back.observe(mirai(kT0 + i * kNanosPerSecond / 100, 0xC6120000 + i), i, out);
    back.finish(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].packets, big + 3);
    EXPECT_EQ(out[0].destinations, 153u);
    EXPECT_EQ(out[0].fingerprint_packets[kFpMirai], uint64_t(UINT32_MAX));
    EXPECT_EQ(out[0].fingerprint_packets[kFpZmap], uint64_t(UINT32_MAX));
    EXPECT_EQ(out[0].fingerprint_packets[kFpMasscan], 0u);
}

// expire() rebuilds its tables in place when most states are closed: a scan that lives through
// the rebuild keeps its packets, start and exact destination set (its state moved to the front).
TEST(ScanDetector, ScanLivingThroughATableRebuildKeepsItsCounts) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    ScanDetector det(dn);
    std::vector<ScanEvent> out;
    int64_t t = kT0;
    // 5000 single-probe sources first, so the long scan's state is not the first.
    for (uint32_t s = 0; s < 5000; ++s, t += kNanosPerSecond / 100) det.observe(syn(t, 0x0A000000 + s, 0xC6120000 + s, 23), s, out);
    const int64_t scan_start = t;
    const uint32_t scanner = 0x0B000001;
    for (uint32_t d = 0; d < 60; ++d, t += 8 * kNanosPerSecond) det.observe(syn(t, scanner, 0xC6120000 + d, 23), d, out);
    // 500 s after the last single probe, 480 s idle timeout: the 5000 close, the scan does not.
    t = scan_start + 500 * kNanosPerSecond;
    det.observe(syn(t, scanner, 0xC6120000 + 60, 23), 60, out);
    det.expire(t, out);
    EXPECT_TRUE(out.empty());  // single probes never qualify
    // Destinations 40..99: 40..60 already counted, 61..99 new; 0..99 distinct in all.
    for (uint32_t d = 40; d < 100; ++d, t += kNanosPerSecond / 10) det.observe(syn(t, scanner, 0xC6120000 + d, 23), d, out);
    det.finish(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].src, IpAddress::v4(scanner));
    EXPECT_EQ(out[0].start_ns, scan_start);
    EXPECT_EQ(out[0].packets, 121u);
    EXPECT_EQ(out[0].destinations, 100u);
}

// The source hint word (Detector::uses_source_hint) only saves lookups: a detector fed stale,
// foreign or garbage hints must report exactly what one without hints reports. Stale hints come
// from the rebuild in expire() (thousands of closed scans renumbered), foreign ones from another
// source's word, garbage from random bits.
TEST(ScanDetector, SourceHintsAreVerifiedAndNeverChangeResults) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    ScanDetector plain(dn), hinted(dn);
    std::vector<ScanEvent> a, b;
    std::vector<uint64_t> hints(6000, 0);
    std::mt19937_64 rng(7);
    int64_t t = kT0;
    auto probe = [&](uint32_t source, uint16_t port, uint32_t dst) {
        const DecodedPacket p = syn(t, 0x0A000000 + source, 0xC6120000 + dst, port);
        plain.observe(p, dst, a);
        uint64_t& h = hints[source];
        switch (rng() % 16) {
        case 0: h = rng(); break;                                       // garbage
        case 1: h = hints[(source + 1) % hints.size()]; break;          // another source's word
        case 2:  // right port, wrong index (hint layout: proto_port << 40 | confidence << 32 | index + 1)
            h = (uint64_t(kProtoTcp) << 56 | uint64_t(port) << 40) | (rng() % 8000);
            break;
        case 3:  // another port's word with full confidence, then stale: it must not be trusted
            h = (uint64_t(kProtoTcp) << 56 | uint64_t(port ^ 1) << 40) | uint64_t(3) << 32 | (rng() % 8000);
            break;
        default: break;
        }
        hinted.observe(p, dst, b, &h);
    };
    // Round 1: 5000 sources each probe once (5000 states), then all go idle: expire() closes them
    // and rebuilds its tables, renumbering the states every kept hint points into.
    for (uint32_t s = 0; s < 5000; ++s, t += kNanosPerSecond / 100) probe(s, 23, s % 65536);
    t += 600 * kNanosPerSecond;
    plain.expire(t, a);
    hinted.expire(t, b);
    // Round 2: ten sources each switch between two ports (the Mirai pattern, 23 and 2323; here
    // one probe in three to 2323 so that both pass the thresholds) plus a stray 8080, so their
    // hint keeps changing port. Every other source probes once more on its old port (its hint is stale).
    size_t switches = 0;
    uint16_t last_port[10] = {};
    for (uint32_t i = 0; i < 4000; ++i, t += kNanosPerSecond / 50) {
        const uint32_t s = i % 10, round = i / 10;
        const uint16_t port = round % 3 == 2 ? 2323 : (round % 37 == 5 ? 8080 : 23);
        switches += last_port[s] != 0 && last_port[s] != port;
        last_port[s] = port;
        probe(s, port, (i * 7919) % 65536);
        probe(40 + i, 23, i);
    }
    ASSERT_GT(switches, 500u);  // the hints keep meeting probes to another port
    plain.finish(a);
    hinted.finish(b);
    auto key = [](const ScanEvent& e) { return std::tuple(e.src.v4_value(), e.port, e.start_ns); };
    auto by_key = [&](const ScanEvent& x, const ScanEvent& y) { return key(x) < key(y); };
    std::sort(a.begin(), a.end(), by_key);
    std::sort(b.begin(), b.end(), by_key);
    ASSERT_FALSE(a.empty());
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(key(a[i]), key(b[i]));
        EXPECT_EQ(a[i].end_ns, b[i].end_ns);
        EXPECT_EQ(a[i].packets, b[i].packets);
        EXPECT_EQ(a[i].destinations, b[i].destinations);
        EXPECT_EQ(a[i].fingerprint_packets[kFpMirai], b[i].fingerprint_packets[kFpMirai]);
    }
    // Both ports of the switching sources became scans (not just the steady ones).
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const ScanEvent& e) { return e.port == 2323; }));
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const ScanEvent& e) { return e.port == 23; }));
}

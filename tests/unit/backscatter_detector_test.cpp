#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "capture/raw_packet.h"
#include "capture_test_util.h"
#include "core/error.h"
#include "core/timestamp.h"
#include "detect/backscatter_detector.h"
#include "detect/scan_detector.h"
#include "telescope/destination_tracker.h"

using namespace iotwatch;

namespace {
constexpr int64_t kT0 = 1767225600LL * kNanosPerSecond;
DecodedPacket synack(int64_t ts, uint32_t victim, uint32_t dark, uint16_t sport, uint16_t dport) {
    DecodedPacket p;
    p.ts_ns = ts;
    p.ip_version = 4;
    p.protocol = kProtoTcp;
    p.has_l4 = true;
    p.src = IpAddress::v4(victim);
    p.dst = IpAddress::v4(dark);
    p.sport = sport;
    p.dport = dport;
    p.tcp_flags = kTcpSyn | kTcpAck;
    return p;
}
}  // namespace

TEST(Backscatter, VictimIsTheQuotedDestinationForIcmpErrors) {
    DecodedPacket p;
    p.has_l4 = true;
    p.protocol = kProtoIcmp;
    p.icmp_type = 3;
    p.src = IpAddress::v4(0x0A000001);  // a router between the victim and us
    p.has_quoted = true;
    p.quoted.src = IpAddress::v4(0xC6120001);
    p.quoted.dst = IpAddress::v4(0x05060708);
    IpAddress v;
    ASSERT_TRUE(backscatter_victim(p, v));
    EXPECT_EQ(v, IpAddress::v4(0x05060708));
    p.icmp_type = 0;  // echo reply: the outer source
    ASSERT_TRUE(backscatter_victim(p, v));
    EXPECT_EQ(v, IpAddress::v4(0x0A000001));
    p.icmp_type = 8;  // echo request is a probe, not backscatter
    EXPECT_FALSE(backscatter_victim(p, v));
    DecodedPacket s = synack(0, 1, 2, 80, 1234);
    s.tcp_flags = kTcpSyn;
    EXPECT_FALSE(backscatter_victim(s, v));
    s.tcp_flags = kTcpRst | kTcpAck;
    EXPECT_TRUE(backscatter_victim(s, v));
}

TEST(Backscatter, ReportsAnAttackMeetingAllThresholds) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    BackscatterDetector det(dn);
    std::vector<DosAttack> out;
    // 120 SYN/ACKs over 119 s from victim 5.6.7.8:80 to random darknet addresses.
    for (uint32_t i = 0; i < 120; ++i)
        det.observe(synack(kT0 + int64_t(i) * kNanosPerSecond, 0x05060708, 0xC6120000 + i * 13, 80, uint16_t(1024 + i)), i * 13, out);
    // A short burst elsewhere: 40 packets within 20 s: too short.
    for (uint32_t i = 0; i < 40; ++i)
        det.observe(synack(kT0 + int64_t(i) * kNanosPerSecond / 2, 0x09090909, 0xC6120000 + i, 443, 2000), i, out);
    EXPECT_TRUE(out.empty());
    det.expire(kT0 + 1000 * kNanosPerSecond, out);
    ASSERT_EQ(out.size(), 1u);
    const DosAttack& a = out[0];
    EXPECT_EQ(a.victim.to_string(), "5.6.7.8");
    EXPECT_EQ(a.packets, 120u);
    EXPECT_EQ(a.attackers, 120u);
    EXPECT_EQ(a.attacker_ports, 120u);
    EXPECT_EQ(a.max_window_packets, 60u);
    ASSERT_FALSE(a.victim_ports.empty());
    EXPECT_EQ(a.victim_ports[0].first, 80);
    EXPECT_NEAR(a.rate_pps, 120.0 / 119.0 * 65536.0, 1e-6);
}

TEST(Backscatter, SparseAttackFailsTheWindowRule) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    BackscatterDetector det(dn);
    std::vector<DosAttack> out;
    // 100 packets one every 5 s: >= 25 packets, >= 60 s, but only 12 in any 60 s window.
    for (uint32_t i = 0; i < 100; ++i)
        det.observe(synack(kT0 + int64_t(i) * 5 * kNanosPerSecond, 0x05060708, 0xC6120000 + i, 80, 1000), i, out);
    det.finish(out);
    EXPECT_TRUE(out.empty());
}

// ICMP errors whose quote is cut short (routers may quote less than the IP header + 8 bytes, and
// snap lengths cut more): the victim is known as long as the quoted IP header is whole, but its
// ports are not, and no port 0 may be invented for them. A quote shorter than an IP header names
// no victim.
TEST(Backscatter, IcmpErrorQuotingATruncatedHeader) {
    const testcap::Bytes inner = testcap::ipv4(0xC6120009, 0x05060708, kProtoTcp, testcap::tcp(4444, 80, 1, kTcpSyn));
    auto icmp_error = [&](size_t quoted_bytes, int64_t ts) {
        testcap::Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
        icmp.insert(icmp.end(), inner.begin(), inner.begin() + quoted_bytes);
        const testcap::Bytes f = testcap::ipv4(0x0A000001, 0xC6120009, kProtoIcmp, icmp);
        DecodedPacket p;
        decode_packet(kLinkRaw, f.data(), uint32_t(f.size()), uint32_t(f.size()), ts, p);
        return p;
    };
    IpAddress v;
    DecodedPacket header_only = icmp_error(20, kT0);  // the quoted IP header, no transport bytes
    ASSERT_TRUE(header_only.has_quoted);
    EXPECT_FALSE(header_only.quoted.has_ports);
    ASSERT_TRUE(backscatter_victim(header_only, v));
    EXPECT_EQ(v.to_string(), "5.6.7.8");
    DecodedPacket two_ports = icmp_error(24, kT0);  // ports are the first 4 transport bytes
    ASSERT_TRUE(two_ports.quoted.has_ports);
    EXPECT_EQ(two_ports.quoted.dport, 80);
    DecodedPacket cut = icmp_error(12, kT0);  // not even the addresses
    EXPECT_FALSE(cut.has_quoted);
    EXPECT_FALSE(backscatter_victim(cut, v));

    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    BackscatterDetector det(dn);
    std::vector<DosAttack> out;
    for (int i = 0; i < 120; ++i) det.observe(icmp_error(20, kT0 + i * kNanosPerSecond), 9, out);
    det.finish(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].victim.to_string(), "5.6.7.8");
    EXPECT_EQ(out[0].packets, 120u);
    EXPECT_EQ(out[0].attacker_ports, 0u);  // none was seen
    EXPECT_TRUE(out[0].victim_ports.empty());
}

// Reflection/amplification responses reaching the darknet from many reflectors are not the
// backscatter of one victim: each outer source is its own vector, and none reaches the thresholds.
// UDP from port 123 (NTP) is not backscatter at all (only UDP from 53 is, DOMAIN.md section 2).
TEST(Backscatter, ReflectionFromManySourcesIsNotOneVictim) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    BackscatterDetector det(dn);
    std::vector<DosAttack> out;
    for (uint32_t r = 0; r < 50; ++r)
        for (uint32_t i = 0; i < 20; ++i) {
            DecodedPacket p = synack(kT0 + int64_t(i) * 5 * kNanosPerSecond + r, 0x08000000 + r, 0xC6120000 + i, 53, 5353);
            p.protocol = kProtoUdp;
            p.tcp_flags = 0;
            det.observe(p, i, out);
            p.sport = 123;
            IpAddress v;
            EXPECT_FALSE(backscatter_victim(p, v));
            det.observe(p, i, out);
        }
    det.finish(out);
    EXPECT_TRUE(out.empty());  // 1000 responses, 50 reflectors x 20 packets: no victim
}

// A vector ends after more than expiry_s (300 s) of silence: the next packet starts a new attack.
// A gap of exactly 300 s does not end it.
TEST(Backscatter, SilenceLongerThanTheExpirySplitsAnAttackInTwo) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    BackscatterDetector det(dn);
    std::vector<DosAttack> out;
    auto burst = [&](int64_t start, uint32_t victim) {
        for (uint32_t i = 0; i < 100; ++i)
            det.observe(synack(start + int64_t(i) * kNanosPerSecond, victim, 0xC6120000 + i, 80, 1024), i, out);
    };
    burst(kT0, 0x05060708);                                // ends at kT0 + 99 s
    burst(kT0 + (99 + 301) * kNanosPerSecond, 0x05060708);  // 301 s later: a second attack
    ASSERT_EQ(out.size(), 1u);                             // the first closed when the second began
    EXPECT_EQ(out[0].packets, 100u);
    burst(kT0, 0x09090909);
    burst(kT0 + (99 + 300) * kNanosPerSecond, 0x09090909);  // exactly 300 s: the same attack
    det.finish(out);
    ASSERT_EQ(out.size(), 3u);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return std::tie(a.victim, a.start_ns) < std::tie(b.victim, b.start_ns); });
    EXPECT_EQ(out[0].victim.to_string(), "5.6.7.8");
    EXPECT_EQ(out[1].victim.to_string(), "5.6.7.8");
    EXPECT_EQ(out[1].start_ns - out[0].start_ns, 400 * kNanosPerSecond);
    EXPECT_EQ(out[1].packets, 100u);
    EXPECT_EQ(out[2].victim.to_string(), "9.9.9.9");
    EXPECT_EQ(out[2].packets, 200u);
}

// expire() drops closed vectors from its table once they outnumber the open ones three to one (every
// interval's sweep reads every entry). An attack open across that rebuild keeps its counts, and a
// victim whose closed vector was dropped starts afresh when it returns, as a new victim would.
TEST(Backscatter, AnAttackOpenAcrossTheTableRebuildKeepsItsCounts) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    BackscatterDetector det(dn);
    std::vector<DosAttack> out;
    // Victim 5.6.7.8 under attack from kT0 for 600 s, a SYN/ACK every 2 s.
    auto attack = [&](uint32_t victim, int64_t start, int64_t seconds) {
        for (int64_t s = 0; s < seconds; s += 2)
            det.observe(synack(start + s * kNanosPerSecond, victim, 0xC6120000 + uint32_t(s), 80, 1024), uint64_t(s), out);
    };
    // 6000 victims of a single stray packet each, in the attack's first second.
    for (uint32_t v = 0; v < 6000; ++v)
        det.observe(synack(kT0 + v * 100'000LL, 0x0B000000 + v, 0xC6120001, 443, 2000), 1, out);
    attack(0x05060708, kT0, 400);
    ASSERT_EQ(det.table_entries(), 6001u);
    det.expire(kT0 + 400 * kNanosPerSecond, out);  // the strays are idle for more than 300 s
    EXPECT_TRUE(out.empty());                       // single packets are no attacks
    EXPECT_EQ(det.table_entries(), 1u);              // only the open attack is left
    // The attack goes on; one of the dropped strays comes back as a real victim.
    for (int64_t s = 400; s < 600; s += 2)
        det.observe(synack(kT0 + s * kNanosPerSecond, 0x05060708, 0xC6120000 + uint32_t(s), 80, 1024), uint64_t(s), out);
    attack(0x0B000007, kT0 + 500 * kNanosPerSecond, 120);
    det.finish(out);
    ASSERT_EQ(out.size(), 2u);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.victim < b.victim; });
    EXPECT_EQ(out[0].victim.to_string(), "5.6.7.8");
    EXPECT_EQ(out[0].start_ns, kT0);
    EXPECT_EQ(out[0].packets, 300u);
    EXPECT_EQ(out[0].attackers, 300u);
    EXPECT_EQ(out[1].victim.to_string(), "11.0.0.7");
    EXPECT_EQ(out[1].start_ns, kT0 + 500 * kNanosPerSecond);  // not its stray's time
    EXPECT_EQ(out[1].packets, 60u);
}

// One address both scanning the darknet (SYNs) and under attack (its SYN/ACKs to spoofed darknet
// sources): a scan event and a DoS attack, each counting only its own packets.
TEST(Backscatter, ASourceCanBeBothAScannerAndAVictim) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    BackscatterDetector dos(dn);
    ScanDetector scans(dn);
    std::vector<DosAttack> attacks;
    std::vector<ScanEvent> events;
    for (uint32_t i = 0; i < 150; ++i) {
        DecodedPacket a = synack(kT0 + int64_t(i) * kNanosPerSecond, 0x05060708, 0xC6120000 + i, 80, 1024);
        DecodedPacket s = synack(kT0 + int64_t(i) * kNanosPerSecond, 0x05060708, 0xC6121000 + i, 40000, 23);
        s.tcp_flags = kTcpSyn;
        for (const DecodedPacket* p : {&a, &s}) {
            const uint64_t index = p->dst.v4_value() - 0xC6120000;
            dos.observe(*p, index, attacks);
            scans.observe(*p, index, events);
        }
    }
    dos.finish(attacks);
    scans.finish(events);
    ASSERT_EQ(attacks.size(), 1u);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(attacks[0].victim, events[0].src);
    EXPECT_EQ(attacks[0].packets, 150u);
    EXPECT_EQ(events[0].packets, 150u);
    EXPECT_EQ(events[0].port, 23);
}

// An open vector that qualifies is given as it stands (checkpoints at run ends), without closing.
TEST(Backscatter, OpenAttacksAreGivenAsTheyStandWithoutClosing) {
    Darknet dn({{"d", {*Prefix::parse("198.18.0.0/16")}}});
    BackscatterDetector det(dn);
    std::vector<DosAttack> out, open;
    for (uint32_t i = 0; i < 61; ++i) det.observe(synack(kT0 + int64_t(i) * kNanosPerSecond, 0x05060708, 0xC6120000 + i, 80, 1024), i, out);
    for (uint32_t i = 0; i < 59; ++i) det.observe(synack(kT0 + int64_t(i) * kNanosPerSecond, 0x09090909, 0xC6120000 + i, 80, 1024), i, out);
    det.open_attacks(open);
    ASSERT_EQ(open.size(), 1u);  // 9.9.9.9 lasted 58 s only
    EXPECT_EQ(open[0].victim.to_string(), "5.6.7.8");
    EXPECT_EQ(open[0].packets, 61u);
    EXPECT_TRUE(out.empty());
    det.observe(synack(kT0 + 100 * kNanosPerSecond, 0x05060708, 0xC6120000, 80, 1024), 0, out);
    det.finish(out);
    std::erase_if(out, [](const DosAttack& a) { return a.victim.to_string() != "5.6.7.8"; });
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].start_ns, open[0].start_ns);
    EXPECT_EQ(out[0].packets, 62u);
}

// A checkpointed destination set that claims to be a bitmap of a non-dense darknet (universe 0)
// is refused: restored, its first add() would index an empty bitmap.
TEST(DestinationTracker, LoadRefusesABitmapWithoutADenseUniverse) {
    ByteWriter w;
    w.put<uint8_t>(1);                   // bitmap
    w.put<uint64_t>(0);                  // count
    w.put_vector(std::vector<uint64_t>{});  // no words: the size a universe of 0 would have
    const std::string blob = w.data();
    ByteReader r(blob, "test");
    DestinationTracker t;
    EXPECT_THROW(load_tracker(r, t, 0), InputError);
    ByteReader ok(blob, "test");
    EXPECT_THROW(load_tracker(ok, t, 64), InputError);  // and of the wrong size for a dense one
}

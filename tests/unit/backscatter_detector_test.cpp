#include <gtest/gtest.h>

#include "core/timestamp.h"
#include "detect/backscatter_detector.h"

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

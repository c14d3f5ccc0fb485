#include <gtest/gtest.h>

#include "capture/decoded_packet.h"
#include "capture/raw_packet.h"
#include "capture_test_util.h"

using namespace iotwatch;
using namespace testcap;

namespace {
DecodedPacket decode(uint16_t link, const Bytes& f, uint32_t caplen = 0) {
    DecodedPacket p;
    const uint32_t n = caplen ? caplen : uint32_t(f.size());
    decode_packet(link, f.data(), n, uint32_t(f.size()), 42, p);
    return p;
}
Bytes ipv6(const Bytes& src16, const Bytes& dst16, uint8_t next, const Bytes& payload) {
    Bytes b = {0x60, 0, 0, 0};
    put16(b, uint16_t(payload.size()));
    b.push_back(next);
    b.push_back(64);
    b.insert(b.end(), src16.begin(), src16.end());
    b.insert(b.end(), dst16.begin(), dst16.end());
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}
const Bytes kV6a = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const Bytes kV6b = {0x20, 0x01, 0x0d, 0xb8, 0xde, 0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
}  // namespace

TEST(Decoder, EthernetIpv4TcpFields) {
    Bytes f = ethernet(ipv4(0x01020304, 0xC6120005, 6, tcp(40000, 23, 0xC6120005, 0x02, 1024, 4), 0, 250, 54321));
    auto p = decode(kLinkEthernet, f);
    EXPECT_EQ(p.status, DecodeStatus::kOk);
    EXPECT_EQ(p.ts_ns, 42);
    EXPECT_EQ(p.src.to_string(), "1.2.3.4");
    EXPECT_EQ(p.dst.to_string(), "198.18.0.5");
    EXPECT_EQ(p.protocol, kProtoTcp);
    EXPECT_EQ(p.ttl, 250);
    EXPECT_EQ(p.ip_id, 54321);
    EXPECT_EQ(p.sport, 40000);
    EXPECT_EQ(p.dport, 23);
    EXPECT_EQ(p.tcp_seq, 0xC6120005u);
    EXPECT_EQ(p.tcp_flags, kTcpSyn);
    EXPECT_EQ(p.tcp_window, 1024);
    EXPECT_EQ(p.tcp_options_len, 4);
    EXPECT_EQ(p.ip_bytes, 20u + 24u);
    EXPECT_TRUE(p.has_l4);
}

TEST(Decoder, EveryLinkTypeFindsTheSameIpPacket) {
    Bytes ip = ipv4(0x0A000001, 0xC6120001, 17, udp(5353, 53));
    Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
    sll.insert(sll.end(), ip.begin(), ip.end());
    Bytes sll2 = {0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
    sll2.insert(sll2.end(), ip.begin(), ip.end());
    Bytes null_le = {2, 0, 0, 0}, null_be = {0, 0, 0, 2}, loop = {0, 0, 0, 2};
    null_le.insert(null_le.end(), ip.begin(), ip.end());
    null_be.insert(null_be.end(), ip.begin(), ip.end());
    loop.insert(loop.end(), ip.begin(), ip.end());
    struct Case {
        uint16_t link;
        Bytes frame;
    };
    const Case cases[] = {{kLinkEthernet, ethernet(ip)},
                          {kLinkEthernet, ethernet(ip, 0x0800, {100})},
                          {kLinkEthernet, ethernet(ip, 0x0800, {100, 200})},  // QinQ
                          {kLinkLinuxSll, sll},
                          {kLinkLinuxSll2, sll2},
                          {kLinkRaw, ip},
                          {kLinkIpv4, ip},
                          {kLinkNull, null_le},
                          {kLinkNull, null_be},
                          {kLinkLoop, loop}};
    for (const auto& c : cases) {
        auto p = decode(c.link, c.frame);
        EXPECT_EQ(p.status, DecodeStatus::kOk) << c.link;
        EXPECT_EQ(p.dst.to_string(), "198.18.0.1") << c.link;
        EXPECT_EQ(p.dport, 53) << c.link;
        EXPECT_EQ(p.protocol, kProtoUdp);
    }
    EXPECT_EQ(decode(147, ip).status, DecodeStatus::kUnsupportedLink);
    Bytes arp = ethernet(Bytes(28, 0), 0x0806);
    EXPECT_EQ(decode(kLinkEthernet, arp).status, DecodeStatus::kNotIp);
}

TEST(Decoder, Ipv4OptionsAndFragments) {
    auto p = decode(kLinkRaw, ipv4(1, 2, 6, tcp(1, 80, 5, 0x12), 0, 64, 1, {1, 1, 1, 0}));
    EXPECT_TRUE(p.has_ip_options);
    EXPECT_EQ(p.dport, 80);
    EXPECT_EQ(p.tcp_flags, 0x12);
    auto first = decode(kLinkRaw, ipv4(1, 2, 6, tcp(1, 80, 5, 0x02), 0x2000));  // MF, offset 0
    EXPECT_TRUE(first.is_fragment);
    EXPECT_FALSE(first.is_later_fragment);
    EXPECT_TRUE(first.has_l4);
    auto later = decode(kLinkRaw, ipv4(1, 2, 6, Bytes(16, 0xEE), 185));  // offset 185*8
    EXPECT_TRUE(later.is_later_fragment);
    EXPECT_FALSE(later.has_l4);  // no transport header in later fragments
    EXPECT_EQ(later.protocol, kProtoTcp);
    Bytes bad = ipv4(1, 2, 6, tcp(1, 2, 3, 2));
    bad[0] = 0x44;  // IHL 4 < 5
    EXPECT_EQ(decode(kLinkRaw, bad).status, DecodeStatus::kMalformed);
}

TEST(Decoder, Ipv6ExtensionHeadersAndFragments) {
    // Hop-by-hop (8 bytes) then destination options (8 bytes) then TCP.
    Bytes ext = {60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0};
    Bytes t = tcp(1234, 443, 9, 0x02);
    ext.insert(ext.end(), t.begin(), t.end());
    auto p = decode(kLinkIpv6, ipv6(kV6a, kV6b, 0, ext));
    EXPECT_EQ(p.status, DecodeStatus::kOk);
    EXPECT_EQ(p.ip_version, 6);
    EXPECT_EQ(p.protocol, kProtoTcp);
    EXPECT_EQ(p.dport, 443);
    EXPECT_EQ(p.dst.to_string(), "2001:db8:dead::2");
    // Fragment header, offset 0 (first fragment): transport decoded; offset 8: later fragment.
    Bytes frag0 = {17, 0, 0x00, 0x01, 0, 0, 0x12, 0x34};
    Bytes u = udp(1, 161);
    frag0.insert(frag0.end(), u.begin(), u.end());
    auto f0 = decode(kLinkRaw, ipv6(kV6a, kV6b, 44, frag0));
    EXPECT_TRUE(f0.is_fragment);
    EXPECT_EQ(f0.dport, 161);
    EXPECT_EQ(f0.ip_id, 0x1234);
    Bytes frag1 = {17, 0, 0x00, 0x40, 0, 0, 0x12, 0x34, 9, 9, 9, 9};
    auto f1 = decode(kLinkRaw, ipv6(kV6a, kV6b, 44, frag1));
    EXPECT_TRUE(f1.is_later_fragment);
    EXPECT_FALSE(f1.has_l4);
    EXPECT_EQ(f1.protocol, kProtoUdp);
    // ICMPv6 echo request.
    auto e = decode(kLinkRaw, ipv6(kV6a, kV6b, 58, {128, 0, 0, 0, 0, 1, 0, 1}));
    EXPECT_EQ(e.protocol, kProtoIcmp6);
    EXPECT_EQ(e.icmp_type, 128);
}

TEST(Decoder, IcmpErrorQuotesTheInnerHeader) {
    Bytes inner = ipv4(0xC6120009, 0x05060708, 6, tcp(4444, 80, 1, 0x02));
    Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
    icmp.insert(icmp.end(), inner.begin(), inner.begin() + 28);  // IP header + 8 bytes
    auto p = decode(kLinkRaw, ipv4(0x05060708, 0xC6120009, 1, icmp));
    EXPECT_EQ(p.icmp_type, 3);
    ASSERT_TRUE(p.has_quoted);
    EXPECT_EQ(p.quoted.src.to_string(), "198.18.0.9");
    EXPECT_EQ(p.quoted.dst.to_string(), "5.6.7.8");
    EXPECT_EQ(p.quoted.protocol, kProtoTcp);
    EXPECT_EQ(p.quoted.sport, 4444);
    EXPECT_EQ(p.quoted.dport, 80);
    EXPECT_TRUE(p.quoted.has_ports);
    auto echo = decode(kLinkRaw, ipv4(1, 2, 1, {8, 0, 0, 0, 0, 1, 0, 1}));
    EXPECT_FALSE(echo.has_quoted);
}

// Every prefix of a frame decodes without reading past caplen (ASan checks it in CI) and with a
// status that says how far it got.
TEST(Decoder, TruncationAtEveryLengthIsSafeAndLabelled) {
    Bytes f = ethernet(ipv4(1, 0xC6120001, 6, tcp(1, 23, 2, 0x02, 1024, 8)));
    for (uint32_t n = 0; n <= f.size(); ++n) {
        Bytes part(f.begin(), f.begin() + n);  // exact-size heap copy: ASan catches overreads
        DecodedPacket p;
        decode_packet(kLinkEthernet, part.data(), n, uint32_t(f.size()), 0, p);
        if (n < 14 + 20) {
            EXPECT_EQ(p.status, DecodeStatus::kTruncatedL3) << n;
        } else if (n < 14 + 20 + 14) {
            EXPECT_EQ(p.status, DecodeStatus::kTruncatedL4) << n;
            EXPECT_FALSE(p.has_l4) << n;
            EXPECT_EQ(p.dst.to_string(), "198.18.0.1");
        } else if (n < 14 + 20 + 20) {
            EXPECT_EQ(p.status, DecodeStatus::kTruncatedL4) << n;
            EXPECT_TRUE(p.has_l4) << n;  // ports and flags were captured
            EXPECT_EQ(p.tcp_flags, kTcpSyn);
        } else {
            EXPECT_EQ(p.status, DecodeStatus::kOk) << n;
        }
        EXPECT_EQ(p.ip_bytes, n >= 34 ? 20u + 28u : 0u) << n;
    }
}

// peek_source() answers for exactly the frames that decode_packet() decodes with kOk or
// kTruncatedL4, with the same source: partitioned workers skip other workers' packets on its word,
// so a frame it accepted but decode_packet() rejects (or the reverse) would be lost or counted by
// the wrong worker. Every link type, IPv4 and IPv6, bad versions and header lengths, non-IP, an
// unknown link type, each cut at every length.
TEST(Decoder, PeekSourceAgreesWithDecodeOnEveryFrameAndLength) {
    Bytes v4 = ipv4(0x0A000001, 0xC6120001, 6, tcp(40000, 23, 7, 0x02, 1024, 4), 0, 64, 9, Bytes(4, 1));
    Bytes v6 = ipv6(kV6a, kV6b, 44, Bytes{6, 0, 0, 0, 0, 0, 0, 1});  // fragment header, then TCP
    Bytes v6tcp = tcp(1, 2, 3, 0x12);
    v6.insert(v6.end(), v6tcp.begin(), v6tcp.end());
    const Bytes v6_direct = ipv6(kV6a, kV6b, 6, v6tcp);  // TCP as the first next header
    Bytes bad_version = v4, short_ihl = v4, v6_as_v4 = v6;
    bad_version[0] = 0x55;
    short_ihl[0] = 0x44;
    auto with = [](Bytes head, const Bytes& ip) {
        head.insert(head.end(), ip.begin(), ip.end());
        return head;
    };
    const Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
    const Bytes sll6 = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xDD};
    const Bytes sll2 = {0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
    struct Case {
        uint16_t link;
        Bytes frame;
    };
    const Case cases[] = {{kLinkEthernet, ethernet(v4)},
                          {kLinkEthernet, ethernet(v4, 0x0800, {100, 200})},
                          {kLinkEthernet, ethernet(v6, 0x86DD)},
                          {kLinkEthernet, ethernet(v6, 0x0800)},  // IPv6 under the IPv4 ethertype
                          {kLinkEthernet, ethernet(bad_version)},
                          {kLinkEthernet, ethernet(short_ihl)},
                          {kLinkEthernet, ethernet(Bytes(28, 0), 0x0806)},
                          {kLinkLinuxSll, with(sll, v4)},
                          {kLinkLinuxSll, with(sll6, v6)},
                          {kLinkLinuxSll2, with(sll2, v4)},
                          {kLinkRaw, v4},
                          {kLinkRaw, v6},
                          {kLinkRaw, bad_version},
                          {kLinkIpv4, v4},
                          {kLinkIpv4, v6_as_v4},
                          {kLinkIpv6, v6},
                          {kLinkIpv6, v6_direct},
                          {kLinkEthernet, ethernet(v6_direct, 0x86DD)},
                          {kLinkIpv6, v4},
                          {kLinkNull, with({2, 0, 0, 0}, v4)},
                          {kLinkNull, with({0, 0, 0, 30}, v6)},
                          {kLinkLoop, with({0, 0, 0, 2}, v4)},
                          {12, v4},
                          {147, v4}};
    size_t accepted = 0, refused = 0, transport_checked = 0;
    for (const auto& c : cases) {
        for (uint32_t n = 0; n <= c.frame.size(); ++n) {
            Bytes part(c.frame.begin(), c.frame.begin() + n);  // exact size: ASan catches overreads
            DecodedPacket p;
            decode_packet(c.link, part.data(), n, uint32_t(c.frame.size()), 0, p);
            IpAddress src = IpAddress::v4(0xFFFFFFFF);
            uint8_t proto = 0xFF;
            const bool peeked = peek_source(c.link, part.data(), n, src, proto);
            const bool decoded = p.status == DecodeStatus::kOk || p.status == DecodeStatus::kTruncatedL4;
            ASSERT_EQ(peeked, decoded) << "link " << c.link << " length " << n << " status " << int(p.status);
            // The protocol byte: when it says TCP or UDP, that is the decoded transport (workers
            // skip other workers' TCP/UDP packets on it when their detectors key by source).
            if (peeked && (proto == kProtoTcp || proto == kProtoUdp)) {
                EXPECT_EQ(proto, p.protocol) << "link " << c.link << " length " << n;
                ++transport_checked;
            }
            if (peeked) {
                EXPECT_EQ(src, p.src) << "link " << c.link << " length " << n;
                ++accepted;
            } else {
                EXPECT_EQ(src, IpAddress::v4(0xFFFFFFFF)) << "unchanged when refused";
                EXPECT_EQ(proto, 0xFF) << "unchanged when refused";
                ++refused;
            }
        }
    }
    EXPECT_GT(accepted, 200u);
    EXPECT_GT(refused, 200u);
    EXPECT_GT(transport_checked, 100u);
}

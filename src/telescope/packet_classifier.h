// The NICTER packet classes (DOMAIN.md section 2): exclusive and exhaustive.
// TCP (ECE, CWR, URG ignored): RST if RST is set; else SYN/ACK if SYN+ACK without FIN; else SYN if
// SYN without ACK or FIN; else FIN if FIN without SYN; else PUSH if PSH; else ACK if ACK; else
// TCP-other (no flags, SYN+FIN, URG only ...). Then UDP, ICMP (incl. ICMPv6), other-IP.
// Fragments after the first carry no transport header: classified by protocol only, so a later TCP
// fragment is TCP-other, a later UDP fragment UDP, a later ICMP fragment ICMP.
#pragma once
#include <array>
#include <cstdint>

#include "capture/decoded_packet.h"
#include "store/rows.h"

namespace iotwatch {

/// Class of a TCP segment from its flag byte.
constexpr PacketClass classify_tcp_flags(uint8_t flags) {
    const bool syn = flags & kTcpSyn, ack = flags & kTcpAck, fin = flags & kTcpFin;
    if (flags & kTcpRst) return kClassRst;
    if (syn && ack && !fin) return kClassSynAck;
    if (syn && !ack && !fin) return kClassSyn;
    if (fin && !syn) return kClassFin;
    if (flags & kTcpPsh) return kClassPush;
    if (ack) return kClassAck;
    return kClassTcpOther;
}

/// classify_tcp_flags() for every flag byte, computed at compile time: the per-packet rule in one
/// load instead of its chain of branches (~30 instructions a packet: cachegrind, a generated capture).
inline constexpr auto kTcpFlagClass = [] {
    std::array<uint8_t, 256> t{};
    for (unsigned f = 0; f < 256; ++f) t[f] = static_cast<uint8_t>(classify_tcp_flags(static_cast<uint8_t>(f)));
    return t;
}();

/// Class of a decoded IP packet. A TCP packet whose flags were not captured (truncated, or a later
/// fragment) is TCP-other.
constexpr PacketClass classify_packet(const DecodedPacket& p) {
    switch (p.protocol) {
    case kProtoTcp:
        return (p.has_l4 && !p.is_later_fragment) ? static_cast<PacketClass>(kTcpFlagClass[p.tcp_flags])
                                                  : kClassTcpOther;
    case kProtoUdp:
        return kClassUdp;
    case kProtoIcmp:
    case kProtoIcmp6:
        return kClassIcmp;
    default:
        return kClassOtherIp;
    }
}

}  // namespace iotwatch

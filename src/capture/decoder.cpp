// decode_packet(): link layer -> IPv4/IPv6 (options, fragments, extension headers) -> TCP/UDP/ICMP.
// Straight-line bounds-checked reads, no allocation; fields past the captured length stay zero and
// the status says how far decoding got.
#include <cstring>

#include "capture/decoded_packet.h"
#include "capture/raw_packet.h"

namespace iotwatch {
namespace {

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD;

/// Offset of the IP header and its ethertype-equivalent; false when the frame carries no IP.
/// Sets `status` to kTruncatedL3 / kNotIp / kUnsupportedLink on failure.
inline bool link_layer(uint16_t linktype, const uint8_t* d, uint32_t len, uint32_t& off, uint16_t& ethertype,
                DecodeStatus& status) {
    switch (linktype) {
    case kLinkEthernet: {
        if (len < 14) return status = DecodeStatus::kTruncatedL3, false;
        uint16_t t = be16(d + 12);
        off = 14;
        // 802.1Q / 802.1ad QinQ / legacy 0x9100 tags, stacked.
        for (int tags = 0; (t == 0x8100 || t == 0x88A8 || t == 0x9100) && tags < 8; ++tags) {
            if (len < off + 4) return status = DecodeStatus::kTruncatedL3, false;
            t = be16(d + off + 2);
            off += 4;
        }
        ethertype = t;
        break;
    }
    case kLinkLinuxSll:
        if (len < 16) return status = DecodeStatus::kTruncatedL3, false;
        ethertype = be16(d + 14);
        off = 16;
        break;
    case kLinkLinuxSll2:
        if (len < 20) return status = DecodeStatus::kTruncatedL3, false;
        ethertype = be16(d);
        off = 20;
        break;
    case kLinkRaw:
    case 12:   // LINKTYPE_RAW on some OpenBSD captures (DLT_RAW value)
    case 14:
        if (len < 1) return status = DecodeStatus::kTruncatedL3, false;
        ethertype = (d[0] >> 4) == 6 ? kEtherIpv6 : (d[0] >> 4) == 4 ? kEtherIpv4 : 0;
        off = 0;
        break;
    case kLinkIpv4:
        ethertype = kEtherIpv4;
        off = 0;
        break;
    case kLinkIpv6:
        ethertype = kEtherIpv6;
        off = 0;
        break;
    case kLinkNull:
    case kLinkLoop: {
        if (len < 4) return status = DecodeStatus::kTruncatedL3, false;
        uint32_t af;
        std::memcpy(&af, d, 4);
        // NULL is host order of the capturing machine (unknown here): accept either order.
        uint32_t swapped = __builtin_bswap32(af);
        if (linktype == kLinkLoop) af = swapped, swapped = af;  // network order
        auto family = [](uint32_t v) -> uint16_t {
            if (v == 2) return kEtherIpv4;
            if (v == 24 || v == 28 || v == 30 || v == 10) return kEtherIpv6;
            return 0;
        };
        ethertype = family(af) ? family(af) : family(swapped);
        off = 4;
        break;
    }
    default:
        return status = DecodeStatus::kUnsupportedLink, false;
    }
    if (ethertype != kEtherIpv4 && ethertype != kEtherIpv6) return status = DecodeStatus::kNotIp, false;
    return true;
}

/// Transport header at `t` (len bytes available, `declared` bytes per the IP length).
void transport(uint8_t proto, const uint8_t* t, uint32_t len, uint32_t declared, DecodedPacket& out) {
    switch (proto) {
    case kProtoTcp:
        if (len >= 14) {  // ports, seq, ack and the flags byte
            out.sport = be16(t);
            out.dport = be16(t + 2);
            out.tcp_seq = be32(t + 4);
            out.tcp_ack = be32(t + 8);
            const uint32_t hl = (t[12] >> 4) * 4u;
            out.tcp_options_len = static_cast<uint8_t>(hl > 20 ? hl - 20 : 0);
            out.tcp_flags = t[13];
            out.has_l4 = true;
            if (len >= 16) out.tcp_window = be16(t + 14);
            out.payload_len = declared > hl ? declared - hl : 0;
            if (len < 20) out.status = DecodeStatus::kTruncatedL4;
        } else {
            out.status = DecodeStatus::kTruncatedL4;
        }
        return;
    case kProtoUdp:
        if (len >= 8) {
            out.sport = be16(t);
            out.dport = be16(t + 2);
            out.has_l4 = true;
            out.payload_len = declared > 8 ? declared - 8 : 0;
        } else {
            out.status = DecodeStatus::kTruncatedL4;
        }
        return;
    case kProtoIcmp:
    case kProtoIcmp6: {
        if (len < 4) {
            out.status = DecodeStatus::kTruncatedL4;
            return;
        }
        out.icmp_type = t[0];
        out.icmp_code = t[1];
        out.has_l4 = true;
        out.payload_len = declared > 8 ? declared - 8 : 0;
        const bool error = proto == kProtoIcmp ? (t[0] == 3 || t[0] == 4 || t[0] == 5 || t[0] == 11 || t[0] == 12)
                                               : (t[0] >= 1 && t[0] <= 4);
        if (!error || len < 8) return;
        // The quoted IP header (and the first 4 bytes of its transport header: the ports).
        const uint8_t* q = t + 8;
        const uint32_t qlen = len - 8;
        if (qlen >= 20 && (q[0] >> 4) == 4) {
            const uint32_t ihl = (q[0] & 0x0F) * 4u;
            out.quoted.src = IpAddress::v4_bytes(q + 12);
            out.quoted.dst = IpAddress::v4_bytes(q + 16);
            out.quoted.protocol = q[9];
            out.has_quoted = true;
            if (ihl >= 20 && qlen >= ihl + 4 && (q[9] == kProtoTcp || q[9] == kProtoUdp)) {
                out.quoted.has_ports = true;
                out.quoted.sport = be16(q + ihl);
                out.quoted.dport = be16(q + ihl + 2);
            }
        } else if (qlen >= 40 && (q[0] >> 4) == 6) {
            out.quoted.src = IpAddress::v6(q + 8);
            out.quoted.dst = IpAddress::v6(q + 24);
            out.quoted.protocol = q[6];
            out.has_quoted = true;
            if (qlen >= 44 && (q[6] == kProtoTcp || q[6] == kProtoUdp)) {
                out.quoted.has_ports = true;
                out.quoted.sport = be16(q + 40);
                out.quoted.dport = be16(q + 42);
            }
        }
        return;
    }
    default:
        return;
    }
}

}  // namespace

void decode_packet(uint16_t linktype, const uint8_t* d, uint32_t caplen, uint32_t wirelen, int64_t ts_ns,
                   DecodedPacket& out) {
    // Copied from a constant: `out = DecodedPacket{}` built the blank on the stack with `rep stos`
    // (slow to start for 136 bytes) and then copied it, a third of this function's samples.
    static const DecodedPacket kBlank{};
    out = kBlank;
    out.ts_ns = ts_ns;
    uint32_t off = 0;
    uint16_t ethertype = 0;
    if (!link_layer(linktype, d, caplen, off, ethertype, out.status)) return;
    out.l3_offset = static_cast<uint16_t>(off);
    const uint8_t* ip = d + off;
    const uint32_t len = caplen - off;
    const uint32_t wire_ip = wirelen > off ? wirelen - off : 0;
    if (ethertype == kEtherIpv4) {
        if (len < 20) return void(out.status = DecodeStatus::kTruncatedL3);
        if ((ip[0] >> 4) != 4) return void(out.status = DecodeStatus::kMalformed);
        const uint32_t ihl = (ip[0] & 0x0F) * 4u;
        if (ihl < 20) return void(out.status = DecodeStatus::kMalformed);
        out.ip_version = 4;
        out.src = IpAddress::v4_bytes(ip + 12);
        out.dst = IpAddress::v4_bytes(ip + 16);
        out.protocol = ip[9];
        out.ttl = ip[8];
        out.ip_id = be16(ip + 4);
        const uint16_t total = be16(ip + 2);
        out.ip_bytes = total ? total : wire_ip;  // 0 with TSO: fall back to the frame
        const uint16_t frag = be16(ip + 6);
        const uint16_t frag_off = frag & 0x1FFF;
        out.is_fragment = (frag & 0x2000) || frag_off;
        out.is_later_fragment = frag_off != 0;
        out.has_ip_options = ihl > 20;
        if (len < ihl) return void(out.status = DecodeStatus::kTruncatedL4);  // options cut: no L4
        if (out.is_later_fragment) return;
        const uint32_t declared = (total > ihl ? total - ihl : 0);
        out.l4_offset = off + ihl;
        transport(out.protocol, ip + ihl, len - ihl, total ? declared : (len - ihl), out);
        return;
    }
    // IPv6: fixed header, then extension headers up to the transport protocol.
    if (len < 40) return void(out.status = DecodeStatus::kTruncatedL3);
    if ((ip[0] >> 4) != 6) return void(out.status = DecodeStatus::kMalformed);
    out.ip_version = 6;
    out.src = IpAddress::v6(ip + 8);
    out.dst = IpAddress::v6(ip + 24);
    out.ttl = ip[7];
    const uint16_t payload = be16(ip + 4);
    out.ip_bytes = payload ? 40u + payload : wire_ip;  // 0: jumbogram
    uint8_t next = ip[6];
    uint32_t pos = 40;
    for (int hops = 0; hops < 16; ++hops) {
        if (next == 0 || next == 43 || next == 60 || next == 51 || next == 44) {
            if (len < pos + 8) {
                out.protocol = next;
                return void(out.status = DecodeStatus::kTruncatedL4);
            }
            const uint8_t* h = ip + pos;
            if (next == 44) {  // fragment header
                const uint16_t fo = be16(h + 2);
                out.is_fragment = true;
                out.is_later_fragment = (fo >> 3) != 0;
                out.ip_id = be16(h + 6);  // low 16 bits of the identification
                next = h[0];
                pos += 8;
                if (out.is_later_fragment) {
                    out.protocol = next;
                    return;
                }
                continue;
            }
            const uint32_t hl = next == 51 ? (h[1] + 2u) * 4u : (h[1] + 1u) * 8u;  // AH counts 4-byte words
            next = h[0];
            pos += hl;
            continue;
        }
        break;
    }
    out.protocol = next;
    if (next == 59 || next == 50) return;  // no next header / ESP: nothing more to read
    if (len < pos) return void(out.status = DecodeStatus::kTruncatedL4);
    const uint32_t declared = payload ? (40u + payload > pos ? 40u + payload - pos : 0) : len - pos;
    out.l4_offset = off + pos;
    transport(next, ip + pos, len - pos, declared, out);
}

bool peek_source(uint16_t linktype, const uint8_t* d, uint32_t caplen, IpAddress& src, uint8_t& ip_protocol) {
    // The checks decode_packet() makes before it sets the addresses; past them it reports only
    // kOk or kTruncatedL4.
    uint32_t off = 0;
    uint16_t ethertype = 0;
    DecodeStatus status;
    if (!link_layer(linktype, d, caplen, off, ethertype, status)) return false;
    const uint8_t* ip = d + off;
    const uint32_t len = caplen - off;
    if (ethertype == kEtherIpv4) {
        if (len < 20 || (ip[0] >> 4) != 4 || (ip[0] & 0x0F) < 5) return false;
        src = IpAddress::v4_bytes(ip + 12);
        ip_protocol = ip[9];
        return true;
    }
    if (len < 40 || (ip[0] >> 4) != 6) return false;
    src = IpAddress::v6(ip + 8);
    ip_protocol = ip[6];  // the first next header: an extension header's number when there is one
    return true;
}

}  // namespace iotwatch

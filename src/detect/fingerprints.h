// Per-packet scanning-tool fingerprints (DOMAIN.md section 2). Each is a pure function of the
// header fields; detectors report the fraction of a source's or event's packets that match.
#pragma once
#include <cstdint>

#include "capture/decoded_packet.h"

namespace iotwatch {

enum Fingerprint : uint8_t {
    kFpMirai = 0,     // TCP SYN with seq == destination IPv4 address (raw 32-bit)
    kFpZmap,          // IPv4 ID 54321 (ZMap before 4.1)
    kFpMasscan,       // ip_id == (dst ^ dport ^ seq) & 0xFFFF
    kFpLargeScanner,  // CAIDA hint: TTL >= 200, SYN without ACK, window 1024, no TCP options
    kFingerprintCount
};

const char* fingerprint_name(uint8_t fp);

/// True when `p` is a TCP SYN without ACK (the probe every fingerprint but ZMap's applies to).
constexpr bool is_bare_syn(const DecodedPacket& p) {
    return p.protocol == kProtoTcp && p.has_l4 && (p.tcp_flags & (kTcpSyn | kTcpAck | kTcpRst)) == kTcpSyn;
}

/// Bit i set when fingerprint i matches.
constexpr uint8_t fingerprint_bits(const DecodedPacket& p) {
    if (p.ip_version != 4) return 0;
    uint8_t bits = 0;
    const uint32_t dst = p.dst.v4_value();
    if (p.ip_id == 54321) bits |= 1u << kFpZmap;
    if (is_bare_syn(p)) {
        if (p.tcp_seq == dst) bits |= 1u << kFpMirai;
        if (p.ip_id == ((dst ^ p.dport ^ p.tcp_seq) & 0xFFFF)) bits |= 1u << kFpMasscan;
        if (p.ttl >= 200 && p.tcp_window == 1024 && p.tcp_options_len == 0) bits |= 1u << kFpLargeScanner;
    }
    return bits;
}

}  // namespace iotwatch

// RawPacket: one captured frame as a reader hands it out (no decoding yet). The data pointer stays
// valid until the next call to PacketSource::next().
#pragma once
#include <cstdint>

namespace iotwatch {

/// Link-layer header types (LINKTYPE_* values of the pcap/pcapng file formats).
enum LinkType : uint16_t {
    kLinkNull = 0,        // BSD loopback, host-byte-order AF_ value
    kLinkEthernet = 1,
    kLinkRaw = 101,       // raw IPv4/IPv6 (version nibble decides)
    kLinkLoop = 108,      // OpenBSD loopback, network-byte-order AF_ value
    kLinkLinuxSll = 113,
    kLinkIpv4 = 228,
    kLinkIpv6 = 229,
    kLinkLinuxSll2 = 276,
};

struct RawPacket {
    int64_t ts_ns = 0;          // capture time, ns since the epoch (UTC)
    uint32_t caplen = 0;        // bytes present at `data`
    uint32_t wirelen = 0;       // original length on the wire (>= caplen)
    uint16_t linktype = 0;      // LinkType of the interface that captured it
    uint32_t interface_id = 0;  // pcapng interface index (0 for classic pcap)
    uint64_t record_offset = 0; // byte offset of the record header in its (decompressed) file
    const uint8_t* data = nullptr;
};

}  // namespace iotwatch

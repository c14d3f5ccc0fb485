// PacketDigest: the few fields of a darknet packet that a per-source classifier keyed by the
// aggregator's source number reads (Detector::uses_source_ids), in 24 bytes.
//
// Why: the SVM's feature windows ran on a detector thread of their own, fed a 128-byte copy of
// every darknet packet, and looked each packet's source up in a table of their own. The worker
// already knows the source's number (its record's `id`), so it hands over this digest instead:
// four to a ring entry, and the window appends it without a lookup.
#pragma once
#include <cstdint>

#include "capture/decoded_packet.h"

namespace iotwatch {

struct PacketDigest {
    int64_t ts_ns = 0;
    uint32_t dst = 0;  // the IPv4 destination, or the low 32 bits of an IPv6 destination's hash
    uint16_t sport = 0, dport = 0;
    uint16_t payload = 0;  // transport payload bytes, saturated at 65,535
    uint8_t protocol = 0;
    uint8_t reserved = 0;
    uint32_t source_id = 0;  // the aggregator's number of the packet's source (SourceState::id)

    static PacketDigest of(const DecodedPacket& p, uint32_t source_id) {
        PacketDigest d;
        d.ts_ns = p.ts_ns;
        d.dst = p.dst.is_v4() ? p.dst.v4_value() : uint32_t(p.dst.hash());
        d.sport = p.sport;
        d.dport = p.dport;
        d.payload = uint16_t(p.payload_len < 65535 ? p.payload_len : 65535);
        d.protocol = p.protocol;
        d.source_id = source_id;
        return d;
    }
};
static_assert(sizeof(PacketDigest) == 24);

}  // namespace iotwatch

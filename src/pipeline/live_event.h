// LiveEvent: one classified darknet packet as `iotwatch ingest --live --feed` sends it to
// `iotwatch serve --live-from` (a UDP datagram on the loopback interface: the source address never
// leaves the machine; serve turns it into a country and coordinates and publishes no address).
// Wire format, 30 bytes: version (1) = 1, class (1), IP protocol (1), flags (1: bit 0 = has a
// destination port), destination port (2, big-endian), capture time in ns (8, big-endian), source
// address (16, IPv4 as ::ffff:a.b.c.d).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/ip_address.h"

namespace iotwatch {

struct LiveEvent {
    int64_t ts_ns = 0;
    uint8_t cls = 0;       // PacketClass
    uint8_t protocol = 0;
    bool has_dport = false;
    uint16_t dport = 0;
    IpAddress src;

    static constexpr size_t kWireSize = 30;
    std::string encode() const;
    /// Parses one datagram; nullopt (and `why`) when it is not a version-1 event of the right size
    /// or carries a class out of range.
    static std::optional<LiveEvent> decode(const uint8_t* data, size_t size, std::string* why = nullptr);
};

}  // namespace iotwatch

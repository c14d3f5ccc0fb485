// Big-endian reads for export packets. Callers check bounds first; these never allocate.
#pragma once
#include <cstddef>
#include <cstdint>

namespace iotwatch::wire {

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
/// An unsigned integer of 1..8 bytes (reduced-size encoding, RFC 7011 6.2); longer fields keep
/// their last 8 bytes, so a value never overflows the result.
inline uint64_t be_uint(const uint8_t* p, size_t len) {
    uint64_t v = 0;
    for (size_t i = len > 8 ? len - 8 : 0; i < len; ++i) v = v << 8 | p[i];
    return v;
}

}  // namespace iotwatch::wire

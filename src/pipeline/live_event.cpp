#include "pipeline/live_event.h"

#include "store/rows.h"

namespace iotwatch {

std::string LiveEvent::encode() const {
    std::string out(kWireSize, '\0');
    auto* b = reinterpret_cast<uint8_t*>(out.data());
    b[0] = 1;
    b[1] = cls;
    b[2] = protocol;
    b[3] = has_dport ? 1 : 0;
    b[4] = uint8_t(dport >> 8);
    b[5] = uint8_t(dport);
    for (int i = 0; i < 8; ++i) b[6 + i] = uint8_t(uint64_t(ts_ns) >> (56 - 8 * i));
    const uint64_t hi = src.hi(), lo = src.lo();
    for (int i = 0; i < 8; ++i) b[14 + i] = uint8_t(hi >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i) b[22 + i] = uint8_t(lo >> (56 - 8 * i));
    return out;
}

std::optional<LiveEvent> LiveEvent::decode(const uint8_t* b, size_t size, std::string* why) {
    auto fail = [&](const char* reason) -> std::optional<LiveEvent> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (size != kWireSize) return fail("live event: wrong size (expected 30 bytes)");
    if (b[0] != 1) return fail("live event: unknown version");
    if (b[1] >= kClassCount) return fail("live event: class out of range");
    LiveEvent e;
    e.cls = b[1];
    e.protocol = b[2];
    e.has_dport = b[3] & 1;
    e.dport = uint16_t(b[4] << 8 | b[5]);
    uint64_t ts = 0, hi = 0, lo = 0;
    for (int i = 0; i < 8; ++i) ts = ts << 8 | b[6 + i];
    for (int i = 0; i < 8; ++i) hi = hi << 8 | b[14 + i];
    for (int i = 0; i < 8; ++i) lo = lo << 8 | b[22 + i];
    e.ts_ns = int64_t(ts);
    e.src = IpAddress::from_halves(hi, lo);
    return e;
}

}  // namespace iotwatch

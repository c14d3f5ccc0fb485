#include "store/flow_block.h"

#include <zstd.h>

#include <cstring>

#include "core/error.h"

namespace iotwatch {
namespace {

template <typename T>
void put(uint8_t*& p, T v) {
    for (size_t i = 0; i < sizeof(T); ++i) *p++ = uint8_t(uint64_t(v) >> (8 * i));
}
template <typename T>
T get(const uint8_t*& p) {
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= uint64_t(*p++) << (8 * i);
    return T(v);
}

}  // namespace

std::string FlowBlock::encode(const std::vector<FlowRecord>& flows) {
    if (flows.size() > kMaxRecords) throw StoreError("flow block of " + std::to_string(flows.size()) + " records: at most " +
                                                     std::to_string(kMaxRecords));
    std::string raw(flows.size() * kRecordSize, '\0');
    uint8_t* p = reinterpret_cast<uint8_t*>(raw.data());
    for (const auto& f : flows) {
        put<uint64_t>(p, f.exporter.hi());
        put<uint64_t>(p, f.exporter.lo());
        put<uint64_t>(p, f.src.hi());
        put<uint64_t>(p, f.src.lo());
        put<uint64_t>(p, f.dst.hi());
        put<uint64_t>(p, f.dst.lo());
        put<int64_t>(p, f.start_ns);
        put<int64_t>(p, f.end_ns);
        put<uint64_t>(p, f.packets);
        put<uint64_t>(p, f.octets);
        put<uint32_t>(p, f.observation_domain);
        put<uint32_t>(p, f.sampling_interval);
        put<uint16_t>(p, f.sport);
        put<uint16_t>(p, f.dport);
        put<uint8_t>(p, f.version);
        put<uint8_t>(p, f.protocol);
        put<uint8_t>(p, f.tcp_flags);
        put<uint8_t>(p, 0);
    }
    std::string out(1 + ZSTD_compressBound(raw.size()), '\0');
    out[0] = char(kVersion);
    // Level 1: the collector must keep up with exporters sending millions of flows per second
    // (a negative level measured no faster here: the blocks grow and SQLite writes more).
    const size_t n = ZSTD_compress(out.data() + 1, out.size() - 1, raw.data(), raw.size(), 1);
    if (ZSTD_isError(n)) throw StoreError(std::string("zstd: ") + ZSTD_getErrorName(n));
    out.resize(1 + n);
    return out;
}

void FlowBlock::decode(const std::string& block, int64_t from_ns, int64_t to_ns, std::vector<FlowRecord>& out,
                       const std::string& what) {
    if (block.empty() || uint8_t(block[0]) != kVersion)
        throw StoreError(what + ": flow block of unknown version " + (block.empty() ? "(empty)" : std::to_string(uint8_t(block[0]))));
    const unsigned long long size = ZSTD_getFrameContentSize(block.data() + 1, block.size() - 1);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size % kRecordSize != 0 ||
        size > kMaxRecords * kRecordSize)
        throw StoreError(what + ": damaged flow block (frame size)");
    std::string raw(size_t(size), '\0');
    const size_t n = ZSTD_decompress(raw.data(), raw.size(), block.data() + 1, block.size() - 1);
    if (ZSTD_isError(n) || n != size) throw StoreError(what + ": damaged flow block (zstd)");
    const uint8_t* p = reinterpret_cast<const uint8_t*>(raw.data());
    for (size_t i = 0; i < size / kRecordSize; ++i) {
        FlowRecord f;
        const uint64_t eh = get<uint64_t>(p), el = get<uint64_t>(p);
        const uint64_t sh = get<uint64_t>(p), sl = get<uint64_t>(p);
        const uint64_t dh = get<uint64_t>(p), dl = get<uint64_t>(p);
        f.exporter = IpAddress::from_halves(eh, el);
        f.src = IpAddress::from_halves(sh, sl);
        f.dst = IpAddress::from_halves(dh, dl);
        f.start_ns = get<int64_t>(p);
        f.end_ns = get<int64_t>(p);
        f.packets = get<uint64_t>(p);
        f.octets = get<uint64_t>(p);
        f.observation_domain = get<uint32_t>(p);
        f.sampling_interval = get<uint32_t>(p);
        f.sport = get<uint16_t>(p);
        f.dport = get<uint16_t>(p);
        f.version = get<uint8_t>(p);
        f.protocol = get<uint8_t>(p);
        f.tcp_flags = get<uint8_t>(p);
        ++p;
        if (f.start_ns >= from_ns && f.start_ns < to_ns) out.push_back(f);
    }
}

}  // namespace iotwatch

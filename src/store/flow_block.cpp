#include "store/flow_block.h"

#include <zstd.h>

#include <cstring>

#include "core/error.h"
#include "store/flow_block_encoder.h"

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
    FlowBlockEncoder encoder;
    return std::string(encoder.encode(flows.data(), flows.size()));
}

FlowBlockEncoder::FlowBlockEncoder() : cctx_(ZSTD_createCCtx()) {
    if (!cctx_) throw StoreError("zstd: cannot create a compression context");
}

FlowBlockEncoder::~FlowBlockEncoder() { ZSTD_freeCCtx(cctx_); }

std::string_view FlowBlockEncoder::encode(const FlowRecord* first, size_t n) {
    if (n > FlowBlock::kMaxRecords)
        throw StoreError("flow block of " + std::to_string(n) + " records: at most " + std::to_string(FlowBlock::kMaxRecords));
    raw_.resize(n * FlowBlock::kRecordSize);  // keeps its capacity between blocks
    // Version 2 stores the fields column by column (each field of every record, then the next
    // field): the exporter, the IPv4-mapped address prefixes, versions and domains become long
    // runs, which zstd passes over at a fraction of the cost of the interleaved rows of version 1
    // (measured on bench_flows: see the README's flow figures).
    uint8_t* col = raw_.data();
    auto column = [&](auto width_tag, auto field) {
        using T = decltype(width_tag);
        for (const FlowRecord* f = first; f != first + n; ++f) put<T>(col, field(*f));
    };
    column(uint64_t{}, [](const FlowRecord& f) { return f.exporter.hi(); });
    column(uint64_t{}, [](const FlowRecord& f) { return f.exporter.lo(); });
    column(uint64_t{}, [](const FlowRecord& f) { return f.src.hi(); });
    column(uint64_t{}, [](const FlowRecord& f) { return f.src.lo(); });
    column(uint64_t{}, [](const FlowRecord& f) { return f.dst.hi(); });
    column(uint64_t{}, [](const FlowRecord& f) { return f.dst.lo(); });
    column(int64_t{}, [](const FlowRecord& f) { return f.start_ns; });
    column(int64_t{}, [](const FlowRecord& f) { return f.end_ns; });
    column(uint64_t{}, [](const FlowRecord& f) { return f.packets; });
    column(uint64_t{}, [](const FlowRecord& f) { return f.octets; });
    column(uint32_t{}, [](const FlowRecord& f) { return f.observation_domain; });
    column(uint32_t{}, [](const FlowRecord& f) { return f.sampling_interval; });
    column(uint16_t{}, [](const FlowRecord& f) { return f.sport; });
    column(uint16_t{}, [](const FlowRecord& f) { return f.dport; });
    column(uint8_t{}, [](const FlowRecord& f) { return f.version; });
    column(uint8_t{}, [](const FlowRecord& f) { return f.protocol; });
    column(uint8_t{}, [](const FlowRecord& f) { return f.tcp_flags; });
    column(uint8_t{}, [](const FlowRecord&) { return uint8_t{0}; });
    const size_t bound = 1 + ZSTD_compressBound(raw_.size());
    if (out_.size() < bound) out_.resize(bound);
    out_[0] = char(FlowBlock::kVersion);
    // Level 1: the collector must keep up with exporters sending millions of flows per second
    // (a negative level measured no faster here: the blocks grow and SQLite writes more).
    const size_t c = ZSTD_compressCCtx(cctx_, out_.data() + 1, out_.size() - 1, raw_.data(), raw_.size(), 1);
    if (ZSTD_isError(c)) throw StoreError(std::string("zstd: ") + ZSTD_getErrorName(c));
    return {out_.data(), 1 + c};
}

void FlowBlock::decode(const std::string& block, int64_t from_ns, int64_t to_ns, std::vector<FlowRecord>& out,
                       const std::string& what) {
    const uint8_t version = block.empty() ? 0 : uint8_t(block[0]);
    if (version != kVersionRows && version != kVersion)
        throw StoreError(what + ": flow block of unknown version " + (block.empty() ? "(empty)" : std::to_string(version)));
    const unsigned long long size = ZSTD_getFrameContentSize(block.data() + 1, block.size() - 1);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size % kRecordSize != 0 ||
        size > kMaxRecords * kRecordSize)
        throw StoreError(what + ": damaged flow block (frame size)");
    std::string raw(size_t(size), '\0');
    const size_t got = ZSTD_decompress(raw.data(), raw.size(), block.data() + 1, block.size() - 1);
    if (ZSTD_isError(got) || got != size) throw StoreError(what + ": damaged flow block (zstd)");
    const size_t n = size / kRecordSize;
    const uint8_t* base = reinterpret_cast<const uint8_t*>(raw.data());
    // Field at byte `offset` of the 96-byte record layout, of record i: version 1 interleaves the
    // records, version 2 keeps each field in a column (offset * n is where its column starts).
    auto field = [&]<typename T>(size_t i, size_t offset, T) {
        const uint8_t* p = version == kVersionRows ? base + i * kRecordSize + offset : base + offset * n + i * sizeof(T);
        return get<T>(p);
    };
    for (size_t i = 0; i < n; ++i) {
        FlowRecord f;
        f.start_ns = field(i, 48, int64_t{});
        if (f.start_ns < from_ns || f.start_ns >= to_ns) continue;
        f.exporter = IpAddress::from_halves(field(i, 0, uint64_t{}), field(i, 8, uint64_t{}));
        f.src = IpAddress::from_halves(field(i, 16, uint64_t{}), field(i, 24, uint64_t{}));
        f.dst = IpAddress::from_halves(field(i, 32, uint64_t{}), field(i, 40, uint64_t{}));
        f.end_ns = field(i, 56, int64_t{});
        f.packets = field(i, 64, uint64_t{});
        f.octets = field(i, 72, uint64_t{});
        f.observation_domain = field(i, 80, uint32_t{});
        f.sampling_interval = field(i, 84, uint32_t{});
        f.sport = field(i, 88, uint16_t{});
        f.dport = field(i, 90, uint16_t{});
        f.version = field(i, 92, uint8_t{});
        f.protocol = field(i, 93, uint8_t{});
        f.tcp_flags = field(i, 94, uint8_t{});
        out.push_back(f);
    }
}

}  // namespace iotwatch

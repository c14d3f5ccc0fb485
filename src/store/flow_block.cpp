#include "store/flow_block.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <type_traits>

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

// Version 3's columns: every field as an unsigned 64-bit value (times biased by 2^63 so the
// unsigned order is the signed one; addresses as their two halves).
constexpr uint64_t kTimeBias = uint64_t(1) << 63;
constexpr size_t kColumns = 17;
constexpr size_t kHeaderSize = 4 + kColumns * 9;

/// Calls visit(std::integral_constant<size_t, column>, getter) for each column in order.
template <typename Visit>
void visit_columns(Visit&& visit) {
    using C = size_t;
    visit(std::integral_constant<C, 0>{}, [](const FlowRecord& f) { return f.exporter.hi(); });
    visit(std::integral_constant<C, 1>{}, [](const FlowRecord& f) { return f.exporter.lo(); });
    visit(std::integral_constant<C, 2>{}, [](const FlowRecord& f) { return f.src.hi(); });
    visit(std::integral_constant<C, 3>{}, [](const FlowRecord& f) { return f.src.lo(); });
    visit(std::integral_constant<C, 4>{}, [](const FlowRecord& f) { return f.dst.hi(); });
    visit(std::integral_constant<C, 5>{}, [](const FlowRecord& f) { return f.dst.lo(); });
    visit(std::integral_constant<C, 6>{}, [](const FlowRecord& f) { return uint64_t(f.start_ns) ^ kTimeBias; });
    visit(std::integral_constant<C, 7>{}, [](const FlowRecord& f) { return uint64_t(f.end_ns) ^ kTimeBias; });
    visit(std::integral_constant<C, 8>{}, [](const FlowRecord& f) { return f.packets; });
    visit(std::integral_constant<C, 9>{}, [](const FlowRecord& f) { return f.octets; });
    visit(std::integral_constant<C, 10>{}, [](const FlowRecord& f) { return uint64_t(f.observation_domain); });
    visit(std::integral_constant<C, 11>{}, [](const FlowRecord& f) { return uint64_t(f.sampling_interval); });
    visit(std::integral_constant<C, 12>{}, [](const FlowRecord& f) { return uint64_t(f.sport); });
    visit(std::integral_constant<C, 13>{}, [](const FlowRecord& f) { return uint64_t(f.dport); });
    visit(std::integral_constant<C, 14>{}, [](const FlowRecord& f) { return uint64_t(f.version); });
    visit(std::integral_constant<C, 15>{}, [](const FlowRecord& f) { return uint64_t(f.protocol); });
    visit(std::integral_constant<C, 16>{}, [](const FlowRecord& f) { return uint64_t(f.tcp_flags); });
}

/// The record whose column values are `v` (the inverse of visit_columns' getters). Narrow fields
/// take the low bits: a damaged block gives wrong values, never undefined behaviour.
FlowRecord record_of(const std::array<uint64_t, kColumns>& v) {
    FlowRecord f;
    f.exporter = IpAddress::from_halves(v[0], v[1]);
    f.src = IpAddress::from_halves(v[2], v[3]);
    f.dst = IpAddress::from_halves(v[4], v[5]);
    f.start_ns = int64_t(v[6] ^ kTimeBias);
    f.end_ns = int64_t(v[7] ^ kTimeBias);
    f.packets = v[8];
    f.octets = v[9];
    f.observation_domain = uint32_t(v[10]);
    f.sampling_interval = uint32_t(v[11]);
    f.sport = uint16_t(v[12]);
    f.dport = uint16_t(v[13]);
    f.version = uint8_t(v[14]);
    f.protocol = uint8_t(v[15]);
    f.tcp_flags = uint8_t(v[16]);
    return f;
}

static_assert(std::endian::native == std::endian::little, "version 3 blocks are written with native 8-byte stores");

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
    // Version 3: each field is a column of (value - the column's smallest value), in as few bytes
    // as the column's range needs (none when every record has the same value). Exporters, the
    // IPv4-mapped address prefixes, domains and versions vanish and times take 4-5 bytes: about a
    // third of version 2's 96 bytes a record goes through zstd, which was most of the writer's
    // time (see the README's flow figures).
    std::array<uint64_t, kColumns> lo, hi;
    lo.fill(n ? UINT64_MAX : 0);
    hi.fill(0);
    for (const FlowRecord* f = first; f != first + n; ++f)
        visit_columns([&](auto column, auto get) {
            const uint64_t v = get(*f);
            lo[column] = std::min(lo[column], v), hi[column] = std::max(hi[column], v);
        });
    std::array<uint8_t, kColumns> width{};
    size_t row_bytes = 0;
    for (size_t c = 0; c < kColumns; ++c) {
        const uint64_t range = hi[c] - lo[c];
        width[c] = uint8_t(range == 0 ? 0 : (64 - std::countl_zero(range) + 7) / 8);
        row_bytes += width[c];
    }
    // Header: record count (4 bytes), then per column its base (8 bytes) and width (1 byte).
    const size_t size = kHeaderSize + row_bytes * n;
    raw_.resize(size + 8);  // 8 spare bytes: every value is stored with one 8-byte write
    uint8_t* p = raw_.data();
    put<uint32_t>(p, uint32_t(n));
    for (size_t c = 0; c < kColumns; ++c) put<uint64_t>(p, lo[c]), put<uint8_t>(p, width[c]);
    // Column after column, so a value's 8-byte store spills only into bytes not yet written.
    visit_columns([&](auto column, auto get) {
        const size_t w = width[column];
        if (w == 0) return;
        const uint64_t base = lo[column];
        for (const FlowRecord* f = first; f != first + n; ++f) {
            const uint64_t d = get(*f) - base;
            std::memcpy(p, &d, 8);
            p += w;
        }
    });
    const size_t bound = 1 + ZSTD_compressBound(size);
    if (out_.size() < bound) out_.resize(bound);
    out_[0] = char(FlowBlock::kVersion);
    // Level 1: the collector must keep up with exporters sending millions of flows per second
    // (a negative level measured no faster here: the blocks grow and SQLite writes more).
    const size_t c = ZSTD_compressCCtx(cctx_, out_.data() + 1, out_.size() - 1, raw_.data(), size, 1);
    if (ZSTD_isError(c)) throw StoreError(std::string("zstd: ") + ZSTD_getErrorName(c));
    return {out_.data(), 1 + c};
}

void FlowBlock::decode(const std::string& block, int64_t from_ns, int64_t to_ns, std::vector<FlowRecord>& out,
                       const std::string& what) {
    const uint8_t version = block.empty() ? 0 : uint8_t(block[0]);
    if (version != kVersionRows && version != kVersionColumns && version != kVersion)
        throw StoreError(what + ": flow block of unknown version " + (block.empty() ? "(empty)" : std::to_string(version)));
    const unsigned long long size = ZSTD_getFrameContentSize(block.data() + 1, block.size() - 1);
    const bool fixed = version != kVersion;  // versions 1 and 2: 96-byte records
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        (fixed ? size % kRecordSize != 0 || size > kMaxRecords * kRecordSize : size < kHeaderSize || size > kHeaderSize + kMaxRecords * kColumns * 8))
        throw StoreError(what + ": damaged flow block (frame size)");
    if (!fixed) {
        // 8 spare zero bytes: each value is read with one 8-byte load.
        std::vector<uint8_t> raw(size_t(size) + 8, 0);
        const size_t got = ZSTD_decompress(raw.data(), size_t(size), block.data() + 1, block.size() - 1);
        if (ZSTD_isError(got) || got != size) throw StoreError(what + ": damaged flow block (zstd)");
        const uint8_t* p = raw.data();
        const size_t n = get<uint32_t>(p);
        std::array<uint64_t, kColumns> base{};
        std::array<uint8_t, kColumns> width{};
        size_t row_bytes = 0;
        for (size_t c = 0; c < kColumns; ++c) {
            base[c] = get<uint64_t>(p), width[c] = get<uint8_t>(p);
            if (width[c] > 8) throw StoreError(what + ": damaged flow block (column " + std::to_string(c) + " width " + std::to_string(width[c]) + ")");
            row_bytes += width[c];
        }
        if (n > kMaxRecords || kHeaderSize + row_bytes * n != size)
            throw StoreError(what + ": damaged flow block (" + std::to_string(n) + " records do not fill its " + std::to_string(size) + " bytes)");
        std::array<const uint8_t*, kColumns> col{};
        for (size_t c = 0; c < kColumns; ++c) col[c] = p, p += width[c] * n;
        auto value = [&](size_t c, size_t i) {
            uint64_t v = 0;
            std::memcpy(&v, col[c] + i * width[c], 8);
            return base[c] + (width[c] == 8 ? v : v & ((uint64_t(1) << (8 * width[c])) - 1));
        };
        std::array<uint64_t, kColumns> v{};
        for (size_t i = 0; i < n; ++i) {
            const int64_t start = int64_t(value(6, i) ^ kTimeBias);
            if (start < from_ns || start >= to_ns) continue;
            for (size_t c = 0; c < kColumns; ++c) v[c] = value(c, i);
            out.push_back(record_of(v));
        }
        return;
    }
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

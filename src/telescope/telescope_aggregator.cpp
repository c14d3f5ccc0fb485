#include "telescope/telescope_aggregator.h"

#include <algorithm>
#include <array>

#include "core/byte_buffer.h"
#include "core/error.h"
#include "core/timestamp.h"
#include "telescope/packet_classifier.h"

namespace iotwatch {
namespace {

constexpr int kLevel5m = 0, kLevel1h = 1, kLevelDay = 2;
constexpr int kNumLevels = 3;
constexpr size_t kPortSlots = 2 * 65536;  // [0, 65536) TCP, [65536, 131072) UDP
constexpr size_t kTopPortsPerSource = 5;
// The table's empty-slot marker (ffff:...:ffff, multicast, never a legitimate source). A forged
// packet that carries it is keyed as 0.0.0.0 (also never a legitimate source): both are bogons.
constexpr IpAddress kEmptyAddress = IpAddress::from_halves(~0ULL, ~0ULL);
constexpr char kSnapshotMagic[] = "iotwatch-aggregator-v1";

inline int64_t floor_seconds(int64_t ts_ns) {
    int64_t s = bin_start_seconds(ts_ns, 1);
    return s < 0 ? 0 : s;
}

}  // namespace

void BinRows::clear() {
    classes.clear();
    ports.clear();
    meta.clear();
    sensors.clear();
    sources.clear();
}

struct TelescopeAggregator::Level {
    int32_t width = 0;
    int64_t start = 0;  // seconds
    bool any = false;   // a frame was counted since the bin opened
    uint64_t packets[kClassCount] = {};
    uint64_t bytes[kClassCount] = {};
    uint64_t src_uniq[kClassCount + 1] = {};  // per class, then all
    uint64_t outside = 0, not_ip = 0, truncated = 0, undecodable = 0, late = 0;
    std::vector<uint64_t> sensor_packets, sensor_bytes;
    std::vector<uint64_t> port_packets = std::vector<uint64_t>(kPortSlots, 0);
    std::vector<uint32_t> port_sources = std::vector<uint32_t>(kPortSlots, 0);
    std::vector<uint16_t> dst_mask;  // dense darknets: class bits per destination index
    FlatTable<IpAddress, uint16_t, AddressHash> dst_sparse{kEmptyAddress, 256};

    void reset_counters() {
        any = false;
        std::fill(std::begin(packets), std::end(packets), 0);
        std::fill(std::begin(bytes), std::end(bytes), 0);
        std::fill(std::begin(src_uniq), std::end(src_uniq), 0);
        outside = not_ip = truncated = undecodable = late = 0;
        std::fill(sensor_packets.begin(), sensor_packets.end(), 0);
        std::fill(sensor_bytes.begin(), sensor_bytes.end(), 0);
        std::fill(port_packets.begin(), port_packets.end(), 0);
        std::fill(port_sources.begin(), port_sources.end(), 0);
        std::fill(dst_mask.begin(), dst_mask.end(), 0);
        dst_sparse.clear();
    }
};

struct TelescopeAggregator::SourceState {
    IpAddress src;
    int64_t first_ns = 0;
    int64_t last_ns = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint32_t bin5 = 0;   // 1 + 5-min bin index in which classes_5m was last reset
    uint32_t bin1h = 0;  // 1 + hour index for classes_1h
    uint16_t classes_day = 0;
    uint16_t classes_5m = 0;
    uint16_t classes_1h = 0;
    DestinationTracker destinations;
};

struct TelescopeAggregator::PortState {
    uint64_t packets = 0;
    uint32_t bin5 = 0;
    uint32_t bin1h = 0;
};

TelescopeAggregator::TelescopeAggregator(const Darknet& darknet, BinSink& sink)
    : darknet_(darknet), sink_(sink), source_index_(kEmptyAddress, 4096), ports_(~0ULL, 4096) {
    const int32_t widths[kNumLevels] = {300, 3600, 86400};
    for (int i = 0; i < kNumLevels; ++i) {
        auto level = std::make_unique<Level>();
        level->width = widths[i];
        level->sensor_packets.assign(darknet_.sensors().size(), 0);
        level->sensor_bytes.assign(darknet_.sensors().size(), 0);
        if (darknet_.dense()) level->dst_mask.assign(darknet_.dense_size(), 0);
        levels_.push_back(std::move(level));
    }
}

TelescopeAggregator::~TelescopeAggregator() = default;

uint64_t TelescopeAggregator::bytes_per_source_record() {
    // One index slot (address + id, at the table's 3/4 maximum load) plus the state record.
    return sizeof(FlatTable<IpAddress, uint32_t, AddressHash>::Slot) * 4 / 3 + sizeof(SourceState);
}

void TelescopeAggregator::start_bins(int64_t ts_s) {
    for (auto& l : levels_) l->start = ts_s - ts_s % l->width;
    cur5_ = static_cast<uint32_t>(ts_s / 300) + 1;
    cur1h_ = static_cast<uint32_t>(ts_s / 3600) + 1;
    started_ = true;
}

void TelescopeAggregator::advance(int64_t ts_ns) {
    const int64_t s = floor_seconds(ts_ns);
    if (!started_) {
        start_bins(s);
        return;
    }
    const uint32_t idx5 = static_cast<uint32_t>(s / 300) + 1;
    if (idx5 <= cur5_) {
        if (idx5 < cur5_)
            for (auto& l : levels_) ++l->late;
        return;
    }
    // The packet opens a later 5-min bin: close what ended, in order, and hand the rows over at once.
    rows_.clear();
    close_level(*levels_[kLevel5m], rows_, true);
    if (s / 3600 + 1 != cur1h_) close_level(*levels_[kLevel1h], rows_, true);
    if (s - s % 86400 != levels_[kLevelDay]->start) {
        close_level(*levels_[kLevelDay], rows_, true);
        emit_sources(rows_);
        reset_day();
    }
    start_bins(s);
    if (!rows_.empty()) sink_.on_rows(rows_, true);
}

void TelescopeAggregator::process(const DecodedPacket& p) {
    ++packets_seen_;
    advance(p.ts_ns);
    Level& l5 = *levels_[kLevel5m];
    Level& l1 = *levels_[kLevel1h];
    Level& ld = *levels_[kLevelDay];
    l5.any = l1.any = ld.any = true;

    switch (p.status) {
    case DecodeStatus::kOk:
    case DecodeStatus::kTruncatedL4:
        break;
    case DecodeStatus::kNotIp:
        ++l5.not_ip, ++l1.not_ip, ++ld.not_ip;
        return;
    default:
        ++l5.undecodable, ++l1.undecodable, ++ld.undecodable;
        return;
    }
    const auto match = darknet_.lookup(p.dst);
    if (!match) {
        ++l5.outside, ++l1.outside, ++ld.outside;
        return;
    }
    const PacketClass cls = classify_packet(p);
    const uint16_t bit = static_cast<uint16_t>(1u << cls);
    const uint64_t bytes = p.ip_bytes;
    const bool truncated = p.status == DecodeStatus::kTruncatedL4;
    for (Level* l : {&l5, &l1, &ld}) {
        ++l->packets[cls];
        l->bytes[cls] += bytes;
        ++l->sensor_packets[match->sensor];
        l->sensor_bytes[match->sensor] += bytes;
        l->truncated += truncated;
    }

    // Source: one lookup serves the unique-source counts of all three widths.
    bool inserted;
    uint32_t& slot = source_index_.find_or_insert(p.src == kEmptyAddress ? IpAddress() : p.src, inserted);
    if (inserted) {
        slot = static_cast<uint32_t>(sources_.size());
        SourceState fresh;
        fresh.src = p.src;
        fresh.first_ns = fresh.last_ns = p.ts_ns;
        sources_.push_back(std::move(fresh));
        ++ld.src_uniq[kClassCount];
    }
    const uint32_t source_id = slot;
    SourceState& s = sources_[source_id];
    s.first_ns = std::min(s.first_ns, p.ts_ns);
    s.last_ns = std::max(s.last_ns, p.ts_ns);
    ++s.packets;
    s.bytes += bytes;
    if (!(s.classes_day & bit)) {
        s.classes_day |= bit;
        ++ld.src_uniq[cls];
    }
    if (s.bin5 != cur5_) {
        s.bin5 = cur5_;
        s.classes_5m = 0;
        ++l5.src_uniq[kClassCount];
    }
    if (!(s.classes_5m & bit)) {
        s.classes_5m |= bit;
        ++l5.src_uniq[cls];
    }
    if (s.bin1h != cur1h_) {
        s.bin1h = cur1h_;
        s.classes_1h = 0;
        ++l1.src_uniq[kClassCount];
    }
    if (!(s.classes_1h & bit)) {
        s.classes_1h |= bit;
        ++l1.src_uniq[cls];
    }

    // Destination: class bits in flat arrays (dense darknets) or a table (IPv6 / huge darknets).
    if (darknet_.dense()) {
        const uint64_t idx = match->dense_index;
        l5.dst_mask[idx] |= bit;
        l1.dst_mask[idx] |= bit;
        ld.dst_mask[idx] |= bit;
        s.destinations.add(idx, darknet_.dense_size());
    } else {
        l5.dst_sparse[p.dst] |= bit;
        l1.dst_sparse[p.dst] |= bit;
        ld.dst_sparse[p.dst] |= bit;
        s.destinations.add(p.dst.hash(), 0);
    }

    // Destination port (TCP/UDP with a transport header).
    if (p.has_l4 && !p.is_later_fragment && (p.protocol == kProtoTcp || p.protocol == kProtoUdp)) {
        const uint64_t udp = p.protocol == kProtoUdp;
        const size_t pi = udp * 65536 + p.dport;
        ++l5.port_packets[pi];
        ++l1.port_packets[pi];
        ++ld.port_packets[pi];
        bool new_pair;
        PortState& ps = ports_.find_or_insert((uint64_t(source_id) << 17) | (udp << 16) | p.dport, new_pair);
        ++ps.packets;
        if (new_pair) ++ld.port_sources[pi];
        if (ps.bin5 != cur5_) {
            ps.bin5 = cur5_;
            ++l5.port_sources[pi];
        }
        if (ps.bin1h != cur1h_) {
            ps.bin1h = cur1h_;
            ++l1.port_sources[pi];
        }
    }
}

void TelescopeAggregator::close_level(Level& l, BinRows& out, bool reset) {
    if (l.any) {
        uint64_t dst_uniq[kClassCount + 1] = {};
        auto count_mask = [&](uint16_t m) {
            if (!m) return;
            ++dst_uniq[kClassCount];
            for (int c = 0; c < kClassCount; ++c) dst_uniq[c] += (m >> c) & 1;
        };
        for (uint16_t m : l.dst_mask) count_mask(m);
        l.dst_sparse.for_each([&](const IpAddress&, uint16_t m) { count_mask(m); });

        ClassBinRow all{l.start, l.width, kClassAll, 0, 0, l.src_uniq[kClassCount], dst_uniq[kClassCount]};
        for (uint8_t c = 0; c < kClassCount; ++c) {
            all.packets += l.packets[c];
            all.bytes += l.bytes[c];
            if (l.packets[c] == 0) continue;
            out.classes.push_back({l.start, l.width, c, l.packets[c], l.bytes[c], l.src_uniq[c], dst_uniq[c]});
        }
        out.classes.push_back(all);
        for (size_t i = 0; i < kPortSlots; ++i) {
            if (l.port_packets[i] == 0) continue;
            out.ports.push_back({l.start, l.width, static_cast<uint8_t>(i < 65536 ? kProtoTcp : kProtoUdp),
                                 static_cast<uint16_t>(i & 0xFFFF), l.port_packets[i], l.port_sources[i]});
        }
        out.meta.push_back({l.start, l.width, l.outside, l.not_ip, l.truncated, l.undecodable, l.late});
        for (size_t s = 0; s < l.sensor_packets.size(); ++s) {
            if (l.sensor_packets[s] == 0) continue;
            out.sensors.push_back(
                {l.start, l.width, darknet_.sensors()[s].name, l.sensor_packets[s], l.sensor_bytes[s]});
        }
    }
    if (reset) l.reset_counters();
}

void TelescopeAggregator::emit_sources(BinRows& out) {
    if (sources_.empty()) return;
    struct Top {
        uint64_t packets;
        uint32_t key;  // udp << 16 | port
    };
    std::vector<uint32_t> port_counts(sources_.size(), 0);
    std::vector<std::array<Top, kTopPortsPerSource>> tops(sources_.size());
    for (auto& t : tops) t.fill(Top{0, 0});
    ports_.for_each([&](uint64_t key, const PortState& ps) {
        const uint32_t id = static_cast<uint32_t>(key >> 17);
        const uint32_t pk = static_cast<uint32_t>(key & 0x1FFFF);
        ++port_counts[id];
        auto& t = tops[id];
        // Insertion into a descending top-k (ties: lower protocol/port first, for stable output).
        Top cand{ps.packets, pk};
        for (size_t i = 0; i < kTopPortsPerSource; ++i) {
            if (cand.packets > t[i].packets || (cand.packets == t[i].packets && cand.packets && cand.key < t[i].key)) {
                std::swap(cand, t[i]);
            }
        }
    });
    const int64_t day = levels_[kLevelDay]->start;
    const uint64_t universe = darknet_.dense() ? darknet_.dense_size() : 0;
    size_t first = out.sources.size();
    for (size_t id = 0; id < sources_.size(); ++id) {
        SourceState& s = sources_[id];
        SourceDayRow r;
        r.day = day;
        r.src = s.src;
        r.first_seen_ns = s.first_ns;
        r.last_seen_ns = s.last_ns;
        r.packets = s.packets;
        r.bytes = s.bytes;
        r.classes = s.classes_day;
        r.destinations = s.destinations.count(universe);
        r.ports = port_counts[id];
        for (const Top& t : tops[id]) {
            if (t.packets == 0) break;
            if (!r.top_ports.empty()) r.top_ports += ' ';
            r.top_ports += (t.key >> 16) ? "udp/" : "tcp/";
            r.top_ports += std::to_string(t.key & 0xFFFF) + ":" + std::to_string(t.packets);
        }
        out.sources.push_back(std::move(r));
    }
    std::sort(out.sources.begin() + static_cast<std::ptrdiff_t>(first), out.sources.end(),
              [](const SourceDayRow& a, const SourceDayRow& b) { return a.src < b.src; });
}

void TelescopeAggregator::reset_day() {
    source_index_.clear();
    sources_.clear();
    ports_.clear();
}

void TelescopeAggregator::flush_open() {
    if (!started_) return;
    rows_.clear();
    for (auto& l : levels_) close_level(*l, rows_, false);
    emit_sources(rows_);
    if (!rows_.empty()) sink_.on_rows(rows_, false);
}

void TelescopeAggregator::close_all() {
    if (!started_) return;
    rows_.clear();
    for (auto& l : levels_) close_level(*l, rows_, true);
    emit_sources(rows_);
    reset_day();
    started_ = false;
    cur5_ = cur1h_ = 0;
    if (!rows_.empty()) sink_.on_rows(rows_, true);
}

AggregatorMemory TelescopeAggregator::memory() const {
    AggregatorMemory m;
    m.active_sources = sources_.size();
    m.source_state_bytes = source_index_.memory_bytes() + sources_.capacity() * sizeof(SourceState);
    for (const auto& s : sources_) m.destination_set_bytes += s.destinations.heap_bytes();
    m.port_table_bytes = ports_.memory_bytes();
    for (const auto& l : levels_)
        m.fixed_bytes += l->port_packets.size() * 8 + l->port_sources.size() * 4 + l->dst_mask.size() * 2 +
                         l->dst_sparse.memory_bytes();
    return m;
}

// ---- checkpoint serialization ----

std::string TelescopeAggregator::serialize() const {
    ByteWriter w;
    w.put_string(kSnapshotMagic);
    w.put_string(darknet_.describe());
    w.put<uint8_t>(started_);
    w.put(cur5_);
    w.put(cur1h_);
    w.put(packets_seen_);
    for (const auto& lp : levels_) {
        const Level& l = *lp;
        w.put(l.start);
        w.put<uint8_t>(l.any);
        for (auto v : l.packets) w.put(v);
        for (auto v : l.bytes) w.put(v);
        for (auto v : l.src_uniq) w.put(v);
        for (auto v : {l.outside, l.not_ip, l.truncated, l.undecodable, l.late}) w.put(v);
        w.put_vector(l.sensor_packets);
        w.put_vector(l.sensor_bytes);
        std::vector<uint32_t> idx;
        for (uint32_t i = 0; i < kPortSlots; ++i)
            if (l.port_packets[i] || l.port_sources[i]) idx.push_back(i);
        w.put_vector(idx);
        for (uint32_t i : idx) {
            w.put(l.port_packets[i]);
            w.put(l.port_sources[i]);
        }
        w.put_vector(l.dst_mask);
        w.put<uint64_t>(l.dst_sparse.size());
        l.dst_sparse.for_each([&](const IpAddress& a, uint16_t m) {
            w.put(a.hi());
            w.put(a.lo());
            w.put(m);
        });
    }
    w.put<uint64_t>(sources_.size());
    for (const auto& s : sources_) {
        w.put(s.src.hi());
        w.put(s.src.lo());
        w.put(s.first_ns);
        w.put(s.last_ns);
        w.put(s.packets);
        w.put(s.bytes);
        w.put(s.bin5);
        w.put(s.bin1h);
        w.put(s.classes_day);
        w.put(s.classes_5m);
        w.put(s.classes_1h);
        w.put<uint8_t>(s.destinations.is_bitmap());
        w.put(s.destinations.bitmap_count());
        w.put_vector(s.destinations.raw());
    }
    w.put<uint64_t>(ports_.size());
    ports_.for_each([&](uint64_t key, const PortState& ps) {
        w.put(key);
        w.put(ps.packets);
        w.put(ps.bin5);
        w.put(ps.bin1h);
    });
    return std::move(w.data());
}

void TelescopeAggregator::restore(const std::string& blob) {
    ByteReader r(blob, "checkpoint state");
    if (r.get_string() != kSnapshotMagic) r.fail("not an aggregator snapshot (version mismatch)");
    const std::string dn = r.get_string();
    if (dn != darknet_.describe())
        throw ConfigError("the checkpoint was made for darknet [" + dn + "] but this run monitors [" +
                          darknet_.describe() + "]; use another --db or --reset");
    started_ = r.get<uint8_t>() != 0;
    cur5_ = r.get<uint32_t>();
    cur1h_ = r.get<uint32_t>();
    packets_seen_ = r.get<uint64_t>();
    for (auto& lp : levels_) {
        Level& l = *lp;
        l.reset_counters();
        l.start = r.get<int64_t>();
        l.any = r.get<uint8_t>() != 0;
        for (auto& v : l.packets) v = r.get<uint64_t>();
        for (auto& v : l.bytes) v = r.get<uint64_t>();
        for (auto& v : l.src_uniq) v = r.get<uint64_t>();
        for (uint64_t* v : {&l.outside, &l.not_ip, &l.truncated, &l.undecodable, &l.late}) *v = r.get<uint64_t>();
        auto sp = r.get_vector<uint64_t>();
        auto sb = r.get_vector<uint64_t>();
        if (sp.size() != l.sensor_packets.size() || sb.size() != l.sensor_bytes.size())
            r.fail("sensor count differs from the configuration");
        l.sensor_packets = std::move(sp);
        l.sensor_bytes = std::move(sb);
        for (uint32_t i : r.get_vector<uint32_t>()) {
            if (i >= kPortSlots) r.fail("port index out of range");
            l.port_packets[i] = r.get<uint64_t>();
            l.port_sources[i] = r.get<uint32_t>();
        }
        auto mask = r.get_vector<uint16_t>();
        if (mask.size() != l.dst_mask.size()) r.fail("destination mask size differs from the darknet");
        l.dst_mask = std::move(mask);
        const uint64_t n = r.get<uint64_t>();
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t hi = r.get<uint64_t>(), lo = r.get<uint64_t>();
            l.dst_sparse[IpAddress::from_halves(hi, lo)] = r.get<uint16_t>();
        }
    }
    reset_day();
    const uint64_t ns = r.get<uint64_t>();
    const uint64_t universe = darknet_.dense() ? darknet_.dense_size() : 0;
    for (uint64_t i = 0; i < ns; ++i) {
        SourceState s;
        uint64_t hi = r.get<uint64_t>(), lo = r.get<uint64_t>();
        s.src = IpAddress::from_halves(hi, lo);
        s.first_ns = r.get<int64_t>();
        s.last_ns = r.get<int64_t>();
        s.packets = r.get<uint64_t>();
        s.bytes = r.get<uint64_t>();
        s.bin5 = r.get<uint32_t>();
        s.bin1h = r.get<uint32_t>();
        s.classes_day = r.get<uint16_t>();
        s.classes_5m = r.get<uint16_t>();
        s.classes_1h = r.get<uint16_t>();
        bool bitmap = r.get<uint8_t>() != 0;
        uint64_t count = r.get<uint64_t>();
        auto raw = r.get_vector<uint64_t>();
        if (bitmap && raw.size() != (universe + 63) / 64) r.fail("destination bitmap size differs from the darknet");
        s.destinations.restore(std::move(raw), bitmap, count);
        bool inserted;
        source_index_.find_or_insert(s.src == kEmptyAddress ? IpAddress() : s.src, inserted) =
            static_cast<uint32_t>(sources_.size());
        if (!inserted) r.fail("duplicate source in snapshot");
        sources_.push_back(std::move(s));
    }
    const uint64_t np = r.get<uint64_t>();
    for (uint64_t i = 0; i < np; ++i) {
        uint64_t key = r.get<uint64_t>();
        if ((key >> 17) >= sources_.size()) r.fail("port entry names an unknown source");
        PortState& ps = ports_[key];
        ps.packets = r.get<uint64_t>();
        ps.bin5 = r.get<uint32_t>();
        ps.bin1h = r.get<uint32_t>();
    }
    if (!r.at_end()) r.fail("trailing bytes after the snapshot");
}

}  // namespace iotwatch

#include "telescope/telescope_aggregator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>
#include <span>

#include "core/bit_stream.h"
#include "core/byte_buffer.h"
#include "core/error.h"
#include "core/radix_sort.h"
#include "core/timestamp.h"
#include "telescope/packet_classifier.h"
#include "telescope/port_counters.h"

namespace iotwatch {

static_assert(DensePairLog::kDestinationLimit >= Darknet::kMaxDenseAddresses,
              "every dense darknet index must fit a DensePairLog entry");
namespace {

constexpr int kLevel5m = 0, kLevel1h = 1, kLevelDay = 2;
constexpr int kNumLevels = 3;
constexpr size_t kPortSlots = 2 * 65536;  // [0, 65536) TCP, [65536, 131072) UDP
constexpr size_t kTopPortsPerSource = 5;
constexpr int kInlinePorts = 4;    // (source, port) pairs kept in the source record (SourceState)
constexpr size_t kMaxBatch = 256;  // process_batch() works in slices of this many packets
constexpr uint32_t kPortUsed = 1u << 31;
constexpr uint32_t kPortSlotMask = 0x1FFFF;
inline uint32_t port_mark5(uint32_t bin5) { return (bin5 & 511u) << 17; }
inline uint32_t port_mark1h(uint32_t bin1h) { return (bin1h & 31u) << 26; }
constexpr uint32_t kPortMark5Mask = 511u << 17, kPortMark1hMask = 31u << 26;
// The table's empty-slot marker (ffff:...:ffff, multicast, never a legitimate source).
constexpr IpAddress kEmptyAddress = IpAddress::from_halves(~0ULL, ~0ULL);
constexpr char kSnapshotMagic[] = "iotwatch-aggregator-v9";  // v4: per-source sensor bits; v5: named detector states;
                                                             // v6: port and pair logs as varint deltas;
                                                             // v7: inline (source, port) pairs;
                                                             // v8: scan destinations as varint deltas;
                                                             // v9: dense destination pairs Rice-coded
static_assert(kFingerprintCount == sizeof(SourceDayRow::fingerprints) / sizeof(uint64_t),
              "rows.h mirrors the fingerprint list");

// A forged source equal to the table's empty marker is keyed as 0.0.0.0 (both are bogons).
inline IpAddress source_key(const IpAddress& a) { return a == kEmptyAddress ? IpAddress() : a; }

inline int64_t floor_seconds(int64_t ts_ns) {
    int64_t s = bin_start_seconds(ts_ns, 1);
    return s < 0 ? 0 : s;
}

constexpr int64_t kFiveMinuteNs = 300 * kNanosPerSecond;
constexpr int64_t kLastFiveMinuteBin = std::numeric_limits<int64_t>::max() / kFiveMinuteNs;

/// The first timestamp past 5-min bin `index` (numbered from 1 as cur5_ is: the bin of second s
/// is s / 300 + 1); INT64_MAX for the timestamp range's last bin, which ends past it.
constexpr int64_t five_minute_end_ns(int64_t index) {
    return index <= kLastFiveMinuteBin ? index * kFiveMinuteNs : std::numeric_limits<int64_t>::max();
}

/// Writes keys as the zigzag varint of their difference to the previous one (after a count).
class KeyDeltaWriter {
public:
    explicit KeyDeltaWriter(ByteWriter& w) : w_(w) {}
    void operator()(uint64_t k) {
        const int64_t d = static_cast<int64_t>(k - prev_);
        w_.put_varint((static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63));
        prev_ = k;
    }

private:
    ByteWriter& w_;
    uint64_t prev_ = 0;
};

/// Writes the count, then each key of `v` as KeyDeltaWriter does.
template <typename T, typename A, typename Key>
void put_key_deltas(ByteWriter& w, const std::vector<T, A>& v, Key key) {
    w.put<uint64_t>(v.size());
    KeyDeltaWriter put(w);
    for (const T& x : v) put(key(x));
}

/// Reads what put_key_deltas wrote, calling `take(key)` for each key (which checks it).
template <typename Take>
void get_key_deltas(ByteReader& r, Take take) {
    const uint64_t n = r.get<uint64_t>();
    if (n > r.remaining()) r.fail("log length " + std::to_string(n) + " exceeds the data");  // >= 1 byte each
    uint64_t prev = 0;
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t z = r.get_varint();
        prev += (z >> 1) ^ (~(z & 1) + 1);
        take(prev);
    }
}

/// Rice parameter for `n` sorted distinct values in [0, universe): about log2 of their mean gap.
int rice_parameter(uint64_t n, uint64_t universe) {
    const uint64_t mean = universe / n;
    return mean ? std::min(31, 63 - __builtin_clzll(mean)) : 0;
}

/// The dense (source, destination) pairs (keys id << 32 | destination, ascending and distinct, as
/// `for_each_key` gives them): their count, then a bit stream with, per source, the gap to its id
/// and its destination count (Exp-Golomb), and its destinations' gaps Rice-coded with a parameter
/// fitted to the count (a source reaching n of U addresses spends about log2(U/n) + 2 bits each).
template <typename ForEachKey>
void put_dense_pairs(ByteWriter& w, uint64_t total, uint64_t universe, ForEachKey for_each_key) {
    w.put<uint64_t>(total);
    const size_t at = w.begin_length();
    BitWriter bits(w);
    std::vector<uint32_t> dsts;
    uint64_t next_id = 0, id = 0;
    auto put_source = [&] {
        if (dsts.empty()) return;
        bits.put_exp_golomb(id - next_id);
        bits.put_exp_golomb(dsts.size() - 1);
        const int k = rice_parameter(dsts.size(), universe);
        uint64_t next_dst = 0;
        for (uint32_t d : dsts) {
            bits.put_rice(d - next_dst, k);
            next_dst = uint64_t(d) + 1;
        }
        next_id = id + 1;
        dsts.clear();
    };
    for_each_key([&](uint64_t key) {
        if ((key >> 32) != id) {
            put_source();
            id = key >> 32;
        }
        dsts.push_back(static_cast<uint32_t>(key));
    });
    put_source();
    bits.finish();
    w.end_length(at);
}

/// get_key_deltas into a vector, `make(key)` building each element.
template <typename T, typename A, typename Make>
void get_key_deltas(ByteReader& r, std::vector<T, A>& v, Make make) {
    v.clear();
    get_key_deltas(r, [&](uint64_t k) { v.push_back(make(k)); });
}

}  // namespace

void BinRows::clear() {
    classes.clear();
    ports.clear();
    meta.clear();
    sensors.clear();
    sources.clear();
    destination_marks.clear();
    clear_detections();
}

namespace {

/// Adds the unique destinations of `words`-word class bitmaps (kClassCount of them) to uniq[class]
/// and of their union to uniq[kClassCount].
/// Built twice, chosen at load time: with the POPCNT instruction, and for the baseline x86-64 that
/// Debian targets, whose popcount is a library call (2% of an ingest's instructions in cachegrind,
/// a generated 2 M-packet day: every bin close counts a bitmap per class). Not under
/// ThreadSanitizer: the ifunc resolver would run, instrumented, before its runtime starts.
#if defined(__x86_64__) && !defined(__POPCNT__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
[[gnu::target_clones("popcnt", "default")]]
#endif
void count_dense_destinations(const uint64_t* bits, size_t words, uint64_t* uniq) {
    for (size_t w = 0; w < words; ++w) {
        uint64_t any = 0;
        for (int c = 0; c < kClassCount; ++c) {
            const uint64_t b = bits[static_cast<size_t>(c) * words + w];
            uniq[c] += static_cast<uint64_t>(__builtin_popcountll(b));
            any |= b;
        }
        uniq[kClassCount] += static_cast<uint64_t>(__builtin_popcountll(any));
    }
}

/// The same for sparse destinations: for_each_mask(f) calls f(class bits) once per destination.
/// A histogram of the class-bit patterns first (one add per destination), then per-class counts.
template <typename ForEachMask>
void count_sparse_destinations(ForEachMask&& for_each_mask, uint64_t* uniq) {
    std::vector<uint64_t> hist(1u << kClassCount, 0);
    for_each_mask([&](uint16_t m) { ++hist[m & ((1u << kClassCount) - 1)]; });
    for (uint32_t m = 1; m < hist.size(); ++m) {
        if (!hist[m]) continue;
        uniq[kClassCount] += hist[m];
        for (int c = 0; c < kClassCount; ++c)
            if (m >> c & 1) uniq[c] += hist[m];
    }
}

}  // namespace

std::array<uint64_t, kClassCount + 1> count_destinations(const std::vector<uint64_t>& bits,
                                                         const std::vector<std::pair<IpAddress, uint16_t>>& sparse) {
    std::array<uint64_t, kClassCount + 1> uniq{};
    count_dense_destinations(bits.data(), bits.size() / kClassCount, uniq.data());
    count_sparse_destinations([&](auto f) { for (const auto& d : sparse) f(d.second); }, uniq.data());
    return uniq;
}

// One open bin at one width. Additive counters (packets, bytes, ports, sensors, destination class
// bits) are updated per packet only at the 5-min level and folded into the 1-h and 1-day levels when
// the 5-min bin closes; unique-source counts are kept per level (they are not additive) through the
// bin marks in the source and port records.
struct TelescopeAggregator::Level {
    int32_t width = 0;
    int64_t start = 0;  // seconds
    bool any = false;   // a frame was counted since the bin opened
    uint64_t packets[kClassCount] = {};
    uint64_t bytes[kClassCount] = {};
    uint64_t src_uniq[kClassCount + 1] = {};  // per class, then all
    uint64_t outside = 0, not_ip = 0, truncated = 0, undecodable = 0, late = 0;
    std::vector<uint64_t> sensor_packets, sensor_bytes;
    mutable PortCounters port_packets{kPortSlots};  // 32 bits a slot, exact past 2^32 (port_counters.h)
    // Increments queued by count_port_packet(), not yet in port_packets (settle_ports()).
    static constexpr size_t kPendingPorts = 2048;
    mutable uint32_t pending_ports[kPendingPorts];
    mutable size_t pending_count = 0;
    std::vector<uint32_t> port_sources = std::vector<uint32_t>(kPortSlots, 0);
    std::vector<uint32_t> touched_ports;  // slots counted in this bin (port_packets or port_sources)
    // The same slots as bits, so a closing bin lists them in order without sorting the list (the
    // sort was 2% of a 1-worker run of the benchmark).
    std::vector<uint64_t> touched_bits = std::vector<uint64_t>(kPortSlots / 64, 0);
    // Dense darknets: one bitmap of destination indexes per class (class c's bits are words
    // [c * dst_words, (c + 1) * dst_words)). Not one class mask per destination: perf put a
    // quarter of process()'s samples on the per-packet update of that 128 kB array (a /16),
    // written at random; the bitmap of the dominant class (SYN) is 8 kB, and closing a bin
    // counts bits instead of histogramming 65,536 masks.
    size_t dst_words = 0;
    std::vector<uint64_t> dst_bits;
    FlatTable<IpAddress, uint16_t, AddressHash> dst_sparse{kEmptyAddress, 256};

    void size_destinations(uint64_t dense_size) {
        dst_words = static_cast<size_t>((dense_size + 63) / 64);
        dst_bits.assign(dst_words * kClassCount, 0);
    }
    void mark_destination(uint64_t index, int cls) {
        dst_bits[static_cast<size_t>(cls) * dst_words + static_cast<size_t>(index >> 6)] |= 1ULL << (index & 63);
    }
    /// The class bits of every destination index, one 16-bit mask each (the checkpoint's format).
    std::vector<uint16_t> destination_masks(uint64_t dense_size) const {
        std::vector<uint16_t> masks(static_cast<size_t>(dense_size), 0);
        for (int c = 0; c < kClassCount; ++c)
            for (size_t w = 0; w < dst_words; ++w)
                for (uint64_t b = dst_bits[static_cast<size_t>(c) * dst_words + w]; b; b &= b - 1)
                    masks[w * 64 + static_cast<size_t>(__builtin_ctzll(b))] |= static_cast<uint16_t>(1u << c);
        return masks;
    }

    /// Marks `slot` as counted in this bin (call before adding to its counts). Counts of zero
    /// mean a slot not yet counted but for a count that has carried past 2^32 (its low 32 bits
    /// read 0): then the bitmap decides. The counts come first because the caller's increment
    /// needs the count's cache line anyway.
    void touch_port(uint32_t slot) {
        if (port_packets.low(slot) == 0 && port_sources[slot] == 0) mark_touched(slot);
    }
    /// Lists `slot` as counted in this bin unless its bit says it already is.
    void mark_touched(uint32_t slot) {
        uint64_t& word = touched_bits[slot >> 6];
        const uint64_t bit = 1ULL << (slot & 63);
        if (!(word & bit)) {
            word |= bit;
            touched_ports.push_back(slot);
        }
    }
    /// Counts one packet to `slot` (the 5-min level's per-packet path): marks the slot touched
    /// in the 16 kB bitmap and queues the increment, which settle_ports() applies in a batch.
    /// Why: the count is at a random slot of a 512 kB array for backscatter, and its cache miss
    /// in the middle of process() stalled the packet loop; a loop doing nothing but the queued
    /// increments keeps many of those misses in flight at once.
    void count_port_packet(uint32_t slot) {
        mark_touched(slot);
        pending_ports[pending_count++] = slot;
        if (pending_count == kPendingPorts) [[unlikely]]
            settle_ports();
    }
    /// Applies the queued increments. Called before anything reads port_packets (logically
    /// const: the queued packets are part of the counts).
    void settle_ports() const {
        for (size_t i = 0; i < pending_count; ++i) port_packets.add_one(pending_ports[i]);
        pending_count = 0;
    }
    /// Calls f(slot) for every touched port slot, in ascending order.
    template <typename F>
    void for_each_touched_port(F&& f) const {
        for (size_t w = 0; w < touched_bits.size(); ++w)
            for (uint64_t bits = touched_bits[w]; bits; bits &= bits - 1)
                f(static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))));
    }

    /// Adds the additive counters of a finer bin `f` (same time span, narrower width).
    void fold(const Level& f) {
        any = any || f.any;
        for (int c = 0; c < kClassCount; ++c) {
            packets[c] += f.packets[c];
            bytes[c] += f.bytes[c];
        }
        outside += f.outside;
        not_ip += f.not_ip;
        truncated += f.truncated;
        undecodable += f.undecodable;
        late += f.late;
        for (size_t i = 0; i < sensor_packets.size(); ++i) {
            sensor_packets[i] += f.sensor_packets[i];
            sensor_bytes[i] += f.sensor_bytes[i];
        }
        f.settle_ports();
        for (uint32_t slot : f.touched_ports) {
            const uint64_t n = f.port_packets[slot];
            if (n == 0) continue;
            touch_port(slot);
            port_packets.add(slot, n);
        }
        for (size_t i = 0; i < dst_bits.size(); ++i) dst_bits[i] |= f.dst_bits[i];
        f.dst_sparse.for_each([&](const IpAddress& a, uint16_t m) { dst_sparse[a] |= m; });
    }

    void reset_counters() {
        any = false;
        pending_count = 0;  // (settled by close_level before a reset; a restore starts from here)
        std::fill(std::begin(packets), std::end(packets), 0);
        std::fill(std::begin(bytes), std::end(bytes), 0);
        std::fill(std::begin(src_uniq), std::end(src_uniq), 0);
        outside = not_ip = truncated = undecodable = late = 0;
        std::fill(sensor_packets.begin(), sensor_packets.end(), 0);
        std::fill(sensor_bytes.begin(), sensor_bytes.end(), 0);
        for (uint32_t slot : touched_ports) {
            port_packets.zero(slot);
            port_sources[slot] = 0;
            touched_bits[slot >> 6] = 0;
        }
        port_packets.clear_carries();
        touched_ports.clear();
        std::fill(dst_bits.begin(), dst_bits.end(), 0);
        dst_sparse.clear();
    }
};

// The source table doubles past this load: every extra slot a lookup probes is another cache miss
// that no prefetch covered (measured on the 20 M-packet benchmark at the default 75%: 1.24 extra
// slots per packet).
constexpr unsigned kSourceTableLoadPercent = 50;

struct TelescopeAggregator::SourceState {
    // The hint word of one per-source detector (Detector::uses_source_hint): it fills what was
    // padding of the 128-byte slot, and is in the slot's first cache line, next to the address,
    // because the prefetch stage reads it before the rest. Not checkpointed (a hint; restored as 0).
    uint64_t detector_hint = 0;
    int64_t first_ns = 0;
    int64_t last_ns = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint32_t id = 0;     // sequential within the day: the key of this source's (source, port) records
    uint32_t bin5 = 0;   // 1 + 5-min bin index in which classes_5m was last reset
    uint32_t bin1h = 0;  // 1 + hour index for classes_1h
    uint16_t classes_day = 0;
    uint16_t classes_5m = 0;
    uint16_t classes_1h = 0;
    uint16_t sensors = 0;  // bit per sensor that saw it today (DAEDALUS attribution); fits the padding
    uint32_t fingerprints[kFingerprintCount] = {};  // packets matching each tool fingerprint today
    // The source's first kInlinePorts distinct (protocol, port)s of the day, counted here instead
    // of in the (source, port) logs: most sources probe one to four ports (Mirai: 23 and 2323), so
    // the logs, their sorts at every bin close and their share of the checkpoint shrink to the
    // ports of the few wide port scanners. A port is inline for the whole day or never (slots are
    // never evicted), so each (source, port) pair is counted by exactly one of the two paths.
    // port_keys[i]: kPortUsed | hour mark << 26 | 5-min mark << 17 | port slot (udp << 16 | port);
    // the marks are the low bits of the bin index in which the pair was last counted (24 hours
    // and 288 bins of a day are distinct modulo 32 and 512). port_packets saturates at 2^32 - 1.
    uint32_t port_keys[kInlinePorts] = {};
    uint32_t port_packets[kInlinePorts] = {};
};

TelescopeAggregator::TelescopeAggregator(const Darknet& darknet, BinSink& sink)
    : darknet_(darknet), sink_(sink), sources_(kEmptyAddress, 4096, AddressHash(), kSourceTableLoadPercent) {
    const int32_t widths[kNumLevels] = {300, 3600, 86400};
    for (int i = 0; i < kNumLevels; ++i) {
        auto level = std::make_unique<Level>();
        level->width = widths[i];
        level->sensor_packets.assign(darknet_.sensors().size(), 0);
        level->sensor_bytes.assign(darknet_.sensors().size(), 0);
        if (darknet_.dense()) level->size_destinations(darknet_.dense_size());
        levels_.push_back(std::move(level));
    }
}

TelescopeAggregator::~TelescopeAggregator() = default;

uint64_t TelescopeAggregator::bytes_per_source_record() {
    // One table slot: the address and the state record inline. The telescope issue's limit is
    // 128 bytes per active source; a larger record would also straddle a third cache line.
    static_assert(sizeof(decltype(sources_)::Slot) <= 128, "a source record is at most two cache lines");
    return sizeof(decltype(sources_)::Slot);
}

void TelescopeAggregator::start_bins(int64_t ts_s) {
    for (auto& l : levels_) l->start = ts_s - ts_s % l->width;
    cur5_ = static_cast<uint32_t>(ts_s / 300) + 1;
    cur1h_ = static_cast<uint32_t>(ts_s / 3600) + 1;
    started_ = true;
    set_open_window();
}

void TelescopeAggregator::set_open_window() {
    open5_start_ns_ = 1;  // an empty window until bins are open
    open5_end_ns_ = 0;
    if (!started_ || cur5_ == 0) return;
    const int64_t k = static_cast<int64_t>(cur5_) - 1;
    // A bin past the timestamp range comes only from a damaged checkpoint (the fuzzer's): no
    // window, every packet takes the full computation.
    if (k > kLastFiveMinuteBin) return;
    open5_start_ns_ = k * kFiveMinuteNs;
    open5_end_ns_ = five_minute_end_ns(cur5_);
}

void TelescopeAggregator::set_detectors(std::vector<std::unique_ptr<Detector>> detectors) {
    side_thread_.reset();
    detector_thread_.reset();
    detectors_ = std::move(detectors);
    source_detectors_.clear();
    digest_detectors_.clear();
    keyed_detectors_.clear();
    global_detectors_.clear();
    hinted_detector_ = nullptr;
    for (auto& d : detectors_) {
        switch (d->scope()) {
        case Detector::Scope::kPerSource:
            if (d->uses_source_ids()) {
                digest_detectors_.push_back(d.get());
                break;
            }
            source_detectors_.push_back(d.get());
            if (!hinted_detector_ && d->uses_source_hint()) hinted_detector_ = d.get();
            break;
        case Detector::Scope::kPerKey: keyed_detectors_.push_back(d.get()); break;
        case Detector::Scope::kAllPackets: global_detectors_.push_back(d.get()); break;
        }
    }
}

void TelescopeAggregator::sort_pairs_in_background() {
    // Only the log this darknet's IPv4 destinations go to (a thread for the other would idle).
    if (darknet_.dense())
        pairs_.start_background();
    else
        pairs_wide_.start_background();
}

void TelescopeAggregator::run_detectors_on_thread() {
    if (detectors_.empty() || partition_count_ != 1 || detector_thread_) return;
    // The hinted per-source detector (the scan detector), the per-key and all-packet ones on one
    // thread; the other per-source ones (the SVM's feature windows, fed digests) on a second,
    // when there are both: see side_thread_.
    std::vector<Detector*> main_source, side_source;
    for (Detector* d : source_detectors_) (d == hinted_detector_ ? main_source : side_source).push_back(d);
    side_source.insert(side_source.end(), digest_detectors_.begin(), digest_detectors_.end());
    const bool split = !side_source.empty() && (!main_source.empty() || !keyed_detectors_.empty() ||
                                                !global_detectors_.empty());
    if (!split) {
        main_source.insert(main_source.end(), side_source.begin(), side_source.end());
        detector_thread_ = std::make_unique<DetectorThread>(main_source, keyed_detectors_, global_detectors_,
                                                            hinted_detector_);
        return;
    }
    detector_thread_ = std::make_unique<DetectorThread>(main_source, keyed_detectors_, global_detectors_,
                                                        hinted_detector_);
    // The second thread polls its empty ring 100 times, not 2,000, before it sleeps: with it the
    // worker and two detector threads share two cores, and its polling took the core from the
    // others (ingest --threads 1 --detect --model, 8 alternating runs: wall medians 6.22 ->
    // 5.98 s, faster in 6 of 8).
    side_thread_ = std::make_unique<DetectorThread>(side_source, std::vector<Detector*>{}, std::vector<Detector*>{},
                                                    nullptr, DetectorThread::kDefaultCapacity, 100, 4096);
}

void TelescopeAggregator::announce_source(uint32_t id, const IpAddress& src) {
    if (detector_thread_)
        for_each_detector_thread([&](DetectorThread& t) {
            if (t.takes_digests()) t.source_added(id, src);
        });
    else
        for (Detector* d : digest_detectors_) d->source_added(id, src);
}

void TelescopeAggregator::announce_source_ids_reset() {
    if (detector_thread_)
        for_each_detector_thread([&](DetectorThread& t) {
            if (t.takes_digests()) t.source_ids_reset();
        });
    else
        for (Detector* d : digest_detectors_) d->source_ids_reset();
}

void TelescopeAggregator::sync_detectors() {
    if (!detector_thread_) return;
    for_each_detector_thread([](DetectorThread& t) { t.drain(); });
    for_each_detector_thread([&](DetectorThread& t) { t.take_output(pending_); });
}

void TelescopeAggregator::enable_detection(ScanThresholds scans, BackscatterThresholds attacks) {
    DetectorConfig config;
    config.scan = scans;
    config.dos = attacks;
    set_detectors(make_detectors({"scan", "backscatter"}, darknet_, config));
}

void TelescopeAggregator::take_detections() { rows_.take_detections_from(pending_); }

void TelescopeAggregator::set_partition(uint32_t index, uint32_t count) {
    partition_index_ = index;
    partition_count_ = count == 0 ? 1 : count;
}

bool TelescopeAggregator::advance_slow(int64_t ts_ns) {
    const int64_t s = floor_seconds(ts_ns);
    if (!started_) {
        start_bins(s);
        return false;
    }
    const uint32_t idx5 = static_cast<uint32_t>(s / 300) + 1;
    if (idx5 <= cur5_) return idx5 < cur5_;
    // The packet opens a later 5-min bin: close what ended, in order, and hand the rows over at once.
    rows_.clear();
    const bool hour_ends = s / 3600 + 1 != cur1h_;
    const bool day_ends = s - s % 86400 != levels_[kLevelDay]->start;
    close_port_logs(day_ends ? 3 : hour_ends ? 2 : 1);
    levels_[kLevel1h]->fold(*levels_[kLevel5m]);
    levels_[kLevelDay]->fold(*levels_[kLevel5m]);
    close_level(*levels_[kLevel5m], rows_, true);
    if (hour_ends) close_level(*levels_[kLevel1h], rows_, true);
    if (day_ends) {
        close_level(*levels_[kLevelDay], rows_, true);
        emit_sources(rows_, port_logday_);
        reset_day();
    }
    if (detector_thread_) {
        for_each_detector_thread([&](DetectorThread& t) { t.end_interval(s * kNanosPerSecond); });
        // What they have passed on so far.
        for_each_detector_thread([&](DetectorThread& t) { t.take_output(pending_); });
    } else {
        for (auto& d : detectors_)
            if (runs_here(*d)) d->end_interval(s * kNanosPerSecond, pending_);
    }
    take_detections();
    start_bins(s);
    sink_.on_rows(rows_, true);
    return false;
}

int64_t TelescopeAggregator::five_minute_bin_end_ns(int64_t ts_ns) {
    return five_minute_end_ns(floor_seconds(ts_ns) / 300 + 1);  // advance_slow()'s bin of ts_ns
}

/// The source table's hash of a packet's source, from the hash of its address (the same but for
/// the table's empty-slot marker, which source_key() maps to another key).
inline uint64_t source_hash(const IpAddress& src, uint64_t address_hash) {
    return src == kEmptyAddress ? source_key(src).hash() : address_hash;
}

void TelescopeAggregator::process(const DecodedPacket& p) {
    const uint64_t h = p.src.hash();
    process(p, owns_hash(h), source_hash(p.src, h));
    for_each_detector_thread([](DetectorThread& t) { t.publish(); });
}

void TelescopeAggregator::process(const DecodedPacket& p, bool owner, uint64_t src_hash) {
    ++packets_seen_;
    const bool late = advance(p.ts_ns);
    Level& l5 = *levels_[kLevel5m];
    Level& l1 = *levels_[kLevel1h];
    Level& ld = *levels_[kLevelDay];

    if (p.status != DecodeStatus::kOk && p.status != DecodeStatus::kTruncatedL4) {
        // A kForeign entry (another worker's source) only moved the bins on, above.
        if (partition_index_ != 0 || p.status == DecodeStatus::kForeign) return;
        l5.any = true;
        l5.late += late;
        ++(p.status == DecodeStatus::kNotIp ? l5.not_ip : l5.undecodable);
        return;
    }
    // Another worker's source: nothing to count here (unless a detector may see the packet).
    if (!owner && keyed_detectors_.empty() && (partition_index_ != 0 || global_detectors_.empty())) return;
    const auto match = darknet_.lookup(p.dst);
    if (!match) {
        if (owner) {
            l5.any = true;
            l5.late += late;
            ++l5.outside;
        }
        return;
    }
    const PacketClass cls = classify_packet(p);
    const uint16_t bit = static_cast<uint16_t>(1u << cls);
    if (!detector_thread_) {
        if (partition_index_ == 0)
            for (Detector* d : global_detectors_) d->observe(p, match->dense_index, pending_);
        for (Detector* d : keyed_detectors_) {
            IpAddress key;
            if (d->partition_key(p, key) && owns_address(key)) d->observe(p, match->dense_index, pending_);
        }
    }
    if (!owner) return;
    l5.any = true;
    l5.late += late;
    // The destination's class bit (partitioned workers: of their own sources' packets; the
    // workers' marks are united when their rows merge).
    if (darknet_.dense())
        l5.mark_destination(match->dense_index, cls);
    else
        l5.dst_sparse[p.dst] |= bit;
    const uint64_t bytes = p.ip_bytes;
    ++l5.packets[cls];
    l5.bytes[cls] += bytes;
    ++l5.sensor_packets[match->sensor];
    l5.sensor_bytes[match->sensor] += bytes;
    l5.truncated += p.status == DecodeStatus::kTruncatedL4;

    // Source: one lookup serves the unique-source counts of all three widths.
    bool inserted;
    SourceState& s = sources_.find_or_insert_hashed(source_key(p.src), src_hash, inserted);
    if (inserted) {
        s.id = next_source_id_++;
        s.first_ns = s.last_ns = p.ts_ns;
        ++ld.src_uniq[kClassCount];
        // The source's address under its table key, as its rows and a restore name it.
        if (!digest_detectors_.empty()) announce_source(s.id, source_key(p.src));
    }
    const uint32_t source_id = s.id;
    if (detector_thread_) {
        // All of them, in this order there.
        for_each_detector_thread([&](DetectorThread& t) {
            if (t.takes_packets()) t.observe(p, match->dense_index, source_id);
            if (t.takes_digests()) t.observe_digest(PacketDigest::of(p, source_id));
        });
    } else {
        for (Detector* d : source_detectors_) {
            if (d == hinted_detector_)
                d->observe_hinted(p, match->dense_index, s.detector_hint, pending_);
            else
                d->observe(p, match->dense_index, pending_);
        }
        if (!digest_detectors_.empty()) {
            const PacketDigest digest = PacketDigest::of(p, source_id);
            for (Detector* d : digest_detectors_) d->observe_digest(digest, pending_);
        }
    }
    if (p.ts_ns < s.first_ns) s.first_ns = p.ts_ns;
    if (p.ts_ns > s.last_ns) s.last_ns = p.ts_ns;
    ++s.packets;
    s.bytes += bytes;
    // Sensors past the 16th share the last bit (documented in SourceDayRow).
    s.sensors |= static_cast<uint16_t>(1u << (match->sensor < 15 ? match->sensor : 15));
    // The set bits only (usually one, Mirai's): ~14 -> ~5 instructions a packet.
    for (uint32_t fp = fingerprint_bits(p); fp != 0; fp &= fp - 1) ++s.fingerprints[__builtin_ctz(fp)];
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

    // The (source, destination) pair for the source's distinct-destination count.
    if (p.dst.is_v4())
        if (darknet_.dense())
            pairs_.add(source_id, static_cast<uint32_t>(match->dense_index));
        else
            pairs_wide_.add(source_id, p.dst.v4_value());
    else
        pairs6_.emplace_back(source_id, p.dst.hash());

    // Destination port (TCP/UDP with a transport header).
    if (p.has_l4 && !p.is_later_fragment && (p.protocol == kProtoTcp || p.protocol == kProtoUdp)) {
        const uint32_t pi = (p.protocol == kProtoUdp ? 65536u : 0u) + p.dport;
        l5.count_port_packet(pi);
        count_port(s, pi);
    }
}

// Inlined into process(), its only caller: as a call it cost ~17 instructions a packet of register
// saves and restores (cachegrind, a generated 200 k-packet capture).
[[gnu::always_inline]] inline void TelescopeAggregator::count_port(SourceState& s, uint32_t pi) {
    const uint32_t m5 = port_mark5(cur5_), m1 = port_mark1h(cur1h_);
    for (int i = 0; i < kInlinePorts; ++i) {
        uint32_t& k = s.port_keys[i];
        if (k == 0) {  // a new port with a free slot: first sight in every open bin
            k = kPortUsed | m1 | m5 | pi;
            s.port_packets[i] = 1;
            for (Level* l : {levels_[kLevel5m].get(), levels_[kLevel1h].get(), levels_[kLevelDay].get()}) {
                l->touch_port(pi);
                ++l->port_sources[pi];
            }
            return;
        }
        if ((k & kPortSlotMask) != pi) continue;
        s.port_packets[i] += s.port_packets[i] != UINT32_MAX;
        if ((k & kPortMark5Mask) != m5) {
            k = (k & ~kPortMark5Mask) | m5;
            ++levels_[kLevel5m]->port_sources[pi];  // touched by the caller
        }
        if ((k & kPortMark1hMask) != m1) {
            k = (k & ~kPortMark1hMask) | m1;
            levels_[kLevel1h]->touch_port(pi);
            ++levels_[kLevel1h]->port_sources[pi];
        }
        return;
    }
    port_log5_.push_back(uint64_t(s.id) << 17 | pi);  // slots full: the logs count this pair
}

void TelescopeAggregator::process_batch(const DecodedPacket* p, size_t n) {
    // Prefetch the source slot a few packets ahead: the one random access left per packet. A
    // partitioned worker prefetches only the sources it owns (the others it never looks up).
    // Detectors get their two-stage hint (Detector::prefetch) for the packets they will observe.
    // Each source address is hashed once: for its owner, the prefetch and the lookup (hashing it
    // for each was ~45 instructions a packet, a twentieth of the loop's).
    constexpr size_t kAhead = 8;
    // The detector thread prefetches for itself.
    const bool detect = !detector_thread_ && (!source_detectors_.empty() || !global_detectors_.empty());
    uint64_t hash[kMaxBatch];
    if (!detect && partition_count_ == 1) {  // the plain path, kept minimal (measured)
        for (size_t start = 0; start < n; start += kMaxBatch) {
            const DecodedPacket* q = p + start;
            const size_t m = std::min(kMaxBatch, n - start);
            auto hint = [&](size_t i) {
                hash[i] = source_hash(q[i].src, q[i].src.hash());
                sources_.prefetch_hashed(hash[i]);
            };
            for (size_t i = 0; i < m && i < kAhead; ++i) hint(i);
            for (size_t i = 0; i < m; ++i) {
                if (i + kAhead < m) hint(i + kAhead);
                process(q[i], true, hash[i]);
            }
        }
        for_each_detector_thread([](DetectorThread& t) { t.publish(); });
        return;
    }
    // Ownership once per packet (it was hashed for each hint and again in process(): a tenth of
    // a partitioned worker's time).
    bool own[kMaxBatch];
    for (size_t start = 0; start < n; start += kMaxBatch) {
        const DecodedPacket* q = p + start;
        const size_t m = std::min(kMaxBatch, n - start);
        for (size_t i = 0; i < m; ++i) {
            if (q[i].status == DecodeStatus::kForeign) {  // only its timestamp is set
                own[i] = false;
                hash[i] = 0;
                continue;
            }
            const uint64_t h = q[i].src.hash();
            own[i] = owns_hash(h);
            hash[i] = source_hash(q[i].src, h);
        }
        // With a hinted detector the source slot is fetched at stage 0 so that at stage 1 its
        // hint word can be read from cache (a find() that does not miss).
        const int source_stage = hinted_detector_ ? 0 : 1;
        auto hint = [&](size_t i, int stage) {
            if (stage == source_stage && own[i]) sources_.prefetch_hashed(hash[i]);
            if (!detect) return;
            if (own[i])
                for (const Detector* d : source_detectors_) {
                    if (d != hinted_detector_) {
                        d->prefetch(q[i], stage);
                    } else if (stage == 1) {
                        const SourceState* s = sources_.find_hashed(source_key(q[i].src), hash[i]);
                        d->prefetch_hinted(q[i], s ? s->detector_hint : 0);
                    }
                }
            if (partition_index_ == 0)
                for (const Detector* d : global_detectors_) d->prefetch(q[i], stage);
        };
        for (size_t i = 0; i < m && i < 2 * kAhead; ++i) hint(i, 0);
        for (size_t i = 0; i < m && i < kAhead; ++i) hint(i, 1);
        for (size_t i = 0; i < m; ++i) {
            if (i + 2 * kAhead < m) hint(i + 2 * kAhead, 0);
            if (i + kAhead < m) hint(i + kAhead, 1);
            process(q[i], own[i], hash[i]);
        }
    }
}

void TelescopeAggregator::dedupe_port_log(HugePageVector<uint64_t>& log, PortPairs& out) {
    radix_sort(log, scratch_keys_, [](uint64_t k) { return k; });
    out.clear();
    for (size_t i = 0; i < log.size();) {
        size_t j = i + 1;
        while (j < log.size() && log[j] == log[i]) ++j;
        out.push_back({log[i], j - i});
        i = j;
    }
}

void TelescopeAggregator::dedupe_port_pairs(PortPairs& pairs) {
    radix_sort(pairs, scratch_pairs_, [](const PortPair& x) { return x.key; });
    size_t w = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
        if (w > 0 && pairs[w - 1].key == pairs[i].key)
            pairs[w - 1].packets += pairs[i].packets;
        else
            pairs[w++] = pairs[i];
    }
    pairs.resize(w);
}

void TelescopeAggregator::merge_port_pairs(std::span<const PortPair> a, std::span<const PortPair> b, PortPairs& out) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].key < b[j].key) {
            out.push_back(a[i++]);
        } else if (b[j].key < a[i].key) {
            out.push_back(b[j++]);
        } else {
            out.push_back({a[i].key, a[i].packets + b[j].packets});
            ++i, ++j;
        }
    }
    out.insert(out.end(), a.begin() + static_cast<ptrdiff_t>(i), a.end());
    out.insert(out.end(), b.begin() + static_cast<ptrdiff_t>(j), b.end());
}

void TelescopeAggregator::compact_day_port_log() {
    if (port_logday_runs_.empty() && !port_logday_.empty()) {
        dedupe_port_pairs(port_logday_);  // order not known (restored from a checkpoint)
    } else if (port_logday_runs_.size() > 1) {
        // Neighbouring runs merged pairwise, back and forth between the log and the scratch
        // buffer, until one is left: ~5 linear passes for a day's 24 hours, where the radix sort
        // of the whole log and its fresh scratch pages took 0.066 s at the benchmark's final
        // checkpoint (970 k pairs).
        std::vector<size_t> runs = std::move(port_logday_runs_), next;
        runs.push_back(port_logday_.size());  // the end of the last run
        while (runs.size() > 2) {
            PortPairs& out = scratch_pairs_;
            out.clear();
            out.reserve(port_logday_.size());
            next.clear();
            const PortPair* log = port_logday_.data();
            for (size_t r = 0; r + 1 < runs.size(); r += 2) {
                next.push_back(out.size());
                const std::span<const PortPair> a(log + runs[r], runs[r + 1] - runs[r]);
                if (r + 2 < runs.size())
                    merge_port_pairs(a, std::span<const PortPair>(log + runs[r + 1], runs[r + 2] - runs[r + 1]), out);
                else
                    out.insert(out.end(), a.begin(), a.end());
            }
            next.push_back(out.size());
            port_logday_.swap(out);
            runs.swap(next);
        }
    }
    port_logday_runs_.assign(port_logday_.empty() ? 0 : 1, 0);
    port_logday_deduped_ = port_logday_.size();
}

void TelescopeAggregator::count_port_sources(const PortPairs& pairs, Level& level) {
    for (const PortPair& x : pairs) {
        const uint32_t slot = static_cast<uint32_t>(x.key & 0x1FFFF);
        level.touch_port(slot);
        ++level.port_sources[slot];
    }
}

void TelescopeAggregator::close_port_logs(int levels) {
    dedupe_port_log(port_log5_, five_);
    port_log5_.clear();  // keeps its capacity: the next bin's log reuses the pages
    count_port_sources(five_, *levels_[kLevel5m]);
    port_log1h_.insert(port_log1h_.end(), five_.begin(), five_.end());
    if (levels < 2) return;
    dedupe_port_pairs(port_log1h_);
    count_port_sources(port_log1h_, *levels_[kLevel1h]);
    // The hour's pairs, sorted and distinct, are a run of the day log (unless its order is not
    // known: then it is sorted whole when compacted).
    if (!port_log1h_.empty() && (port_logday_.empty() || !port_logday_runs_.empty()))
        port_logday_runs_.push_back(port_logday_.size());
    port_logday_.insert(port_logday_.end(), port_log1h_.begin(), port_log1h_.end());
    port_log1h_.clear();
    if (levels < 3) {
        // Keep the day log near its distinct size: merge it when it has doubled.
        if (port_logday_.size() > 2 * port_logday_deduped_ + (1u << 20)) compact_day_port_log();
        return;
    }
    compact_day_port_log();
    count_port_sources(port_logday_, *levels_[kLevelDay]);
}

void TelescopeAggregator::close_level(Level& l, BinRows& out, bool reset) {
    // Every caller has folded the 5-min level (which settles it) before closing it; settling
    // here too keeps a future caller from emitting counts with increments still queued.
    l.settle_ports();
    if (l.any) {
        // Unique destinations: counted here, or, by a partitioned worker, handed over for
        // RowMerger to unite with the other workers' and count (its rows say 0 meanwhile).
        uint64_t dst_uniq[kClassCount + 1] = {};
        if (partition_count_ == 1) {
            count_dense_destinations(l.dst_bits.data(), l.dst_words, dst_uniq);
            count_sparse_destinations(
                [&](auto f) { l.dst_sparse.for_each([&](const IpAddress&, uint16_t m) { f(m); }); }, dst_uniq);
        } else {
            DestinationMarks marks;
            marks.bin_start = l.start;
            marks.width = l.width;
            marks.bits = l.dst_bits;
            marks.sparse.reserve(l.dst_sparse.size());
            l.dst_sparse.for_each([&](const IpAddress& a, uint16_t m) { marks.sparse.emplace_back(a, m); });
            out.destination_marks.push_back(std::move(marks));
        }

        ClassBinRow all{l.start, l.width, kClassAll, 0, 0, l.src_uniq[kClassCount], dst_uniq[kClassCount]};
        for (uint8_t c = 0; c < kClassCount; ++c) {
            all.packets += l.packets[c];
            all.bytes += l.bytes[c];
            if (l.packets[c] == 0 && dst_uniq[c] == 0) continue;
            out.classes.push_back({l.start, l.width, c, l.packets[c], l.bytes[c], l.src_uniq[c], dst_uniq[c]});
        }
        out.classes.push_back(all);
        l.for_each_touched_port([&](uint32_t i) {
            const uint64_t packets = l.port_packets[i];
            if (packets == 0) return;
            out.ports.push_back({l.start, l.width, static_cast<uint8_t>(i < 65536 ? kProtoTcp : kProtoUdp),
                                 static_cast<uint16_t>(i & 0xFFFF), packets, l.port_sources[i]});
        });
        out.meta.push_back({l.start, l.width, l.outside, l.not_ip, l.truncated, l.undecodable, l.late});
        for (size_t s = 0; s < l.sensor_packets.size(); ++s) {
            if (l.sensor_packets[s] == 0) continue;
            out.sensors.push_back(
                {l.start, l.width, darknet_.sensors()[s].name, l.sensor_packets[s], l.sensor_bytes[s]});
        }
    }
    if (reset) l.reset_counters();
}

void TelescopeAggregator::emit_sources(BinRows& out, const PortPairs& day_ports) {
    if (sources_.empty()) return;
    struct Top {
        uint64_t packets;
        uint32_t key;  // udp << 16 | port
    };
    struct Ports {
        uint64_t count = 0;  // distinct (protocol, port)s
        std::array<Top, kTopPortsPerSource> top{};
    };
    // Insertion into a descending top-k (ties: lower protocol/port first, for stable output; the
    // order is total, so the result does not depend on the order of the offers).
    auto offer = [](Ports& p, uint64_t packets, uint32_t key) {
        ++p.count;
        Top cand{packets, key};
        for (size_t i = 0; i < kTopPortsPerSource; ++i) {
            if (cand.packets > p.top[i].packets || (cand.packets == p.top[i].packets && cand.packets && cand.key < p.top[i].key)) {
                std::swap(cand, p.top[i]);
            }
        }
    };
    // The ports of the day's logs (wide port scanners only; disjoint from the inline ones): kept
    // for the sources that have some, found through a per-id index. A Ports for every source was
    // 10 MB of fresh pages at each checkpoint of the 20 M-packet benchmark, for a few hundred.
    std::vector<uint32_t> logged_at(next_source_id_, UINT32_MAX);
    std::vector<Ports> logged;
    for (const PortPair& pp : day_ports) {
        uint32_t& at = logged_at[static_cast<uint32_t>(pp.key >> 17)];
        if (at == UINT32_MAX) {
            at = static_cast<uint32_t>(logged.size());
            logged.emplace_back();
        }
        offer(logged[at], pp.packets, static_cast<uint32_t>(pp.key & kPortSlotMask));
    }
    compact_pairs();
    std::vector<uint64_t> distinct(next_source_id_, 0);
    pairs_.count_per_source(distinct);
    pairs_wide_.count_per_source(distinct);
    for (const auto& [id, h] : pairs6_) ++distinct[id];
    // The rows are built in address order (the order they are stored in): sorting the built rows
    // moved 160-byte rows around, and growing the row vector copied them into fresh pages.
    struct ByAddress {
        IpAddress address;
        const SourceState* state;
    };
    std::vector<ByAddress> order;
    order.reserve(sources_.size());
    sources_.for_each([&](const IpAddress& a, const SourceState& s) { order.push_back({a, &s}); });
    std::sort(order.begin(), order.end(), [](const ByAddress& a, const ByAddress& b) { return a.address < b.address; });
    const int64_t day = levels_[kLevelDay]->start;
    out.sources.reserve(out.sources.size() + order.size());
    for (size_t i = 0; i < order.size(); ++i) {
        if (i + 8 < order.size()) {  // the records are read at random: both lines of the slot
            const char* ahead = reinterpret_cast<const char*>(order[i + 8].state);
            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + 64);
        }
        const SourceState& s = *order[i].state;
        Ports ports = logged_at[s.id] == UINT32_MAX ? Ports{} : logged[logged_at[s.id]];
        for (int k = 0; k < kInlinePorts && s.port_keys[k]; ++k) offer(ports, s.port_packets[k], s.port_keys[k] & kPortSlotMask);
        SourceDayRow& r = out.sources.emplace_back();
        r.day = day;
        r.src = order[i].address;
        r.first_seen_ns = s.first_ns;
        r.last_seen_ns = s.last_ns;
        r.packets = s.packets;
        r.bytes = s.bytes;
        r.classes = s.classes_day;
        r.sensors = s.sensors;
        for (int f = 0; f < kFingerprintCount; ++f) r.fingerprints[f] = s.fingerprints[f];
        r.destinations = distinct[s.id];
        r.ports = ports.count;
        // "tcp/23:412 udp/53:7": formatted in a buffer and assigned once (appending piece by
        // piece reallocated the string a few times a row: 128 k rows on the benchmark).
        char text[kTopPortsPerSource * 32];
        char* at = text;
        for (const Top& t : ports.top) {
            if (t.packets == 0) break;
            if (at != text) *at++ = ' ';
            std::memcpy(at, (t.key >> 16) ? "udp/" : "tcp/", 4);
            at = std::to_chars(at + 4, std::end(text), t.key & 0xFFFF).ptr;
            *at++ = ':';
            at = std::to_chars(at, std::end(text), t.packets).ptr;
        }
        r.top_ports.assign(text, at);
    }
}

void TelescopeAggregator::compact_pairs(PairsShare* share) {
    pairs_.compact(share ? &share->dense : nullptr);
    pairs_wide_.compact(share ? &share->wide : nullptr);
    std::sort(pairs6_.begin(), pairs6_.end());
    pairs6_.erase(std::unique(pairs6_.begin(), pairs6_.end()), pairs6_.end());
}

void TelescopeAggregator::reset_day() {
    pairs_.clear();
    pairs_wide_.clear();
    pairs6_.clear();
    sources_.clear();
    next_source_id_ = 0;
    if (!digest_detectors_.empty()) announce_source_ids_reset();
    port_log5_.clear();
    port_log1h_.clear();
    port_logday_.clear();
    port_logday_runs_.clear();
    port_logday_deduped_ = 0;
}

void TelescopeAggregator::flush_open() {
    prepare_flush();
    prepare_flush_sources();
    rows_.sources.swap(source_rows_.sources);  // one batch: partitioned workers' k-th calls pair up
    hand_over_flush();
}

void TelescopeAggregator::hand_over_flush() {
    if (started_) sink_.on_rows(rows_, false);
}

void TelescopeAggregator::prepare_pairs(PairsShare* share) {
    if (started_) compact_pairs(share);
}

void TelescopeAggregator::help_prepare_pairs(PairsShare& share) {
    if (!started_) return;
    pairs_.help_compact(share.dense);
    pairs_wide_.help_compact(share.wide);
}

void TelescopeAggregator::prepare_flush_sources() {
    source_rows_.clear();
    if (!started_) return;
    emit_sources(source_rows_, flush_day_ports_);
    flush_day_ports_ = {};
}

void TelescopeAggregator::hand_over_flush_sources() {
    if (started_) sink_.on_rows(source_rows_, false);
}

void TelescopeAggregator::prepare_flush() {
    if (!started_) return;
    rows_.clear();
    // The bins as they stand, computed on copies: the open 5-min bin's ports and packets are
    // included in the hour and the day without closing anything.
    Level five = *levels_[kLevel5m], hour = *levels_[kLevel1h], day = *levels_[kLevelDay];
    // Sorting the 5-min log in place is harmless: it is a multiset, order carries no meaning.
    PortPairs p5;
    dedupe_port_log(port_log5_, p5);
    count_port_sources(p5, five);
    // The hour and day logs are merged in place first (as closing them would): it keeps them near
    // their distinct size and sorted, which is what makes their checkpoint encoding small.
    dedupe_port_pairs(port_log1h_);
    compact_day_port_log();
    // The logs are sorted and distinct now, as are p5 and p1: merged, not sorted again (the day's
    // pairs, ~830 k on the benchmark, took 0.09 s to copy and radix-sort at the final checkpoint).
    PortPairs p1;
    p1.reserve(port_log1h_.size() + p5.size());
    merge_port_pairs(port_log1h_, p5, p1);
    count_port_sources(p1, hour);
    PortPairs pd;
    pd.reserve(port_logday_.size() + p1.size());
    merge_port_pairs(port_logday_, p1, pd);
    count_port_sources(pd, day);
    hour.fold(five);
    day.fold(five);
    close_level(five, rows_, false);
    close_level(hour, rows_, false);
    close_level(day, rows_, false);
    flush_day_ports_ = std::move(pd);  // for prepare_flush_sources()
    // Events that already ended are final: hand them over now (open ones stay in the state).
    sync_detectors();
    take_detections();
    // Open events that qualify as they stand are stored too, like the open bins: without them a
    // capture shorter than the idle timeouts reports no scan and no attack at all. Their final
    // version replaces them (the store keys events by source/victim, protocol and start).
    for (auto& d : detectors_)
        if (runs_here(*d)) d->open_results(rows_);
}

void TelescopeAggregator::close_all() {
    if (!started_) return;
    rows_.clear();
    close_port_logs(3);
    levels_[kLevel1h]->fold(*levels_[kLevel5m]);
    levels_[kLevelDay]->fold(*levels_[kLevel5m]);
    for (auto& l : levels_) close_level(*l, rows_, true);
    emit_sources(rows_, port_logday_);
    reset_day();
    sync_detectors();
    for (auto& d : detectors_)
        if (runs_here(*d)) d->finish(pending_);
    take_detections();
    started_ = false;
    cur5_ = cur1h_ = 0;
    set_open_window();
    sink_.on_rows(rows_, true);
}

AggregatorMemory TelescopeAggregator::memory() const {
    AggregatorMemory m;
    m.active_sources = sources_.size();
    m.source_state_bytes = sources_.memory_bytes();
    m.destination_set_bytes = pairs_.memory_bytes() + pairs_wide_.memory_bytes() + pairs6_.capacity() * sizeof(pairs6_[0]);
    m.port_table_bytes = port_log5_.capacity() * 8 + (port_log1h_.capacity() + port_logday_.capacity()) * sizeof(PortPair);
    for (const auto& l : levels_)
        m.fixed_bytes += l->port_packets.bytes() + l->port_sources.size() * 4 + l->dst_bits.size() * 8 +
                         l->dst_sparse.memory_bytes();
    return m;
}

// ---- checkpoint serialization ----

std::string TelescopeAggregator::serialize() const {
    ByteWriter w;
    serialize(w);
    return std::move(w.data());
}

void TelescopeAggregator::serialize(ByteWriter& w) const {
    // One reservation for the whole state (growing by doubling copied it into fresh pages): about
    // 110 bytes a source, 3 a logged port or destination pair, the per-level arrays.
    w.reserve(sources_.size() * 110 + port_log5_.size() * 3 + (port_log1h_.size() + port_logday_.size()) * 4 +
              (pairs_.size() + pairs_wide_.size()) * 3 + pairs6_.size() * 12 + levels_.size() * (darknet_.dense_size() * 2 + (1u << 20)));
    w.put_string(kSnapshotMagic);
    w.put_string(darknet_.describe());
    w.put<uint8_t>(started_);
    w.put(cur5_);
    w.put(cur1h_);
    w.put(packets_seen_);
    for (const auto& lp : levels_) {
        const Level& l = *lp;
        l.settle_ports();
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
            w.put<uint64_t>(l.port_packets[i]);
            w.put(l.port_sources[i]);
        }
        w.put_vector(l.destination_masks(darknet_.dense_size()));
        w.put<uint64_t>(l.dst_sparse.size());
        l.dst_sparse.for_each([&](const IpAddress& a, uint16_t m) {
            w.put(a.hi());
            w.put(a.lo());
            w.put(m);
        });
    }
    std::vector<std::pair<IpAddress, const SourceState*>> by_id(next_source_id_);
    sources_.for_each([&](const IpAddress& a, const SourceState& s) { by_id[s.id] = {a, &s}; });
    w.put<uint64_t>(by_id.size());
    for (const auto& [addr, sp] : by_id) {
        const SourceState& s = *sp;
        w.put(addr.hi());
        w.put(addr.lo());
        w.put(s.first_ns);
        w.put(s.last_ns);
        w.put(s.packets);
        w.put(s.bytes);
        w.put(s.bin5);
        w.put(s.bin1h);
        w.put(s.classes_day);
        w.put(s.classes_5m);
        w.put(s.classes_1h);
        w.put(s.sensors);
        for (auto f : s.fingerprints) w.put(f);
        for (int k = 0; k < kInlinePorts; ++k) {
            w.put(s.port_keys[k]);
            if (s.port_keys[k]) w.put(s.port_packets[k]);
        }
    }
    // The logs as varint deltas (zigzag, so any order round-trips; sorted after flush_open, where
    // most deltas take a byte or two): the (source, port) day log was 16 bytes a pair and the
    // largest part of the final checkpoint of the 20 M-packet benchmark (34 of 73 MB).
    put_key_deltas(w, port_log5_, [](uint64_t k) { return k; });
    for (const auto* log : {&port_log1h_, &port_logday_}) {
        put_key_deltas(w, *log, [](const PortPair& x) { return x.key; });
        for (const PortPair& x : *log) w.put_varint(x.packets);
    }
    // The IPv4 pair log (sorted and unique after flush_open()). A dense darknet's: Rice-coded
    // (put_dense_pairs; ~1.3 bytes a pair where varint deltas took 2, and writing them was the
    // largest part of the final checkpoint). Otherwise: varint deltas (any order round-trips).
    if (darknet_.dense()) {
        if (pairs_.compacted()) {
            put_dense_pairs(w, pairs_.size(), darknet_.dense_size(), [&](auto&& f) { pairs_.for_each(f); });
        } else {  // serialize() without a flush first (tests, tools): sort a copy
            std::vector<uint64_t> keys;
            pairs_.for_each([&](uint64_t k) { keys.push_back(k); });
            std::sort(keys.begin(), keys.end());
            keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
            put_dense_pairs(w, keys.size(), darknet_.dense_size(), [&](auto&& f) {
                for (uint64_t k : keys) f(k);
            });
        }
    } else {
        w.put<uint64_t>(pairs_wide_.size());
        KeyDeltaWriter put_pair(w);
        pairs_wide_.for_each(put_pair);
    }
    w.put<uint64_t>(pairs6_.size());
    for (const auto& [id, h] : pairs6_) {
        w.put(id);
        w.put(h);
    }
    // Open detector state (events that ended were handed over by flush_open before a checkpoint).
    for_each_detector_thread([](DetectorThread& t) { t.drain(); });
    w.put<uint32_t>(static_cast<uint32_t>(detectors_.size()));
    for (const auto& d : detectors_) {
        w.put_string(std::string(d->name()));
        d->serialize(w);
    }
}

void TelescopeAggregator::restore(const std::string& blob) {
    ByteReader r(blob, "checkpoint state");
    if (const std::string magic = r.get_string(); magic != kSnapshotMagic) {
        // Another version's snapshot: say which, and what the operator can do.
        constexpr std::string_view kPrefix = "iotwatch-aggregator-";
        const std::string version = magic.substr(std::min(magic.size(), kPrefix.size()));
        if (magic.starts_with(kPrefix) && version.size() <= 8 &&
            std::all_of(version.begin(), version.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }))
            r.fail("the checkpoint was written by another iotwatch version (state " + version + ", this one reads " +
                   std::string(kSnapshotMagic).substr(kPrefix.size()) +
                   "): finish that run with the version that wrote it, or start over with --reset");
        r.fail("not an aggregator snapshot");
    }
    const std::string dn = r.get_string();
    if (dn != darknet_.describe())
        throw ConfigError("the checkpoint was made for darknet [" + dn + "] but this run monitors [" +
                          darknet_.describe() + "]; use another --db or --reset");
    started_ = r.get<uint8_t>() != 0;
    cur5_ = r.get<uint32_t>();
    cur1h_ = r.get<uint32_t>();
    set_open_window();
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
            l.touch_port(i);
            l.port_packets.set(i, r.get<uint64_t>());
            l.port_sources[i] = r.get<uint32_t>();
            if (l.port_packets[i] == 0 && l.port_sources[i] == 0) r.fail("empty port entry");
        }
        auto mask = r.get_vector<uint16_t>();
        if (mask.size() != darknet_.dense_size()) r.fail("destination mask size differs from the darknet");
        std::fill(l.dst_bits.begin(), l.dst_bits.end(), 0);
        for (size_t i = 0; i < mask.size(); ++i) {
            if (mask[i] >> kClassCount) r.fail("destination class bits out of range");
            for (uint16_t m = mask[i]; m; m &= static_cast<uint16_t>(m - 1)) l.mark_destination(i, __builtin_ctz(m));
        }
        const uint64_t n = r.get<uint64_t>();
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t hi = r.get<uint64_t>(), lo = r.get<uint64_t>();
            const IpAddress a = IpAddress::from_halves(hi, lo);
            const uint16_t m = r.get<uint16_t>();
            if (m >> kClassCount || a == kEmptyAddress) r.fail("bad destination entry");
            l.dst_sparse[a] = m;
        }
    }
    reset_day();
    const uint64_t ns = r.get<uint64_t>();
    for (uint64_t i = 0; i < ns; ++i) {
        SourceState s;
        uint64_t hi = r.get<uint64_t>(), lo = r.get<uint64_t>();
        const IpAddress addr = IpAddress::from_halves(hi, lo);
        s.id = static_cast<uint32_t>(i);
        s.first_ns = r.get<int64_t>();
        s.last_ns = r.get<int64_t>();
        s.packets = r.get<uint64_t>();
        s.bytes = r.get<uint64_t>();
        s.bin5 = r.get<uint32_t>();
        s.bin1h = r.get<uint32_t>();
        s.classes_day = r.get<uint16_t>();
        s.classes_5m = r.get<uint16_t>();
        s.classes_1h = r.get<uint16_t>();
        s.sensors = r.get<uint16_t>();
        for (auto& f : s.fingerprints) f = r.get<uint32_t>();
        if ((s.classes_day | s.classes_5m | s.classes_1h) >> kClassCount) r.fail("source class bits out of range");
        for (int k = 0; k < kInlinePorts; ++k) {
            const uint32_t key = r.get<uint32_t>();
            if (key == 0) {
                for (int j = k + 1; j < kInlinePorts; ++j)
                    if (r.get<uint32_t>() != 0) r.fail("inline port after a free slot");
                break;
            }
            if (!(key & kPortUsed) || (key & kPortSlotMask) >= kPortSlots) r.fail("bad inline port entry");
            for (int j = 0; j < k; ++j)
                if ((s.port_keys[j] & kPortSlotMask) == (key & kPortSlotMask)) r.fail("duplicate inline port");
            s.port_keys[k] = key;
            s.port_packets[k] = r.get<uint32_t>();
            if (s.port_packets[k] == 0) r.fail("inline port without packets");
        }
        bool inserted;
        SourceState& slot = sources_.find_or_insert(source_key(addr), inserted);
        if (!inserted) r.fail("duplicate source in snapshot");
        slot = std::move(s);
        next_source_id_ = static_cast<uint32_t>(i + 1);
    }
    auto check_port_key = [&](uint64_t k) {
        if ((k >> 17) >= next_source_id_) r.fail("port entry names an unknown source");
        return k;
    };
    get_key_deltas(r, port_log5_, [&](uint64_t k) { return check_port_key(k); });
    for (auto* log : {&port_log1h_, &port_logday_}) {
        get_key_deltas(r, *log, [&](uint64_t k) { return PortPair{check_port_key(k), 0}; });
        for (PortPair& x : *log) x.packets = r.get_varint();
    }
    port_logday_deduped_ = 0;
    // One run when sorted and distinct (as prepare_flush() leaves it), else of unknown order.
    const bool one_run = std::adjacent_find(port_logday_.begin(), port_logday_.end(), [](const PortPair& a, const PortPair& b) {
                             return a.key >= b.key;
                         }) == port_logday_.end();
    port_logday_runs_.assign(one_run && !port_logday_.empty() ? 1 : 0, 0);
    if (darknet_.dense()) {
        const uint64_t universe = darknet_.dense_size(), total = r.get<uint64_t>();
        const uint64_t size = r.get<uint64_t>();
        BitReader bits(r, r.get_bytes(size), size);
        uint64_t next_id = 0;
        for (uint64_t got = 0; got < total;) {
            const uint64_t id = next_id + bits.get_exp_golomb();
            if (id >= next_source_id_) r.fail("destination pair names an unknown source");
            const uint64_t n = bits.get_exp_golomb() + 1;
            if (n > universe || n > total - got) r.fail("destination count of a source exceeds the darknet or the total");
            const int k = rice_parameter(n, universe);
            uint64_t next_dst = 0;
            for (uint64_t i = 0; i < n; ++i) {
                const uint64_t d = next_dst + bits.get_rice(k, (universe >> k) + 1);
                if (d >= universe) r.fail("destination pair names an index outside the darknet");
                pairs_.add(static_cast<uint32_t>(id), static_cast<uint32_t>(d));
                next_dst = d + 1;
            }
            got += n;
            next_id = id + 1;
        }
    } else {
        get_key_deltas(r, [&](uint64_t k) {
            if ((k >> 32) >= next_source_id_) r.fail("destination pair names an unknown source");
            pairs_wide_.add(static_cast<uint32_t>(k >> 32), static_cast<uint32_t>(k));
        });
    }
    const uint64_t n6 = r.get<uint64_t>();
    for (uint64_t i = 0; i < n6; ++i) {
        const uint32_t id = r.get<uint32_t>();
        const uint64_t h = r.get<uint64_t>();
        if (id >= next_source_id_) r.fail("destination pair names an unknown source");
        pairs6_.emplace_back(id, h);
    }
    const uint32_t n_detectors = r.get<uint32_t>();
    auto configured = [&] {
        std::string names;
        for (const auto& d : detectors_) names += (names.empty() ? "" : ",") + std::string(d->name());
        return names.empty() ? std::string("none") : names;
    };
    if (n_detectors != detectors_.size())
        throw ConfigError("the checkpoint was made with " + std::to_string(n_detectors) + " detector(s), this run has " +
                          configured() + "; resume with the same --detect/--detectors/--model or --reset");
    sync_detectors();
    for (auto& d : detectors_) {
        const std::string name = r.get_string();
        if (name != d->name())
            throw ConfigError("the checkpoint was made with detector '" + name + "' where this run has '" +
                              std::string(d->name()) + "'; resume with the same options or --reset");
        d->restore(r);
    }
    // The restored sources keep their numbers (written in number order, above); the detectors
    // that take digests learn them again. The threads are idle (drained above): direct calls.
    for (Detector* d : digest_detectors_)
        sources_.for_each([&](const IpAddress& key, const SourceState& s) { d->source_added(s.id, key); });
    if (detector_thread_) detector_thread_->clear_hints();
    pending_.clear_detections();
    if (!r.at_end()) r.fail("trailing bytes after the snapshot");
}

}  // namespace iotwatch

#include "detect/ddos_features.h"

#include <algorithm>
#include <bitset>
#include <cmath>
#include <string>

#include "core/byte_buffer.h"
#include "core/error.h"
#include "core/radix_sort.h"
#include "core/timestamp.h"

namespace iotwatch {
namespace {

/// A mean and (population) sd. Every one is computed as the first version did, so that each
/// feature keeps its bits: the values summed in order and divided by their count, then their
/// squared deviations from that mean summed in order, divided, and the square root.
struct Stats {
    double mean = 0, sd = 0;
};
}  // namespace

const char* DdosFeatureExtractor::feature_name(size_t i) {
    static const char* const kNames[kDdosFeatureCount] = {
        "packets",          "ipt_mean",          "ipt_sd",           "src_ports",       "pkts_per_sport_mean",
        "pkts_per_sport_sd", "dst_ips",          "pkts_per_dst_mean", "pkts_per_dst_sd", "dst_ports",
        "pkts_per_dport_mean", "pkts_per_dport_sd", "protocols",      "payload_mean",    "payload_sd",
        "dst_gap_mean",     "dst_gap_sd"};
    return i < kDdosFeatureCount ? kNames[i] : "?";
}

DdosFeatureExtractor::DdosFeatureExtractor(int64_t window_s, uint64_t min_packets, SourceKeys keys)
    : window_s_(window_s), min_packets_(min_packets), keys_(keys), index_(kNoAddress, 1024) {
    if (!window_in_range(window_s))
        throw ConfigError("the feature window must be 1 to " + std::to_string(kMaxWindowSeconds) + " seconds, not " +
                          std::to_string(window_s));
}

uint32_t DdosFeatureExtractor::no_address_index() {
    if (no_address_index_ < 0) {
        no_address_index_ = static_cast<int64_t>(sources_.size());
        sources_.push_back(kNoAddress);
    }
    return static_cast<uint32_t>(no_address_index_);
}

void DdosFeatureExtractor::open_window(int64_t start_s) {
    window_start_ = start_s;
    // In range, the window's end in nanoseconds. Beyond it (a restored state may say anything):
    // a window past the timestamp range stays open for every later packet, and one that ended
    // before it makes every packet open a window (as when none is open).
    // (No sum with start_s before it is known to be in range: that sum overflowed too.)
    constexpr int64_t kMaxSeconds = INT64_MAX / 1000000000;
    if (start_s > kMaxSeconds - window_s_)
        window_end_ns_ = INT64_MAX;
    else if (start_s < -kMaxSeconds - window_s_)  // also INT64_MIN, no window
        window_end_ns_ = INT64_MIN;
    else
        window_end_ns_ = (start_s + window_s_) * 1000000000;
}

void DdosFeatureExtractor::open_window_of(int64_t ts_ns, const std::function<void(const SourceWindow&)>& out) {
    const int64_t w = bin_start_seconds(ts_ns, window_s_);
    if (window_start_ == INT64_MIN) {
        open_window(w);
    } else if (w > window_start_) {
        emit(out);
        open_window(w);
    }
}

void DdosFeatureExtractor::add_opening(const DecodedPacket& p, const std::function<void(const SourceWindow&)>& out) {
    open_window_of(p.ts_ns, out);
    append(source_index(p.src), packet_of(p));
}

void DdosFeatureExtractor::add_opening(const PacketDigest& d, const std::function<void(const SourceWindow&)>& out) {
    open_window_of(d.ts_ns, out);
    append(id_index(d.source_id), packet_of(d));  // after the emit, which may have dropped old numbers
}

void DdosFeatureExtractor::add_source(uint32_t id, const IpAddress& src) { sources_[id_index(id)] = src; }

void DdosFeatureExtractor::reset_source_ids() {
    if (packets_.empty()) {  // nothing names the old numbers any more
        sources_.clear();
        id_base_ = 0;
        return;
    }
    id_base_ = sources_.size();
    renumbered_ = true;
}

void DdosFeatureExtractor::finish(const std::function<void(const SourceWindow&)>& out) { emit(out); }

void DdosFeatureExtractor::expire(int64_t now_ns, const std::function<void(const SourceWindow&)>& out) {
    if (window_start_ == INT64_MIN || bin_start_seconds(now_ns, window_s_) <= window_start_) return;
    emit(out);
    open_window(INT64_MIN);
}

template <typename Count, typename F>
void DdosFeatureExtractor::for_each_source(uint64_t min_packets, Count&& count, F&& f) const {
    // Counting sort by source index: stable, so each source's packets stay in arrival order. Only
    // the sources with at least min_packets packets are grouped (in a window of the benchmark
    // most have fewer and are not emitted).
    constexpr uint32_t kSkipped = UINT32_MAX;
    const size_t k = sources_.size();
    // After a renumbering one address may have packets under two indexes: each index then
    // stands for the first index of its address (a copy of the packets' indexes, rare).
    std::vector<uint32_t> merged;
    if (renumbered_) {
        std::vector<uint32_t> first_of(k);
        FlatTable<IpAddress, uint32_t, AddressHash> first(kNoAddress, k);
        int64_t no_address = -1;  // the table's empty key has its own first index
        for (uint32_t i = 0; i < k; ++i) {
            if (sources_[i] == kNoAddress) {
                if (no_address < 0) no_address = i;
                first_of[i] = static_cast<uint32_t>(no_address);
                continue;
            }
            bool inserted = false;
            uint32_t& f = first.find_or_insert(sources_[i], inserted);
            if (inserted) f = i;
            first_of[i] = f;
        }
        merged.reserve(packet_source_.size());
        for (uint32_t s : packet_source_) merged.push_back(first_of[s]);
    }
    const std::vector<uint32_t>& packet_source = renumbered_ ? merged : packet_source_;
    group_count_.assign(k, 0);
    for (uint32_t s : packet_source) ++group_count_[s];
    group_cursor_.resize(k);
    // The grouped sources in address order, each group laid out in that order too: the walk
    // below then reads grouped_ from front to back. (With the groups in index order, each
    // source's first packets and its cursor were a cache miss: an eighth of the SVM
    // detector's samples on the benchmark.)
    struct Group {
        IpAddress address;
        uint32_t index, count;
    };
    std::vector<Group> order;
    for (uint32_t i = 0; i < k; ++i) {
        group_cursor_[i] = kSkipped;
        if (group_count_[i] >= min_packets) order.push_back({sources_[i], i, group_count_[i]});
    }
    std::sort(order.begin(), order.end(), [](const Group& a, const Group& b) { return a.address < b.address; });
    uint32_t total = 0;
    for (const Group& g : order) {
        group_cursor_[g.index] = total;
        total += g.count;
    }
    grouped_.resize(total);
    for (size_t i = 0; i < packets_.size(); ++i) {
        uint32_t& cursor = group_cursor_[packet_source[i]];
        if (cursor != kSkipped) grouped_[cursor++] = packets_[i];
    }
    count(order.size());
    const Pkt* next = grouped_.data();
    for (const Group& g : order) {
        f(g.address, next, next + g.count);
        next += g.count;
    }
}

void DdosFeatureExtractor::clear_window() {
    packets_.clear();
    packet_source_.clear();
    renumbered_ = false;
    if (keys_ == SourceKeys::kSourceIds) {
        // The numbers stay for the next window; those before the last renumbering name nothing now.
        sources_.erase(sources_.begin(), sources_.begin() + static_cast<std::ptrdiff_t>(id_base_));
        id_base_ = 0;
        return;
    }
    index_.clear();
    no_address_index_ = -1;
    sources_.clear();
}

void DdosFeatureExtractor::serialize(ByteWriter& w) const {
    // As the first version wrote it (a std::map of per-source vectors): checkpoints carry over.
    w.put(window_start_);
    for_each_source(1, [&](size_t n) { w.put<uint64_t>(n); }, [&](const IpAddress& src, const Pkt* first, const Pkt* last) {
        w.put(src.hi());
        w.put(src.lo());
        w.put<uint64_t>(static_cast<uint64_t>(last - first));
        for (const Pkt* p = first; p != last; ++p) w.put(*p);
    });
}

void DdosFeatureExtractor::restore(ByteReader& r) {
    clear_window();
    index_.clear();
    no_address_index_ = -1;
    sources_.clear();  // kSourceIds: the numbers are announced again after a restore
    id_base_ = 0;
    open_window(r.get<int64_t>());
    const uint64_t n = r.get<uint64_t>();
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t hi = r.get<uint64_t>(), lo = r.get<uint64_t>();
        const auto pkts = r.get_vector<Pkt>();
        if (pkts.empty()) r.fail("feature window holds a source without packets");
        const IpAddress src = IpAddress::from_halves(hi, lo);
        const size_t before = sources_.size();
        const uint32_t s = source_index(src);  // kSourceIds too: indexes below the numbers
        if (sources_.size() == before) r.fail("feature window holds a source twice");
        for (const Pkt& p : pkts) append(s, p);
    }
    if (keys_ == SourceKeys::kSourceIds) {
        index_.clear();
        no_address_index_ = -1;
        reset_source_ids();
    }
}

void DdosFeatureExtractor::emit(const std::function<void(const SourceWindow&)>& out) {
    // Scratch of one source's computation, reused across sources.
    std::vector<Pkt> by_time;
    std::vector<uint32_t> sports, dports, dsts, key_scratch;
    for_each_source(std::max<uint64_t>(min_packets_, 1), [](size_t) {}, [&](const IpAddress& src, const Pkt* first, const Pkt* last) {
        const size_t n = static_cast<size_t>(last - first);
        // In time order (arrival order unless the capture was out of order).
        if (!std::is_sorted(first, last, [](const Pkt& a, const Pkt& b) { return a.ts_ns < b.ts_ns; })) {
            by_time.assign(first, last);
            std::stable_sort(by_time.begin(), by_time.end(), [](const Pkt& a, const Pkt& b) { return a.ts_ns < b.ts_ns; });
            first = by_time.data();
            last = first + n;
        }
        // Mean and sd of n values (see Stats).
        auto stats_of = [](size_t count, auto value) {
            Stats s;
            if (count == 0) return s;
            for (size_t i = 0; i < count; ++i) s.mean += value(i);
            s.mean /= double(count);
            for (size_t i = 0; i < count; ++i) s.sd += (value(i) - s.mean) * (value(i) - s.mean);
            s.sd = std::sqrt(s.sd / double(count));
            return s;
        };
        // In unsigned arithmetic: the packets are in time order, so the gap is in [0, 2^64), but
        // a restored window may hold timestamps far enough apart to overflow a signed difference
        // (found by fuzz_checkpoint); for every other gap the value is the same.
        const Stats si = stats_of(n - 1, [&](size_t i) {
            return double(uint64_t(first[i + 1].ts_ns) - uint64_t(first[i].ts_ns)) / 1e9;
        });
        const Stats spl = stats_of(n, [&](size_t i) { return double(first[i].payload); });
        // The keys in one pass over the packets, then packets per key in key order (as a
        // std::map counted them), from each sorted key array.
        sports.clear();
        dports.clear();
        dsts.clear();
        std::bitset<256> protos;
        for (const Pkt* p = first; p != last; ++p) {
            sports.push_back(p->sport);
            dports.push_back(p->dport);
            dsts.push_back(p->dst);
            protos.set(p->proto);
        }
        // Packets per key, from each sorted key array: the Stats of the counts in key order (as
        // a std::map counted them), without storing the counts. Their sum is the packet count
        // whatever the order (whole numbers, exact), so the mean is n / keys, and the second
        // pass walks the runs again. All keys distinct (a scanner's destinations, most sources'
        // ports): every count is 1, the mean 1 and the sd 0, as the two passes would give.
        struct KeyStats {
            Stats s;
            double keys = 0;
        };
        auto per_key = [&](std::vector<uint32_t>& keys) {
            // Large research scanners send tens of thousands of packets a window: three
            // comparison sorts of theirs were most of the SVM detector's time.
            if (keys.size() >= 512)
                radix_sort(keys, key_scratch, [](uint32_t k) { return uint64_t(k); });
            else
                std::sort(keys.begin(), keys.end());
            KeyStats out;
            const size_t m = keys.size();
            size_t distinct = m ? 1 : 0;
            for (size_t i = 1; i < m; ++i) distinct += keys[i] != keys[i - 1];
            out.keys = double(distinct);
            if (distinct == 0) return out;
            out.s.mean = double(m) / double(distinct);
            if (distinct == m) return out;  // every count 1: the sd is 0
            for (size_t i = 0; i < m;) {
                size_t j = i + 1;
                while (j < m && keys[j] == keys[i]) ++j;
                const double d = double(j - i) - out.s.mean;
                out.s.sd += d * d;
                i = j;
            }
            out.s.sd = std::sqrt(out.s.sd / double(distinct));
            return out;
        };
        const KeyStats sps = per_key(sports);
        const KeyStats spp = per_key(dports);
        const KeyStats spd = per_key(dsts);  // dsts: now sorted
        // The gaps between distinct destinations, the Stats of them in order: their sum is
        // last - first (exact), then a second pass.
        Stats sg;
        const double gap_count = spd.keys - 1;
        if (gap_count > 0) {
            sg.mean = double(dsts.back() - dsts.front()) / gap_count;
            for (size_t i = 1; i < dsts.size(); ++i)
                if (dsts[i] != dsts[i - 1]) {
                    const double d = double(dsts[i] - dsts[i - 1]) - sg.mean;
                    sg.sd += d * d;
                }
            sg.sd = std::sqrt(sg.sd / gap_count);
        }

        SourceWindow sw;
        sw.src = src;
        sw.window_start_s = window_start_;
        sw.features = {double(n),       si.mean,      si.sd,       sps.keys,
                       sps.s.mean,      sps.s.sd,     spd.keys,    spd.s.mean,
                       spd.s.sd,        spp.keys,     spp.s.mean,  spp.s.sd,
                       double(protos.count()), spl.mean, spl.sd,   sg.mean,
                       sg.sd};
        out(sw);
    });
    clear_window();
}

}  // namespace iotwatch

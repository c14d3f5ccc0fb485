// DdosFeatures: the 17 per-source features of Furutani et al. (ICONIP 2015) for telling DDoS
// backscatter apart from other darknet traffic, computed per source and time window (DOMAIN.md):
// total packets; mean and sd of inter-packet time; number of source ports; mean and sd of packets
// per source port; number of destination IPs; mean and sd of packets per destination IP; number of
// destination ports; mean and sd of packets per destination port; number of protocols; mean and sd
// of payload size; mean and sd of the gaps between the (sorted) destination IP numbers.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "capture/decoded_packet.h"
#include "core/flat_table.h"
#include "detect/packet_digest.h"

namespace iotwatch {

inline constexpr size_t kDdosFeatureCount = 17;
using DdosFeatureVector = std::array<double, kDdosFeatureCount>;

/// One source in one window.
struct SourceWindow {
    IpAddress src;
    int64_t window_start_s = 0;
    DdosFeatureVector features{};
};

/// Collects darknet packets per source for fixed windows and emits feature vectors when a window
/// ends, sources in address order. Holds the open window's packets (24 bytes each, plus 4 for the
/// source's index): the features are exact, and the per-key distributions, the inter-packet times
/// and the destination gaps need them all.
///
/// Per packet it is two appends, after one lookup in a flat table (source -> index) when sources
/// are named by address (with the aggregator's source numbers, kSourceIds, none); at the window's
/// end a counting sort by source index groups each source's packets (in arrival order) and each
/// source's keys are sorted once. The first version kept a std::map of per-source vectors and
/// counted keys in std::maps: on the 20 M-packet benchmark the SVM detector made the detector
/// thread the bottleneck of `ingest --detect --model` (15.6 s against 3.9 s without the model;
/// 6.6 s with this one: README, Speed).
class DdosFeatureExtractor {
public:
    /// How packets name their source. kAddresses: add(DecodedPacket) looks each source address up
    /// in a table of the extractor's own. kSourceIds: add(PacketDigest) names the source by the
    /// aggregator's number, announced once by add_source() (no lookup per packet); the numbers
    /// start again from 0 after reset_source_ids() (the aggregator's new day, a checkpoint's
    /// restore), and a source that has packets under two numbers in one window (before and after
    /// such a reset) is still one source of that window. Per source of the day it keeps the
    /// address (16 bytes).
    enum class SourceKeys { kAddresses, kSourceIds };
    /// The longest window (a week); a window must be at least a second. The constructor throws
    /// ConfigError for any other.
    static constexpr int64_t kMaxWindowSeconds = 7 * 86400;
    static constexpr bool window_in_range(int64_t window_s) { return window_s >= 1 && window_s <= kMaxWindowSeconds; }
    explicit DdosFeatureExtractor(int64_t window_s = 600, uint64_t min_packets = 5,
                                  SourceKeys keys = SourceKeys::kAddresses);
    /// Adds a darknet packet (kAddresses); calls `out` (void(const SourceWindow&)) for every source of a window
    /// that ended before it. A template so that a per-packet caller builds no std::function
    /// unless the packet opens a window.
    template <typename Out>
    void add(const DecodedPacket& p, Out&& out) {
        if (p.ts_ns < window_end_ns_) [[likely]]  // the open window (or an earlier, late packet)
            append(source_index(p.src), packet_of(p));
        else
            add_opening(p, out);
    }
    /// Adds a darknet packet (kSourceIds): as add(DecodedPacket), for the source announced under
    /// `d.source_id`.
    template <typename Out>
    void add(const PacketDigest& d, Out&& out) {
        if (d.ts_ns < window_end_ns_) [[likely]]
            append(id_index(d.source_id), packet_of(d));
        else
            add_opening(d, out);
    }
    /// kSourceIds: `src` is the source numbered `id` from now on (until reset_source_ids()).
    void add_source(uint32_t id, const IpAddress& src);
    /// kSourceIds: the numbers start again from 0; those given so far keep naming their
    /// sources for the packets already added.
    void reset_source_ids();
    /// Prefetches the table slot of `src` (kAddresses; call a few packets before add()).
    void prefetch(const IpAddress& src) const { index_.prefetch(src); }
    /// Emits the open window.
    void finish(const std::function<void(const SourceWindow&)>& out);
    /// Emits the open window when `now_ns` lies past its end (interval boundaries in the pipeline).
    void expire(int64_t now_ns, const std::function<void(const SourceWindow&)>& out);
    /// Open window state for checkpoints; restore() throws InputError on damaged state.
    void serialize(class ByteWriter& w) const;
    void restore(class ByteReader& r);

    static const char* feature_name(size_t i);

private:
    struct Pkt {
        int64_t ts_ns;
        uint32_t dst;
        uint16_t sport, dport;
        uint16_t payload;
        uint8_t proto;
    };
    struct AddressHash {
        uint64_t operator()(const IpAddress& a) const { return a.hash(); }
    };
    /// The table's empty-slot key; this one address gets its index outside the table.
    static constexpr IpAddress kNoAddress = IpAddress::from_halves(~0ULL, ~0ULL);

    static Pkt packet_of(const PacketDigest& d) { return {d.ts_ns, d.dst, d.sport, d.dport, d.payload, d.protocol}; }
    static Pkt packet_of(const DecodedPacket& p) { return packet_of(PacketDigest::of(p, 0)); }
    /// kSourceIds: the index of the source numbered `id` (an unannounced number gets an index
    /// of its own, with no address).
    uint32_t id_index(uint32_t id) {
        const size_t i = id_base_ + size_t(id);
        if (i >= sources_.size()) [[unlikely]]
            sources_.resize(i + 1, kNoAddress);
        return static_cast<uint32_t>(i);
    }
    uint32_t source_index(const IpAddress& src) {
        if (src == kNoAddress) [[unlikely]]
            return no_address_index();
        bool inserted = false;
        uint32_t& index = index_.find_or_insert(src, inserted);
        if (inserted) [[unlikely]] {
            index = static_cast<uint32_t>(sources_.size());
            sources_.push_back(src);
        }
        return index;
    }
    uint32_t no_address_index();
    void append(uint32_t source, const Pkt& pkt) {
        packets_.push_back(pkt);
        packet_source_.push_back(source);
    }
    /// add() for a packet past the open window (or the first): emits the window and opens its own.
    void add_opening(const DecodedPacket& p, const std::function<void(const SourceWindow&)>& out);
    void add_opening(const PacketDigest& d, const std::function<void(const SourceWindow&)>& out);
    /// Emits the open window if a packet at `ts_ns` lies past it, and opens the packet's window.
    void open_window_of(int64_t ts_ns, const std::function<void(const SourceWindow&)>& out);
    /// Sets window_start_ and window_end_ns_ (INT64_MIN: no window open).
    void open_window(int64_t start_s);
    /// The open window's packets grouped by source, sources in address order: calls
    /// f(address, first, last) with the packets, in arrival order, of each source that sent at
    /// least `min_packets` (>= 1), after calling count(n) with the number of those sources.
    template <typename Count, typename F>
    void for_each_source(uint64_t min_packets, Count&& count, F&& f) const;
    void emit(const std::function<void(const SourceWindow&)>& out);
    void clear_window();

    int64_t window_s_;
    uint64_t min_packets_;
    SourceKeys keys_;
    // kSourceIds: sources_[id_base_ + id] is the source numbered id; the indexes below id_base_
    // are numbers given before the last reset_source_ids(), kept while the window has packets
    // of theirs. `renumbered_`: the window may hold one address under two indexes.
    size_t id_base_ = 0;
    bool renumbered_ = false;
    int64_t window_start_ = INT64_MIN;
    int64_t window_end_ns_ = INT64_MIN;  // first timestamp past the open window; INT64_MIN: none open
    FlatTable<IpAddress, uint32_t, AddressHash> index_;  // kAddresses: source -> index into sources_
    int64_t no_address_index_ = -1;                      // kNoAddress's index, if it sent
    std::vector<IpAddress> sources_;                     // by index
    std::vector<Pkt> packets_;                           // the window's, in arrival order
    std::vector<uint32_t> packet_source_;                // packets_[i]'s source index
    // Reused by for_each_source(): packets grouped by source, each source's packet count and
    // its cursor into grouped_.
    mutable std::vector<Pkt> grouped_;
    mutable std::vector<uint32_t> group_count_;
    mutable std::vector<uint32_t> group_cursor_;
};

}  // namespace iotwatch

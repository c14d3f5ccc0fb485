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
#include <map>
#include <vector>

#include "capture/decoded_packet.h"

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
/// ends. Holds the window's packets (24 bytes each): meant for training and offline
/// classification runs, not for the always-on ingest path.
class DdosFeatureExtractor {
public:
    explicit DdosFeatureExtractor(int64_t window_s = 600, uint64_t min_packets = 5)
        : window_s_(window_s), min_packets_(min_packets) {}
    /// Adds a darknet packet; calls `out` for every source of a window that ended before it.
    void add(const DecodedPacket& p, const std::function<void(const SourceWindow&)>& out);
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
    void emit(const std::function<void(const SourceWindow&)>& out);

    int64_t window_s_;
    uint64_t min_packets_;
    int64_t window_start_ = INT64_MIN;
    std::map<IpAddress, std::vector<Pkt>> by_source_;
};

}  // namespace iotwatch

// Darknet: the monitored unused address space, as one or more sensors each with its own prefixes.
// Answers, per packet, "is this destination in the darknet, which sensor, and what is its dense
// index" — the index numbers every darknet address 0..size-1 (IPv4 only) so per-destination state
// can live in flat arrays instead of hash tables.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.h"
#include "core/prefix.h"

namespace iotwatch {

struct SensorConfig {
    std::string name;
    std::vector<Prefix> prefixes;
};

class Darknet {
public:
    /// Largest IPv4 darknet that gets dense destination indexes (2^24 addresses = a /8).
    static constexpr uint64_t kMaxDenseAddresses = 1ULL << 24;

    Darknet() = default;
    /// Throws ConfigError when prefixes overlap (within or across sensors) or a sensor has none.
    explicit Darknet(std::vector<SensorConfig> sensors);

    struct Match {
        uint32_t sensor = 0;     // index into sensors()
        uint64_t dense_index = 0;// valid when dense(); position of the address in the darknet
    };

    /// Match for `dst`, or nullopt when the destination is outside the darknet.
    std::optional<Match> lookup(const IpAddress& dst) const {
        if (dst.is_v4()) {
            const uint32_t a = dst.v4_value();
            for (const auto& r : v4_ranges_)
                if (a - r.first <= r.last - r.first) return Match{r.sensor, r.dense_base + (a - r.first)};
            return std::nullopt;
        }
        for (const auto& r : v6_ranges_)
            if (r.prefix.contains(dst)) return Match{r.sensor, 0};
        return std::nullopt;
    }

    const std::vector<SensorConfig>& sensors() const { return sensors_; }
    /// Total IPv4 addresses (the extrapolation base for IPv4 rates).
    uint64_t ipv4_size() const { return ipv4_size_; }
    /// True when every destination can be given a dense index (IPv4 only, <= kMaxDenseAddresses).
    bool dense() const { return v6_ranges_.empty() && ipv4_size_ <= kMaxDenseAddresses; }
    /// Number of dense indexes (ipv4_size when dense()).
    uint64_t dense_size() const { return dense() ? ipv4_size_ : 0; }
    bool empty() const { return v4_ranges_.empty() && v6_ranges_.empty(); }
    /// 2^32 / ipv4_size(): factor from darknet observations to the whole IPv4 space.
    double extrapolation_factor() const;
    /// "198.18.0.0/16 (sensor a), ..." for logs.
    std::string describe() const;

private:
    struct V4Range {
        uint32_t first, last;
        uint32_t sensor;
        uint64_t dense_base;
    };
    struct V6Range {
        Prefix prefix;
        uint32_t sensor;
    };
    std::vector<SensorConfig> sensors_;
    std::vector<V4Range> v4_ranges_;  // sorted by size, largest first (most packets match early)
    std::vector<V6Range> v6_ranges_;
    uint64_t ipv4_size_ = 0;
};

}  // namespace iotwatch

// RateLimiter: the survey's pacing, always on. Four limits, each checked before a new TCP
// connection is opened:
//   - global probes (new connections) per second,
//   - new connections per second per /24 (IPv6: per /64), so one subscriber network is never hammered,
//   - new connections per second per target address,
//   - credential attempts per device (address, port) over the whole campaign.
// Token buckets (burst = one second's worth, at least 1). Time is passed in (nanoseconds, any
// monotonic origin) so the limiter is deterministic under test. Per-/24 and per-target buckets
// that are full again are forgotten (prune()), so memory follows the connections in flight.
#pragma once
#include <cstdint>
#include <unordered_map>

#include "core/ip_address.h"

namespace iotwatch {

struct RateLimits {
    double global_per_s = 100;      // --rate
    double per_24_per_s = 5;        // --rate-per-24
    double per_target_per_s = 1;    // --rate-per-target
    uint32_t attempts_per_device = 10;  // --max-attempts
};

class RateLimiter {
public:
    /// Throws ConfigError naming the setting when a rate is not > 0.
    explicit RateLimiter(RateLimits limits);

    /// True (and the tokens are taken) when a new connection to `target` may open at `now_ns`.
    bool try_connect(const IpAddress& target, int64_t now_ns);
    /// Nanoseconds until try_connect(target) could succeed (0 = now).
    int64_t wait_ns(const IpAddress& target, int64_t now_ns);
    /// True when a device that already used `attempts_done` credential attempts may try another.
    bool may_attempt(uint32_t attempts_done) const { return attempts_done < limits_.attempts_per_device; }
    /// Drops buckets that have refilled completely (they carry no information).
    void prune(int64_t now_ns);
    const RateLimits& limits() const { return limits_; }
    size_t tracked() const { return per_24_.size() + per_target_.size(); }

private:
    struct Bucket {
        double tokens = 0;
        int64_t updated_ns = 0;
        bool initialised = false;
    };
    static void refill(Bucket& b, double rate, int64_t now_ns);
    static double burst(double rate) { return rate < 1 ? 1 : rate; }
    RateLimits limits_;
    Bucket global_;
    /// The network bucket's key: the /24 of an IPv4 address, the /64 of an IPv6 one (a subscriber).
    static uint64_t network_key(const IpAddress& a);
    /// The target bucket's key: the IPv4 address, or a hash of the IPv6 one (a collision only
    /// makes two targets share one, stricter, bucket).
    static uint64_t target_key(const IpAddress& a);
    std::unordered_map<uint64_t, Bucket> per_24_;
    std::unordered_map<uint64_t, Bucket> per_target_;
};

}  // namespace iotwatch

#include "survey/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace iotwatch {

RateLimiter::RateLimiter(RateLimits limits) : limits_(limits) {
    auto check = [](double v, const char* key) {
        if (!(v > 0) || !std::isfinite(v)) throw ConfigError(std::string(key) + ": must be a rate > 0 per second");
    };
    check(limits_.global_per_s, "--rate");
    check(limits_.per_24_per_s, "--rate-per-24");
    check(limits_.per_target_per_s, "--rate-per-target");
}

void RateLimiter::refill(Bucket& b, double rate, int64_t now_ns) {
    if (!b.initialised) {
        b.tokens = burst(rate);
        b.updated_ns = now_ns;
        b.initialised = true;
        return;
    }
    if (now_ns > b.updated_ns) {
        b.tokens = std::min(burst(rate), b.tokens + rate * double(now_ns - b.updated_ns) / 1e9);
        b.updated_ns = now_ns;
    }
}

uint64_t RateLimiter::network_key(const IpAddress& a) {
    return a.is_v4() ? uint64_t(a.v4_value() >> 8) : (a.hi() | (uint64_t(1) << 63));
}
uint64_t RateLimiter::target_key(const IpAddress& a) {
    return a.is_v4() ? uint64_t(a.v4_value()) : (a.hash() | (uint64_t(1) << 63));
}

bool RateLimiter::try_connect(const IpAddress& target, int64_t now_ns) {
    Bucket& g = global_;
    Bucket& n = per_24_[network_key(target)];
    Bucket& t = per_target_[target_key(target)];
    refill(g, limits_.global_per_s, now_ns);
    refill(n, limits_.per_24_per_s, now_ns);
    refill(t, limits_.per_target_per_s, now_ns);
    if (g.tokens < 1 || n.tokens < 1 || t.tokens < 1) return false;
    g.tokens -= 1;
    n.tokens -= 1;
    t.tokens -= 1;
    return true;
}

int64_t RateLimiter::wait_ns(const IpAddress& target, int64_t now_ns) {
    auto need = [&](Bucket& b, double rate) -> int64_t {
        refill(b, rate, now_ns);
        return b.tokens >= 1 ? 0 : int64_t(std::ceil((1 - b.tokens) / rate * 1e9));
    };
    return std::max({need(global_, limits_.global_per_s), need(per_24_[network_key(target)], limits_.per_24_per_s),
                      need(per_target_[target_key(target)], limits_.per_target_per_s)});
}

void RateLimiter::prune(int64_t now_ns) {
    auto sweep = [&](std::unordered_map<uint64_t, Bucket>& m, double rate) {
        for (auto it = m.begin(); it != m.end();) {
            refill(it->second, rate, now_ns);
            it = it->second.tokens >= burst(rate) ? m.erase(it) : std::next(it);
        }
    };
    sweep(per_24_, limits_.per_24_per_s);
    sweep(per_target_, limits_.per_target_per_s);
}

}  // namespace iotwatch

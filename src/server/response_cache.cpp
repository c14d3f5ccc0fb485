#include "server/response_cache.h"

#include <algorithm>

namespace iotwatch::server {

std::optional<std::string> ResponseCache::get(const std::string& key, Clock::time_point now) {
    if (!enabled()) return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (now - it->second.stored >= ttl_) {
        entries_.erase(it);
        return std::nullopt;
    }
    return it->second.body;
}

void ResponseCache::put(const std::string& key, std::string body, Clock::time_point now) {
    if (!enabled() || max_entries_ == 0) return;
    std::lock_guard lock(mu_);
    if (entries_.size() >= max_entries_ && !entries_.count(key)) {
        // Evict the oldest answer (linear, but the cache is small and this is off the hit path).
        auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                       [](const auto& a, const auto& b) { return a.second.stored < b.second.stored; });
        entries_.erase(oldest);
    }
    entries_[key] = {std::move(body), now};
}

}  // namespace iotwatch::server

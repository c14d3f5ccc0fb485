// ResponseCache: recent answers of the aggregate endpoints (summary, series, top-N), keyed by
// request (path, parameters and who asked: an organisation's summary differs from the admin's).
// The telescope's bins change at most once per closed bin (minutes), so serving an answer up to
// `ttl` seconds old costs nothing in freshness and saves the store the 30-50 ms aggregate queries
// that would otherwise cap the summary endpoints at a few dozen requests/s. Alert data is never
// cached: each of its reads must reach the access log.
//
// Thread-safe (its own mutex, never held while the store is queried).
#pragma once
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace iotwatch::server {

class ResponseCache {
public:
    using Clock = std::chrono::steady_clock;
    /// ttl 0 disables the cache; at most `max_entries` answers are kept (the oldest is evicted).
    ResponseCache(std::chrono::milliseconds ttl, size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {}

    std::optional<std::string> get(const std::string& key, Clock::time_point now = Clock::now());
    void put(const std::string& key, std::string body, Clock::time_point now = Clock::now());
    bool enabled() const { return ttl_.count() > 0; }

private:
    struct Entry {
        std::string body;
        Clock::time_point stored;
    };
    std::chrono::milliseconds ttl_;
    size_t max_entries_;
    std::mutex mu_;
    std::map<std::string, Entry> entries_;
};

}  // namespace iotwatch::server

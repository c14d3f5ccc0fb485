#include "server/live_feed.h"

#include <chrono>
#include <filesystem>
#include <sstream>

#include "capture/decoded_packet.h"
#include "capture/packet_source.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "telescope/packet_classifier.h"

namespace iotwatch::server {
namespace {

constexpr size_t kBufferedEvents = 1024;
using Clock = std::chrono::steady_clock;

const char* proto_name(uint8_t p) {
    switch (p) {
    case kProtoTcp: return "tcp";
    case kProtoUdp: return "udp";
    case kProtoIcmp: return "icmp";
    case kProtoIcmp6: return "icmp6";
    default: return "other";
    }
}

/// The capture's files in replay order.
std::vector<std::string> capture_files(const std::string& path) {
    if (std::filesystem::is_directory(path)) return list_capture_directory(path);
    return {path};
}

}  // namespace

LiveFeed::LiveFeed(Options options) : options_(std::move(options)) {
    if (!(options_.speed > 0) || options_.speed > 1e6) throw ConfigError("--replay-speed must be in (0, 1000000]");
    if (options_.max_events_per_second == 0 || options_.max_events_per_second > 10000)
        throw ConfigError("--live-rate must be in [1, 10000]");
    if (capture_files(options_.capture).empty()) throw ConfigError("--replay " + options_.capture + ": no capture files");
    open_capture_file(capture_files(options_.capture).front());  // fail now, not in the thread
    if (!options_.geo.location_db.empty() || !options_.geo.asn_db.empty())
        geo_ = std::make_unique<GeoEnricher>(options_.geo);
}

LiveFeed::~LiveFeed() { stop(); }

void LiveFeed::start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void LiveFeed::stop() {
    stopping_.store(true);
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

uint64_t LiveFeed::last_seq() {
    std::lock_guard lock(mu_);
    return next_seq_ - 1;
}

void LiveFeed::publish(const std::string& type, std::string json) {
    {
        std::lock_guard lock(mu_);
        events_.push_back({next_seq_++, type, std::move(json)});
        if (events_.size() > kBufferedEvents) events_.pop_front();
    }
    cv_.notify_all();
}

std::vector<LiveFeed::Event> LiveFeed::wait_events(uint64_t after, size_t max, int timeout_ms) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                 [&] { return stopping_.load() || (!events_.empty() && events_.back().seq > after); });
    std::vector<Event> out;
    if (stopping_.load()) return out;
    for (const auto& e : events_) {
        if (e.seq <= after) continue;
        out.push_back(e);
        if (out.size() == max) break;
    }
    return out;
}

void LiveFeed::run() {
    uint64_t class_counts[kClassCount] = {};
    uint64_t shown_this_second = 0, total_this_second = 0;
    auto second_start = Clock::now();
    int64_t last_capture_ts = 0;
    // Ends one wall second: publishes the unsampled counts and resets the sampling budget.
    auto flush_second = [&] {
        std::ostringstream os;
        JsonWriter w(os);
        w.begin_object();
        w.key("capture_ts").value(last_capture_ts / 1'000'000);
        w.key("packets").value(total_this_second);
        w.key("shown").value(shown_this_second);
        w.key("classes").begin_object();
        for (uint8_t c = 0; c < kClassCount; ++c) w.key(packet_class_name(c)).value(class_counts[c]);
        w.end_object();
        w.end_object();
        publish("stats", os.str());
        for (auto& c : class_counts) c = 0;
        shown_this_second = total_this_second = 0;
        second_start = Clock::now();
    };

    try {
        do {
            for (const auto& file : capture_files(options_.capture)) {
                auto source = open_capture_file(file);
                RawPacket raw;
                DecodedPacket p;
                int64_t base_ts = INT64_MIN;
                auto base_wall = Clock::now();
                while (!stopping_.load() && source->next(raw)) {
                    decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, p);
                    if (p.ip_version == 0) continue;
                    if (!options_.darknet.empty()) {
                        bool in = false;
                        for (const auto& pre : options_.darknet) in = in || pre.contains(p.dst);
                        if (!in) continue;
                    }
                    // Pacing: wall time follows capture time / speed. A gap of more than 10 s of
                    // wall time (quiet hours, or a new file) is skipped rather than waited out.
                    if (base_ts == INT64_MIN) base_ts = raw.ts_ns, base_wall = Clock::now();
                    auto due = base_wall + std::chrono::nanoseconds(int64_t(double(raw.ts_ns - base_ts) / options_.speed));
                    if (due - Clock::now() > std::chrono::seconds(10)) base_ts = raw.ts_ns, base_wall = due = Clock::now();
                    while (!stopping_.load() && Clock::now() < due) {
                        if (Clock::now() - second_start >= std::chrono::seconds(1)) flush_second();
                        std::this_thread::sleep_until(std::min(due, Clock::now() + std::chrono::milliseconds(100)));
                    }
                    if (Clock::now() - second_start >= std::chrono::seconds(1)) flush_second();
                    last_capture_ts = raw.ts_ns;
                    replayed_.fetch_add(1, std::memory_order_relaxed);
                    const PacketClass cls = classify_packet(p);
                    ++class_counts[cls];
                    ++total_this_second;
                    if (shown_this_second >= options_.max_events_per_second) continue;
                    ++shown_this_second;
                    std::ostringstream os;
                    JsonWriter w(os);
                    w.begin_object();
                    w.key("ts").value(raw.ts_ns / 1'000'000);
                    w.key("cls").value(packet_class_name(cls));
                    w.key("proto").value(proto_name(p.protocol));
                    if (p.has_l4 && (p.protocol == kProtoTcp || p.protocol == kProtoUdp)) w.key("dport").value(unsigned(p.dport));
                    if (geo_) {
                        const GeoInfo g = geo_->lookup(p.src);
                        if (!g.country.empty()) w.key("country").value(g.country);
                        if (g.has_location) {
                            w.key("lat").value(g.latitude);
                            w.key("lon").value(g.longitude);
                        }
                    }
                    w.end_object();
                    publish("packet", os.str());
                }
                if (stopping_.load()) break;
            }
        } while (options_.loop && !stopping_.load());
    } catch (const std::exception& e) {
        // A corrupt record ends the replay; the stream says so instead of going silent.
        std::ostringstream os;
        JsonWriter(os).begin_object().key("error").value(std::string(e.what())).end_object();
        publish("error", os.str());
    }
    if (!stopping_.load()) flush_second();
}

}  // namespace iotwatch::server

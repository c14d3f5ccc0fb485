#include "server/live_feed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "capture/decoded_packet.h"
#include "capture/packet_source.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "pipeline/live_event.h"
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

/// A UDP socket bound to HOST:PORT on a loopback address (the events carry source addresses).
int bind_loopback_udp(const std::string& where) {
    const auto colon = where.rfind(':');
    std::string host = colon == std::string::npos ? "" : where.substr(0, colon);
    const std::string port = colon == std::string::npos ? "" : where.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || p <= 0 || p > 65535) throw ConfigError("--live-from '" + where + "': expected HOST:PORT");
    sockaddr_storage ss{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1 && (ntohl(v4->sin_addr.s_addr) >> 24) == 127) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(uint16_t(p));
        len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1 && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(uint16_t(p));
        len = sizeof(sockaddr_in6);
    } else {
        throw ConfigError("--live-from '" + where + "': HOST must be a loopback address (127.0.0.1 or ::1)");
    }
    const int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        const int e = errno;
        if (fd >= 0) ::close(fd);
        throw ConfigError("--live-from '" + where + "': " + std::strerror(e));
    }
    return fd;
}

}  // namespace

LiveFeed::LiveFeed(Options options) : options_(std::move(options)) {
    if (!(options_.speed > 0) || options_.speed > 1e6) throw ConfigError("--replay-speed must be in (0, 1000000]");
    if (options_.max_events_per_second == 0 || options_.max_events_per_second > 10000)
        throw ConfigError("--live-rate must be in [1, 10000]");
    if (!options_.listen_udp.empty()) {
        udp_fd_ = bind_loopback_udp(options_.listen_udp);
    } else {
        if (capture_files(options_.capture).empty()) throw ConfigError("--replay " + options_.capture + ": no capture files");
        open_capture_file(capture_files(options_.capture).front());  // fail now, not in the thread
    }
    if (!options_.geo.location_db.empty() || !options_.geo.asn_db.empty())
        geo_ = std::make_unique<GeoEnricher>(options_.geo);
}

LiveFeed::~LiveFeed() {
    stop();
    if (udp_fd_ >= 0) ::close(udp_fd_);
}

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

    // One packet: counted; published when this second's budget allows.
    auto emit = [&](int64_t ts_ns, uint8_t cls, uint8_t protocol, bool has_dport, uint16_t dport, const IpAddress& src) {
        ++class_counts[cls];
        ++total_this_second;
        if (shown_this_second >= options_.max_events_per_second) return;
        ++shown_this_second;
        std::ostringstream os;
        JsonWriter w(os);
        w.begin_object();
        w.key("ts").value(ts_ns / 1'000'000);
        w.key("cls").value(packet_class_name(cls));
        w.key("proto").value(proto_name(protocol));
        if (has_dport) w.key("dport").value(unsigned(dport));
        if (geo_) {
            const GeoInfo g = geo_->lookup(src);
            if (!g.country.empty()) w.key("country").value(g.country);
            if (g.has_location) {
                w.key("lat").value(g.latitude);
                w.key("lon").value(g.longitude);
            }
        }
        w.end_object();
        publish("packet", os.str());
    };
    if (udp_fd_ >= 0) {
        receive(
            [&](const LiveEvent& e) {
                last_capture_ts = e.ts_ns;
                replayed_.fetch_add(1, std::memory_order_relaxed);
                emit(e.ts_ns, e.cls, e.protocol, e.has_dport, e.dport, e.src);
            },
            [&] {
                if (Clock::now() - second_start >= std::chrono::seconds(1)) flush_second();
            });
        return;
    }
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
                    const bool ports = p.has_l4 && (p.protocol == kProtoTcp || p.protocol == kProtoUdp);
                    emit(raw.ts_ns, classify_packet(p), p.protocol, ports, p.dport, p.src);
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

namespace iotwatch::server {

template <typename Emit, typename Tick>
void LiveFeed::receive(Emit&& emit, Tick&& tick) {
    uint8_t buf[2048];
    while (!stopping_.load()) {
        pollfd pfd{udp_fd_, POLLIN, 0};
        const int n = ::poll(&pfd, 1, 100);
        tick();
        if (n <= 0) continue;
        for (;;) {  // drain what is queued
            const ssize_t got = ::recv(udp_fd_, buf, sizeof buf, MSG_DONTWAIT);
            if (got < 0) break;
            if (auto e = LiveEvent::decode(buf, size_t(got)))
                emit(*e);
            else
                malformed_.fetch_add(1, std::memory_order_relaxed);
            tick();
        }
    }
}

}  // namespace iotwatch::server

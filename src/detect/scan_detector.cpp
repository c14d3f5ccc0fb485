#include "detect/scan_detector.h"

#include "core/byte_buffer.h"

namespace iotwatch {

const char* fingerprint_name(uint8_t fp) {
    static const char* const kNames[kFingerprintCount] = {"mirai", "zmap", "masscan", "large_scanner"};
    return fp < kFingerprintCount ? kNames[fp] : "unknown";
}

ScanDetector::ScanDetector(const Darknet& darknet, ScanThresholds thresholds)
    : darknet_(darknet), thresholds_(thresholds), open_(Key{~0ULL, ~0ULL, ~0u}, 1024) {}

void ScanDetector::observe(const DecodedPacket& p, uint64_t dense_index, std::vector<ScanEvent>& out) {
    if (p.status != DecodeStatus::kOk && p.status != DecodeStatus::kTruncatedL4) return;
    uint32_t proto_port;
    if (is_bare_syn(p)) {
        proto_port = (uint32_t(kProtoTcp) << 16) | p.dport;
    } else if (p.protocol == kProtoUdp && p.has_l4 && !p.is_later_fragment && p.sport != 53) {
        proto_port = (uint32_t(kProtoUdp) << 16) | p.dport;
    } else if ((p.protocol == kProtoIcmp && p.has_l4 && p.icmp_type == 8) ||
               (p.protocol == kProtoIcmp6 && p.has_l4 && p.icmp_type == 128)) {
        proto_port = uint32_t(p.protocol) << 16;
    } else {
        return;
    }
    const Key key{p.src.hi(), p.src.lo(), proto_port};
    bool inserted;
    State& s = open_.find_or_insert(key, inserted);
    if (s.live && p.ts_ns - s.last_ns > thresholds_.idle_timeout_s * 1'000'000'000LL) {
        close(key, s, out);  // the earlier scan went idle; this probe starts a new one
    }
    if (!s.live) {
        s = State{};
        s.live = true;
        s.start_ns = s.last_ns = p.ts_ns;
    }
    if (p.ts_ns > s.last_ns) s.last_ns = p.ts_ns;
    if (p.ts_ns < s.start_ns) s.start_ns = p.ts_ns;
    ++s.packets;
    const uint8_t bits = fingerprint_bits(p);
    for (int f = 0; f < kFingerprintCount; ++f) s.fp[f] += (bits >> f) & 1;
    if (darknet_.dense())
        s.destinations.add(dense_index, darknet_.dense_size());
    else
        s.destinations.add(p.dst.hash(), 0);
}

bool ScanDetector::qualifying_event(const Key& k, const State& s, ScanEvent& e) const {
    const double seconds = std::max(1.0, double(s.last_ns - s.start_ns) / 1e9);
    const double rate = double(s.packets) / seconds * darknet_.extrapolation_factor();
    if (s.destinations.count() < thresholds_.min_destinations || rate < thresholds_.min_rate_pps) return false;
    e = ScanEvent{};
    e.src = IpAddress::from_halves(k.hi, k.lo);
    e.protocol = static_cast<uint8_t>(k.proto_port >> 16);
    e.port = static_cast<uint16_t>(k.proto_port & 0xFFFF);
    e.start_ns = s.start_ns;
    e.end_ns = s.last_ns;
    e.packets = s.packets;
    e.destinations = s.destinations.count();
    e.rate_pps = rate;
    for (int f = 0; f < kFingerprintCount; ++f) e.fingerprint_packets[f] = s.fp[f];
    return true;
}

void ScanDetector::close(const Key& k, State& s, std::vector<ScanEvent>& out) {
    ScanEvent e;
    if (qualifying_event(k, s, e)) out.push_back(e);
    s = State{};  // keeps the slot (no tombstones); a later probe reopens it
}

void ScanDetector::open_events(std::vector<ScanEvent>& out) const {
    // Lowest rate a scan continued by probes at most idle_timeout_s apart can fall to.
    const double floor_rate = darknet_.extrapolation_factor() / double(std::max<int64_t>(1, thresholds_.idle_timeout_s));
    if (floor_rate < thresholds_.min_rate_pps) return;
    open_.for_each([&](const Key& k, const State& s) {
        ScanEvent e;
        if (s.live && qualifying_event(k, s, e)) out.push_back(e);
    });
}

void ScanDetector::expire(int64_t now_ns, std::vector<ScanEvent>& out) {
    const int64_t idle = thresholds_.idle_timeout_s * 1'000'000'000LL;
    size_t live = 0;
    open_.for_each([&](const Key& k, State& s) {
        if (!s.live) return;
        if (now_ns - s.last_ns > idle)
            close(k, s, out);
        else
            ++live;
    });
    // Closed slots are kept as empty states; rebuild the table when most of it is dead weight.
    if (open_.size() > 4096 && live * 4 < open_.size()) {
        FlatTable<Key, State, KeyHash> fresh(Key{~0ULL, ~0ULL, ~0u}, live * 2 + 16);
        open_.for_each([&](const Key& k, State& s) {
            if (s.live) fresh[k] = std::move(s);
        });
        open_ = std::move(fresh);
    }
}

void ScanDetector::serialize(ByteWriter& w) const {
    uint64_t live = 0;
    open_.for_each([&](const Key&, const State& s) { live += s.live; });
    w.put(live);
    open_.for_each([&](const Key& k, const State& s) {
        if (!s.live) return;
        w.put(k.hi);
        w.put(k.lo);
        w.put(k.proto_port);
        w.put(s.start_ns);
        w.put(s.last_ns);
        w.put(s.packets);
        for (auto f : s.fp) w.put(f);
        save_tracker(w, s.destinations);
    });
}

void ScanDetector::restore(ByteReader& r) {
    open_.clear();
    const uint64_t n = r.get<uint64_t>();
    for (uint64_t i = 0; i < n; ++i) {
        Key k{r.get<uint64_t>(), r.get<uint64_t>(), r.get<uint32_t>()};
        if (k == Key{~0ULL, ~0ULL, ~0u}) r.fail("bad scan key");
        State& s = open_[k];
        s.live = true;
        s.start_ns = r.get<int64_t>();
        s.last_ns = r.get<int64_t>();
        s.packets = r.get<uint64_t>();
        for (auto& f : s.fp) f = r.get<uint64_t>();
        load_tracker(r, s.destinations, universe());
    }
}

void ScanDetector::finish(std::vector<ScanEvent>& out) {
    open_.for_each([&](const Key& k, State& s) {
        if (s.live) close(k, s, out);
    });
    open_.clear();
}

}  // namespace iotwatch

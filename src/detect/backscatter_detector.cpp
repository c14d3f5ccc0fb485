#include "detect/backscatter_detector.h"

#include <algorithm>

#include "core/byte_buffer.h"
#include "core/timestamp.h"

namespace iotwatch {

bool backscatter_victim(const DecodedPacket& p, IpAddress& victim) {
    if (!p.has_l4 || p.is_later_fragment) return false;
    switch (p.protocol) {
    case kProtoTcp:
        if ((p.tcp_flags & kTcpRst) || (p.tcp_flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck)) {
            victim = p.src;
            return true;
        }
        return false;
    case kProtoUdp:
        if (p.sport != 53) return false;
        victim = p.src;
        return true;
    case kProtoIcmp:
        switch (p.icmp_type) {
        case 0: case 14: case 16: case 18:  // replies to spoofed requests
            victim = p.src;
            return true;
        case 3: case 4: case 5: case 11: case 12:  // errors: the victim is the quoted destination
            if (!p.has_quoted) return false;
            victim = p.quoted.dst;
            return true;
        default:
            return false;
        }
    case kProtoIcmp6:
        // ICMPv6 echo reply (129) from the victim; errors (1-4) quote the probe to the victim.
        if (p.icmp_type == 129) {
            victim = p.src;
            return true;
        }
        if (p.icmp_type >= 1 && p.icmp_type <= 4 && p.has_quoted) {
            victim = p.quoted.dst;
            return true;
        }
        return false;
    default:
        return false;
    }
}

BackscatterDetector::BackscatterDetector(const Darknet& darknet, BackscatterThresholds t)
    : darknet_(darknet), t_(t), vectors_(Key{~0ULL, ~0ULL, ~0u}, 256) {}

void BackscatterDetector::observe(const DecodedPacket& p, uint64_t dense_index, std::vector<DosAttack>& out) {
    IpAddress victim;
    if (!backscatter_victim(p, victim)) return;
    const Key key{victim.hi(), victim.lo(), p.protocol};
    bool inserted;
    Vector& v = vectors_.find_or_insert(key, inserted);
    if (v.live && p.ts_ns - v.last_ns > t_.expiry_s * 1'000'000'000LL) close(key, v, out);
    if (!v.live) {
        v = Vector{};
        v.live = true;
        v.start_ns = v.last_ns = p.ts_ns;
    }
    if (p.ts_ns > v.last_ns) v.last_ns = p.ts_ns;
    ++v.packets;
    const int64_t slot = std::max<int64_t>(0, (p.ts_ns - v.start_ns) / (t_.slide_s * 1'000'000'000LL));
    if (slot < (1 << 22)) {  // ~1.3 years of 10 s slots: beyond that the window is not tracked
        if (v.slots.size() <= size_t(slot)) v.slots.resize(size_t(slot) + 1, 0);
        ++v.slots[size_t(slot)];
    }
    if (darknet_.dense())
        v.attackers.add(dense_index, darknet_.dense_size());
    else
        v.attackers.add(p.dst.hash(), 0);
    if (p.protocol == kProtoTcp || p.protocol == kProtoUdp) {
        v.attacker_ports.add(p.dport, 65536);
        if (v.victim_ports.size() < 64 || v.victim_ports.count(p.sport)) ++v.victim_ports[p.sport];
    } else if (p.has_quoted && p.quoted.has_ports) {
        // A quote cut before the ports names no port: counting it as port 0 would invent one.
        v.attacker_ports.add(p.quoted.sport, 65536);
        if (v.victim_ports.size() < 64 || v.victim_ports.count(p.quoted.dport)) ++v.victim_ports[p.quoted.dport];
    }
}

bool BackscatterDetector::qualifying_attack(const Key& k, const Vector& v, DosAttack& a) const {
    const size_t per_window = static_cast<size_t>(std::max<int64_t>(1, t_.window_s / t_.slide_s));
    uint64_t best = 0, sum = 0;
    for (size_t i = 0; i < v.slots.size(); ++i) {
        sum += v.slots[i];
        if (i >= per_window) sum -= v.slots[i - per_window];
        best = std::max(best, sum);
    }
    const int64_t duration_ns = v.last_ns - v.start_ns;
    if (v.packets < t_.min_packets || duration_ns < t_.min_duration_s * 1'000'000'000LL || best < t_.min_window_packets)
        return false;
    a = DosAttack{};
    a.victim = IpAddress::from_halves(k.hi, k.lo);
    a.protocol = static_cast<uint8_t>(k.protocol);
    a.start_ns = v.start_ns;
    a.end_ns = v.last_ns;
    a.packets = v.packets;
    a.max_window_packets = best;
    a.rate_pps = double(v.packets) / std::max(1.0, double(duration_ns) / 1e9) * darknet_.extrapolation_factor();
    a.attackers = v.attackers.count();
    a.attacker_ports = v.attacker_ports.count();
    a.victim_ports.assign(v.victim_ports.begin(), v.victim_ports.end());
    std::sort(a.victim_ports.begin(), a.victim_ports.end(),
              [](auto& x, auto& y) { return x.second != y.second ? x.second > y.second : x.first < y.first; });
    if (a.victim_ports.size() > 5) a.victim_ports.resize(5);
    return true;
}

void BackscatterDetector::close(const Key& k, Vector& v, std::vector<DosAttack>& out) {
    DosAttack a;
    if (qualifying_attack(k, v, a)) out.push_back(std::move(a));
    v = Vector{};
}

void BackscatterDetector::open_attacks(std::vector<DosAttack>& out) const {
    vectors_.for_each([&](const Key& k, const Vector& v) {
        DosAttack a;
        if (v.live && qualifying_attack(k, v, a)) out.push_back(std::move(a));
    });
}

void BackscatterDetector::expire(int64_t now_ns, std::vector<DosAttack>& out) {
    size_t live = 0;
    vectors_.for_each([&](const Key& k, Vector& v) {
        if (v.live && now_ns - v.last_ns > t_.expiry_s * 1'000'000'000LL) close(k, v, out);
        live += v.live;
    });
    // A closed vector stays in the table as a default Vector, as if its key had never been seen,
    // for its victim's return; but every interval's sweep reads every entry, and over a day the
    // closed ones (most victims send a few packets) came to outnumber the live ones. When they
    // are three in four, the table is rebuilt with the live ones only: a returning victim then
    // gets a fresh default Vector, the same thing.
    if (vectors_.size() > 4096 && live * 4 < vectors_.size())
        vectors_.retain_if([](const Key&, const Vector& v) { return v.live; });
}

void BackscatterDetector::serialize(ByteWriter& w) const {
    uint64_t live = 0;
    vectors_.for_each([&](const Key&, const Vector& v) { live += v.live; });
    w.put(live);
    vectors_.for_each([&](const Key& k, const Vector& v) {
        if (!v.live) return;
        w.put(k.hi);
        w.put(k.lo);
        w.put(k.protocol);
        w.put(v.start_ns);
        w.put(v.last_ns);
        w.put(v.packets);
        w.put_vector(v.slots);
        save_tracker(w, v.attackers);
        save_tracker(w, v.attacker_ports);
        w.put<uint64_t>(v.victim_ports.size());
        for (const auto& [port, n] : v.victim_ports) {
            w.put(port);
            w.put(n);
        }
    });
}

void BackscatterDetector::restore(ByteReader& r) {
    vectors_.clear();
    const uint64_t n = r.get<uint64_t>();
    const uint64_t universe = darknet_.dense() ? darknet_.dense_size() : 0;
    for (uint64_t i = 0; i < n; ++i) {
        Key k{r.get<uint64_t>(), r.get<uint64_t>(), r.get<uint32_t>()};
        if (k == Key{~0ULL, ~0ULL, ~0u}) r.fail("bad attack key");
        Vector& v = vectors_[k];
        v.live = true;
        v.start_ns = r.get<int64_t>();
        v.last_ns = r.get<int64_t>();
        if (!timestamp_in_range(v.start_ns) || !timestamp_in_range(v.last_ns) || v.start_ns > v.last_ns)
            r.fail("event times out of range or reversed");
        v.packets = r.get<uint64_t>();
        v.slots = r.get_vector<uint32_t>();
        if (v.slots.size() > (1u << 22)) r.fail("attack window slots out of range");
        load_tracker(r, v.attackers, universe);
        load_tracker(r, v.attacker_ports, 65536);
        const uint64_t np = r.get<uint64_t>();
        if (np > 65536) r.fail("too many victim ports");
        for (uint64_t j = 0; j < np; ++j) {
            const uint16_t port = r.get<uint16_t>();
            v.victim_ports[port] = r.get<uint64_t>();
        }
    }
}

void BackscatterDetector::finish(std::vector<DosAttack>& out) {
    vectors_.for_each([&](const Key& k, Vector& v) {
        if (v.live) close(k, v, out);
    });
    vectors_.clear();
}

}  // namespace iotwatch

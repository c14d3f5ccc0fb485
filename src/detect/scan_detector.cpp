#include "detect/scan_detector.h"

#include <algorithm>

#include "core/byte_buffer.h"
#include "core/radix_sort.h"
#include "core/timestamp.h"

namespace iotwatch {

const char* fingerprint_name(uint8_t fp) {
    static const char* const kNames[kFingerprintCount] = {"mirai", "zmap", "masscan", "large_scanner"};
    return fp < kFingerprintCount ? kNames[fp] : "unknown";
}

namespace {

constexpr size_t kMaxPending = size_t(1) << 20;  // 8 MB of log: applied early past this

}  // namespace

ScanDetector::ScanDetector(const Darknet& darknet, ScanThresholds thresholds)
    : darknet_(darknet), thresholds_(thresholds), ids_(kNoKey, 1024) {}

bool ScanDetector::probe_key(const DecodedPacket& p, uint32_t& proto_port) {
    if (p.status != DecodeStatus::kOk && p.status != DecodeStatus::kTruncatedL4) return false;
    if (is_bare_syn(p)) {
        proto_port = (uint32_t(kProtoTcp) << 16) | p.dport;
    } else if (p.protocol == kProtoUdp && p.has_l4 && !p.is_later_fragment && p.sport != 53) {
        proto_port = (uint32_t(kProtoUdp) << 16) | p.dport;
    } else if ((p.protocol == kProtoIcmp && p.has_l4 && p.icmp_type == 8) ||
               (p.protocol == kProtoIcmp6 && p.has_l4 && p.icmp_type == 128)) {
        proto_port = uint32_t(p.protocol) << 16;
    } else {
        return false;
    }
    return true;
}

void ScanDetector::prefetch(const DecodedPacket& p, int stage) const {
    uint32_t proto_port;
    if (!probe_key(p, proto_port)) return;
    const Key key{p.src.hi(), p.src.lo(), proto_port};
    if (stage == 0) {
        ids_.prefetch(key);
        return;
    }
    if (const uint32_t* id = ids_.find(key)) {
        prefetch_state(*id);
    }
}

void ScanDetector::prefetch_hinted(const DecodedPacket& p, uint64_t source_hint) const {
    uint32_t proto_port;
    if (!probe_key(p, proto_port)) return;
    ++prefetched_probes_;
    const uint32_t index = hinted_index(source_hint, proto_port);
    if (index == UINT32_MAX) {
        const Key key{p.src.hi(), p.src.lo(), proto_port};
        ids_.prefetch(key);
        if (late_tail_ - late_head_ == kLateKeys) ++late_head_;
        late_[late_tail_++ % kLateKeys] = LateKey{key, prefetched_probes_};
        return;
    }
    prefetch_state(index);
}

void ScanDetector::observe(const DecodedPacket& p, uint64_t dense_index, std::vector<ScanEvent>& out,
                           uint64_t* source_hint) {
    uint32_t proto_port;
    if (!probe_key(p, proto_port)) return;
    const Key key{p.src.hi(), p.src.lo(), proto_port};
    ++observed_probes_;
    while (late_head_ != late_tail_) {
        const LateKey& late = late_[late_head_ % kLateKeys];
        if (late.probe > observed_probes_ + kLateAhead) break;  // its slot may still be on its way
        if (late.probe > observed_probes_)
            if (const uint32_t* id = ids_.find(late.key)) prefetch_state(*id);
        ++late_head_;
    }
    uint32_t index = source_hint ? hinted_index(*source_hint, proto_port) : UINT32_MAX;
    if (index == UINT32_MAX || !states_[index].is(key)) {
        bool inserted;
        uint32_t& id = ids_.find_or_insert(key, inserted);
        if (inserted) {
            id = static_cast<uint32_t>(states_.size());
            states_.push_back(State::of(key));
            runs_.emplace_back();
        }
        index = id;
        if (source_hint) {
            // A hint of the source's usual port survives a few probes to another (a Mirai bot
            // sends one in ten to 2323, the rest to 23): it is replaced once its confidence,
            // raised by each probe it names, is spent. A stale hint of this port is replaced.
            const uint64_t confidence = *source_hint >> kHintConfidenceShift & kHintConfidenceMax;
            if (confidence > 0 && (*source_hint >> kHintPortShift) != proto_port)
                *source_hint -= uint64_t(1) << kHintConfidenceShift;
            else
                *source_hint = uint64_t(proto_port) << kHintPortShift | (index + 1);
        }
    } else if ((*source_hint >> kHintConfidenceShift & kHintConfidenceMax) < kHintConfidenceMax) {
        *source_hint += uint64_t(1) << kHintConfidenceShift;  // (a hit: the hint was given)
    }
    State& s = states_[index];
    if (s.has(State::kLive) && p.ts_ns - s.last_ns > thresholds_.idle_timeout_s * 1'000'000'000LL) {
        // Its probes are normally applied already (an interval end passed since): applying the
        // whole log for every returning key was a fifth of the run on the benchmark capture.
        if (s.last_ns >= min_pending_ns_) apply_pending();  // (else none of its probes is logged)
        close(index, out);  // the earlier scan went idle; this probe starts a new one
    }
    if (!s.has(State::kLive)) {
        s.set(State::kLive);
        s.start_ns = s.last_ns = p.ts_ns;
    }
    if (p.ts_ns > s.last_ns) s.last_ns = p.ts_ns;
    if (p.ts_ns < s.start_ns) s.start_ns = p.ts_ns;
    ++s.packets;
    const uint8_t bits = fingerprint_bits(p);
    for (int f = 0; f < kFingerprintCount; ++f) s.fp[f] += ((bits >> f) & 1) & (s.fp[f] != UINT32_MAX);
    if (darknet_.dense()) {
        // A scan's first destination stays in its state (most scans are a single probe): no
        // log entry to sort and apply, no heap block for a one-value set, no look at runs_.
        if (s.packets == 1 && dense_index <= UINT32_MAX && !s.has(State::kHeld | State::kHasRuns)) {
            s.held = static_cast<uint32_t>(dense_index);
            s.set(State::kHeld);
            return;
        }
        // The second probe logs the first's destination too: the log then has all of them, and
        // applying it touches only the sets, not the states.
        if (s.has(State::kHeld)) {
            pending_.push_back(uint64_t(index) << 32 | s.held);
            s.clear(State::kHeld);
        }
        pending_.push_back(uint64_t(index) << 32 | dense_index);
        s.set(State::kHasRuns);
        if (p.ts_ns < min_pending_ns_) min_pending_ns_ = p.ts_ns;
        if (pending_.size() >= kMaxPending) apply_pending();
    } else {
        runs_of(index).add(p.dst.hash(), 0);
    }
}

DestinationRuns& ScanDetector::runs_of(uint32_t index) const {
    State& s = states_[index];
    DestinationRuns& runs = runs_[index];
    if (s.has(State::kHeld)) {
        if (!runs.hold(s.held)) runs.add(s.held, universe());  // (runs is empty when a value is held)
        s.clear(State::kHeld);
    }
    s.set(State::kHasRuns);
    return runs;
}

void ScanDetector::apply_pending() const {
    if (pending_.empty()) return;
    radix_sort(pending_, scratch_, [](uint64_t k) { return k; });
    const uint64_t u = universe();
    uint64_t prev = ~0ULL;
    for (uint64_t x : pending_) {  // per state, its interval's destinations ascending: one append burst
        if (x == prev) continue;   // the same probe destination again
        prev = x;
        runs_[x >> 32].add(x & 0xFFFFFFFFu, u);  // (observe() set the state's kHasRuns)
    }
    pending_.clear();
    min_pending_ns_ = INT64_MAX;
}

bool ScanDetector::qualifying_event(uint32_t index, ScanEvent& e) const {
    const State& s = states_[index];
    const double seconds = std::max(1.0, double(s.last_ns - s.start_ns) / 1e9);
    const double rate = double(s.packets) / seconds * darknet_.extrapolation_factor();
    const uint64_t upper_bound = s.has(State::kHeld) + (s.has(State::kHasRuns) ? runs_[index].upper_bound() : 0);
    if (rate < thresholds_.min_rate_pps || upper_bound < thresholds_.min_destinations) return false;
    const uint64_t destinations = runs_of(index).count(universe());  // exact: compacts
    if (destinations < thresholds_.min_destinations) return false;
    const Key key = s.key();
    e = ScanEvent{};
    e.src = IpAddress::from_halves(key.hi, key.lo);
    e.protocol = static_cast<uint8_t>(key.proto_port >> 16);
    e.port = static_cast<uint16_t>(key.proto_port & 0xFFFF);
    e.start_ns = s.start_ns;
    e.end_ns = s.last_ns;
    e.packets = s.packets;
    e.destinations = destinations;
    e.rate_pps = rate;
    for (int f = 0; f < kFingerprintCount; ++f) e.fingerprint_packets[f] = s.fp[f];
    return true;
}

// Callers apply the pending log first: a closing state's count must be complete, and its index
// may be reused by the same key at once.
void ScanDetector::close(uint32_t index, std::vector<ScanEvent>& out) {
    ScanEvent e;
    if (qualifying_event(index, e)) out.push_back(e);
    State& s = states_[index];
    if (s.has(State::kHasRuns)) runs_[index] = DestinationRuns{};
    s = State::of(s.key());  // keeps the slot and the index (no tombstones); a later probe reopens it
}

void ScanDetector::open_events(std::vector<ScanEvent>& out) const {
    // Lowest rate a scan continued by probes at most idle_timeout_s apart can fall to.
    const double floor_rate = darknet_.extrapolation_factor() / double(std::max<int64_t>(1, thresholds_.idle_timeout_s));
    if (floor_rate < thresholds_.min_rate_pps) return;
    apply_pending();
    for (uint32_t i = 0; i < states_.size(); ++i) {
        ScanEvent e;
        if (states_[i].has(State::kLive) && qualifying_event(i, e)) out.push_back(e);
    }
}

void ScanDetector::expire(int64_t now_ns, std::vector<ScanEvent>& out) {
    apply_pending();
    const int64_t idle = thresholds_.idle_timeout_s * 1'000'000'000LL;
    size_t live = 0;
    for (uint32_t i = 0; i < states_.size(); ++i) {
        const State& s = states_[i];
        if (!s.has(State::kLive)) continue;
        if (now_ns - s.last_ns > idle)
            close(i, out);
        else
            ++live;
    }
    // Closed states are kept for their key's return; rebuild when most of them are dead weight
    // (the log is empty here, so renumbering the states is safe). In place: the live states move
    // to the front of the same block and the key table is refilled in its own slots. Rebuilding
    // into fresh ones mapped and zeroed new pages at every rebuild and again as they grew back
    // (with the copies, ~4% of the CPU time of `ingest --detect` on the 20 M-packet benchmark).
    if (states_.size() > 4096 && live * 4 < states_.size()) {
        ids_.clear();
        size_t kept = 0;
        for (size_t i = 0; i < states_.size(); ++i) {
            if (!states_[i].has(State::kLive)) continue;
            if (kept != i) {
                states_[kept] = states_[i];
                runs_[kept] = std::move(runs_[i]);
            }
            ids_[states_[kept].key()] = static_cast<uint32_t>(kept);
            ++kept;
        }
        states_.resize(kept);
        runs_.resize(kept);
    }
}

void ScanDetector::serialize(ByteWriter& w) const {
    apply_pending();
    uint64_t live = 0;
    for (const State& s : states_) live += s.has(State::kLive);
    w.put(live);
    for (uint32_t i = 0; i < states_.size(); ++i) {
        const State& s = states_[i];
        if (!s.has(State::kLive)) continue;
        const Key key = s.key();
        w.put(key.hi);
        w.put(key.lo);
        w.put(key.proto_port);
        w.put(s.start_ns);
        w.put(s.last_ns);
        w.put(s.packets);
        for (uint32_t f : s.fp) w.put(uint64_t(f));
        runs_of(i).save(w, universe());
    }
}

void ScanDetector::restore(ByteReader& r) {
    ids_.clear();
    states_.clear();
    runs_.clear();
    pending_.clear();
    min_pending_ns_ = INT64_MAX;
    const uint64_t n = r.get<uint64_t>();
    for (uint64_t i = 0; i < n; ++i) {
        Key k{r.get<uint64_t>(), r.get<uint64_t>(), r.get<uint32_t>()};
        if (k.proto_port > State::kProtoPortMask) r.fail("bad scan key");
        bool inserted;
        uint32_t& id = ids_.find_or_insert(k, inserted);
        if (!inserted) r.fail("duplicate scan key");
        id = static_cast<uint32_t>(states_.size());
        State& s = states_.emplace_back(State::of(k));
        s.set(State::kLive | State::kHasRuns);
        s.start_ns = r.get<int64_t>();
        s.last_ns = r.get<int64_t>();
        if (!timestamp_in_range(s.start_ns) || !timestamp_in_range(s.last_ns) || s.start_ns > s.last_ns)
            r.fail("event times out of range or reversed");
        s.packets = r.get<uint64_t>();
        for (uint32_t& f : s.fp) f = static_cast<uint32_t>(std::min<uint64_t>(r.get<uint64_t>(), UINT32_MAX));
        runs_.emplace_back().load(r, universe());
    }
}

void ScanDetector::finish(std::vector<ScanEvent>& out) {
    apply_pending();
    for (uint32_t i = 0; i < states_.size(); ++i)
        if (states_[i].has(State::kLive)) close(i, out);
    ids_.clear();
    states_.clear();
    runs_.clear();
}

}  // namespace iotwatch

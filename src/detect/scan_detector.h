// ScanDetector: scan events after Durumeric et al. 2014 (DOMAIN.md section 2).
// A scan is a source sending probes to >= `min_destinations` unique darknet addresses on one
// (protocol, destination port) at an extrapolated Internet-wide rate >= `min_rate_pps`; it ends
// after `idle_timeout_s` without a probe from that source to that port. Probes are TCP SYNs without
// ACK, UDP datagrams (except from port 53: DNS backscatter) and ICMP/ICMPv6 echo requests (port 0).
// Each event carries the fraction of its probes that match each tool fingerprint.
#pragma once
#include <cstdint>
#include <vector>

#include "capture/decoded_packet.h"
#include "core/flat_table.h"
#include "detect/destination_runs.h"
#include "detect/fingerprints.h"
#include "telescope/darknet.h"

namespace iotwatch {

struct ScanThresholds {
    uint64_t min_destinations = 100;  // unique darknet addresses per (source, protocol, port)
    double min_rate_pps = 10.0;       // extrapolated to all of IPv4
    int64_t idle_timeout_s = 480;     // the scan ends after this long without a probe
};

struct ScanEvent {
    IpAddress src;
    uint8_t protocol = 0;  // 6, 17, 1 or 58
    uint16_t port = 0;     // destination port (0 for ICMP echo)
    int64_t start_ns = 0;
    int64_t end_ns = 0;
    uint64_t packets = 0;
    uint64_t destinations = 0;
    double rate_pps = 0;   // estimated Internet-wide probe rate
    uint64_t fingerprint_packets[kFingerprintCount] = {};
    double fraction(Fingerprint fp) const { return packets ? double(fingerprint_packets[fp]) / double(packets) : 0; }
};

class ScanDetector {
public:
    ScanDetector(const Darknet& darknet, ScanThresholds thresholds = {});

    /// Feeds one packet to the darknet (`dense_index` from the darknet match; ignored when the
    /// darknet is not dense). Non-probes are ignored. A probe arriving after its scan went idle
    /// closes that scan first (appended to `out` when it qualifies).
    /// `source_hint`, when given, is the source's hint word (Detector::uses_source_hint): the
    /// (protocol, port) and state index of the source's usual probe, so that a source probing the
    /// same port again (most do: Mirai sends nine in ten to 23) needs no lookup in the key table.
    /// It is checked against the state's key before use. After a lookup it is rewritten, unless
    /// it names another port with confidence left: each probe it names raises the confidence (to
    /// 3), each probe to another port spends one, so a bot's one probe in ten to 2323 leaves its
    /// hint for 23 in place (hint hits on the benchmark's day: 82.7% -> 85.9% of probes).
    void observe(const DecodedPacket& p, uint64_t dense_index, std::vector<ScanEvent>& out,
                 uint64_t* source_hint = nullptr);
    /// Cache hint ahead of observe() (Detector::prefetch): stage 0 the key's table slot, stage 1
    /// its state record.
    void prefetch(const DecodedPacket& p, int stage) const;
    /// Stage 1 for a detector given the source hint word (and no stage 0): the hinted state when
    /// the hint is for this probe's port, else the key's table slot, and then, kLateAhead probes
    /// before the probe's observe(), the state that slot names.
    void prefetch_hinted(const DecodedPacket& p, uint64_t source_hint) const;
    /// Closes every scan idle at `now_ns` (call at interval ends); qualifying ones go to `out`.
    void expire(int64_t now_ns, std::vector<ScanEvent>& out);
    /// Closes everything (end of input).
    void finish(std::vector<ScanEvent>& out);
    /// Appends the scans still open that already qualify, as they stand, without closing them: a
    /// run that ends (checkpoint) would otherwise report nothing of a capture shorter than the idle
    /// timeout. They are stored like final events; the final event replaces the row (same source,
    /// protocol and port, overlapping time). Only scans that no later probe can disqualify are
    /// given: destinations only grow, and the rate of a scan continued with gaps <= idle_timeout_s
    /// stays >= min(rate now, extrapolation factor / idle_timeout_s), so when that second term is
    /// below min_rate_pps (darknets larger than ~/13 with the defaults) nothing is given.
    void open_events(std::vector<ScanEvent>& out) const;

    /// Open scans (for checkpoints): written to / read from a ByteWriter/ByteReader.
    void serialize(class ByteWriter& w) const;
    void restore(class ByteReader& r);
    const ScanThresholds& thresholds() const { return thresholds_; }

private:
    struct Key {
        uint64_t hi, lo;   // source address halves
        uint32_t proto_port;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        uint64_t operator()(const Key& k) const {
            return IpAddress::from_halves(k.hi, k.lo).hash() ^ MixHash()(k.proto_port + 0x9E3779B97F4A7C15ULL);
        }
    };
    // The part of a scan a probe touches: one cache line, the only one observe() and the
    // prefetches fetch, and the one expire()'s sweep reads. Its destination set is in runs_, at
    // the same index, touched only where the set itself is: applying the log, counting, closing
    // a scan that had more than its first destination, checkpoints. The states were two lines,
    // set included, and the scan thread's prefetches of both lines per probe stalled on the
    // core's outstanding misses (perf: half of prefetch_hinted()'s samples on the prefetch).
    // The first destination is kept here (`held`, most scans are a single probe), so a scan's
    // first probe does not touch runs_ either.
    struct alignas(64) State {
        uint64_t hi = 0, lo = 0;  // the key's source address halves
        uint32_t word = 0;        // the key's proto_port (low 24 bits) | flags << 24
        uint32_t held = 0;        // the first destination (dense index), while kHeld
        int64_t start_ns = 0, last_ns = 0;
        uint64_t packets = 0;
        // Per fingerprint, the probes that match it; they saturate at UINT32_MAX (a single scan of
        // more than 4.29 billion darknet probes), which is what lets the state fit one line.
        uint32_t fp[kFingerprintCount] = {};

        static constexpr uint32_t kLive = 1;     // a scan is open
        static constexpr uint32_t kHeld = 2;     // `held` is its only destination, in neither pending_ nor runs_
        static constexpr uint32_t kHasRuns = 4;  // runs_ at this index, or pending_, may hold destinations
        static constexpr uint32_t kProtoPortMask = 0xFFFFFF;
        Key key() const { return Key{hi, lo, word & kProtoPortMask}; }
        bool is(const Key& k) const { return lo == k.lo && hi == k.hi && (word & kProtoPortMask) == k.proto_port; }
        bool has(uint32_t flag) const { return (word >> 24 & flag) != 0; }
        void set(uint32_t flag) { word |= flag << 24; }
        void clear(uint32_t flag) { word &= ~(flag << 24); }
        /// A closed state of key `k` (no flags, no counts).
        static State of(const Key& k) {
            State s;
            s.hi = k.hi;
            s.lo = k.lo;
            s.word = k.proto_port;
            return s;
        }
    };
    static_assert(sizeof(State) == 64 && kFingerprintCount == 4, "a scan state is one cache line");
    static constexpr Key kNoKey{~0ULL, ~0ULL, ~0u};
    /// Closes the scan of state `index` (appended to `out` when it qualifies); the state stays,
    /// with its key, for the key's return.
    void close(uint32_t index, std::vector<ScanEvent>& out);
    /// Prefetches state `index` (its one line) for writing.
    void prefetch_state(uint32_t index) const { __builtin_prefetch(&states_[index], 1); }
    /// The destination set of state `index`, with the held first destination moved into it.
    DestinationRuns& runs_of(uint32_t index) const;
    /// The state index the hint word names for `proto_port`, or UINT32_MAX (hint: proto_port << 40
    /// | confidence << 32 | index + 1; index 0 = none).
    uint32_t hinted_index(uint64_t hint, uint32_t proto_port) const {
        const uint32_t id = static_cast<uint32_t>(hint);
        return (hint >> kHintPortShift) == proto_port && id != 0 && id - 1 < states_.size() ? id - 1 : UINT32_MAX;
    }
    static constexpr int kHintConfidenceShift = 32, kHintPortShift = 40;
    static constexpr uint64_t kHintConfidenceMax = 3;  // (2 bits of the 8 between index and port)
    /// The (protocol << 16 | port) a probe counts under; false when `p` is not a probe.
    static bool probe_key(const DecodedPacket& p, uint32_t& proto_port);
    /// The event of state `index` when it meets both thresholds (pending destinations applied first).
    bool qualifying_event(uint32_t index, ScanEvent& e) const;
    /// Adds the logged (state, destination) pairs to the states' destination sets, in sorted order.
    void apply_pending() const;
    uint64_t universe() const { return darknet_.dense() ? darknet_.dense_size() : 0; }

    const Darknet& darknet_;
    ScanThresholds thresholds_;
    // Key -> index into states_ (small slots, two per cache line; indexes stay stable until a
    // rebuild in expire(), which happens only with no pending pairs).
    FlatTable<Key, uint32_t, KeyHash> ids_;
    // State of every key seen since the last rebuild (closed ones without kLive). The sets
    // (runs_) are updated lazily (pending_), hence mutable: the const readers apply what is logged.
    // On huge pages (core/huge_page_allocator.h): a probe's state is read at random.
    mutable HugePageVector<State> states_;
    // The destination set of each state, at its index (see State).
    mutable HugePageVector<DestinationRuns> runs_;
    // Dense darknets: each probe appends (state index << 32 | dense destination index); the log is
    // radix-sorted and applied at interval ends, before any count is read, and when it reaches
    // kMaxPending. A probe's random access into its key's destination set (a cache and TLB miss
    // per probe, 40% of ingest --detect time) becomes a sequential append, and the sets are
    // updated in address order.
    // On huge pages too: the sort scatters the log over 2048 buckets at once.
    mutable HugePageVector<uint64_t> pending_;
    // The earliest timestamp of a probe that logged into pending_ (INT64_MAX when it is empty):
    // a state whose last probe is earlier has nothing in the log, so a key returning after its
    // idle timeout closes its scan without applying the log (one look at a member, no per-state
    // flag for apply_pending() to clear).
    mutable int64_t min_pending_ns_ = INT64_MAX;
    mutable HugePageVector<uint64_t> scratch_;
    // Probes whose hint named another port: prefetch_hinted() could only fetch their key's table
    // slot, and the state it names was then a miss in observe(). observe() looks each such key
    // up kLateAhead probes before its turn, when the slot has arrived, and prefetches the state.
    // A ring of the latest kLateKeys; it is only a cache hint, so a full ring drops its oldest,
    // and the probe counts of the two sides need not stay in step.
    struct LateKey {
        Key key;
        uint64_t probe;  // prefetch_hinted()'s probe count at this probe
    };
    static constexpr uint64_t kLateKeys = 16;
    static constexpr uint64_t kLateAhead = 4;
    mutable LateKey late_[kLateKeys] = {};
    mutable uint64_t late_head_ = 0, late_tail_ = 0;
    mutable uint64_t prefetched_probes_ = 0;
    uint64_t observed_probes_ = 0;
};

}  // namespace iotwatch

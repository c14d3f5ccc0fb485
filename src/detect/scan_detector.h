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
    // Two cache lines exactly (prefetch() fetches both).
    // `live` and `last_ns` are in the first line: expire()'s sweep over every state reads only those.
    struct alignas(64) State {
        Key key{};
        bool live = false;
        uint32_t pending = 0;  // entries of pending_ not yet in `destinations`
        int64_t start_ns = 0, last_ns = 0;
        uint64_t packets = 0;
        uint64_t fp[kFingerprintCount] = {};
        DestinationRuns destinations;
    };
    static_assert(sizeof(State) == 128, "a scan state is two cache lines");
    static constexpr Key kNoKey{~0ULL, ~0ULL, ~0u};
    void close(State& s, std::vector<ScanEvent>& out);
    /// Prefetches both lines of state `index` for writing.
    void prefetch_state(uint32_t index) const {
        const char* rec = reinterpret_cast<const char*>(&states_[index]);
        for (size_t line = 0; line < sizeof(State); line += 64) __builtin_prefetch(rec + line, 1);
    }
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
    /// The event of state `s` when it meets both thresholds (pending destinations applied first).
    bool qualifying_event(State& s, ScanEvent& e) const;
    /// Adds the logged (state, destination) pairs to the states' destination sets, in sorted order.
    void apply_pending() const;
    uint64_t universe() const { return darknet_.dense() ? darknet_.dense_size() : 0; }

    const Darknet& darknet_;
    ScanThresholds thresholds_;
    // Key -> index into states_ (small slots, two per cache line; indexes stay stable until a
    // rebuild in expire(), which happens only with no pending pairs).
    FlatTable<Key, uint32_t, KeyHash> ids_;
    // State of every key seen since the last rebuild (closed ones have live == false). The sets
    // are updated lazily (pending_), hence mutable: the const readers apply what is logged.
    // On huge pages (core/huge_page_allocator.h): a probe's state is read at random.
    mutable HugePageVector<State> states_;
    // Dense darknets: each probe appends (state index << 32 | dense destination index); the log is
    // radix-sorted and applied at interval ends, before any count is read, and when it reaches
    // kMaxPending. A probe's random access into its key's destination set (a cache and TLB miss
    // per probe, 40% of ingest --detect time) becomes a sequential append, and the sets are
    // updated in address order.
    // On huge pages too: the sort scatters the log over 2048 buckets at once.
    mutable HugePageVector<uint64_t> pending_;
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

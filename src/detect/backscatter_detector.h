// BackscatterDetector: DoS victims from darknet backscatter (Moore et al. 2001/2006, as in CAIDA
// corsaro's dos plugin; DOMAIN.md section 2).
// Backscatter: TCP SYN+ACK or any RST; ICMP types 0, 3, 4, 5, 11, 12, 14, 16, 18; UDP from port 53.
// The victim is the outer source, except for ICMP errors (3, 4, 5, 11, 12), whose victim is the
// destination of the quoted header (the spoofed probe went darknet -> victim).
// One attack vector per (victim, protocol); it ends after `expiry_s` without packets and is
// reported when it has >= `min_packets`, lasted >= `min_duration_s`, and had >= `min_window_packets`
// in its busiest `window_s` window (sliding by `slide_s`).
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "capture/decoded_packet.h"
#include "core/flat_table.h"
#include "telescope/darknet.h"
#include "telescope/destination_tracker.h"

namespace iotwatch {

struct BackscatterThresholds {
    int64_t expiry_s = 300;
    uint64_t min_packets = 25;
    int64_t min_duration_s = 60;
    uint64_t min_window_packets = 30;
    int64_t window_s = 60;
    int64_t slide_s = 10;
};

struct DosAttack {
    IpAddress victim;
    uint8_t protocol = 0;  // outer IP protocol of the backscatter (6, 1, 17, 58)
    int64_t start_ns = 0;
    int64_t end_ns = 0;
    uint64_t packets = 0;
    uint64_t max_window_packets = 0;  // busiest window
    double rate_pps = 0;              // observed rate x extrapolation factor
    uint64_t attackers = 0;           // distinct darknet addresses hit (spoofed sources)
    uint64_t attacker_ports = 0;      // distinct ports the spoofed probes came from
    std::vector<std::pair<uint16_t, uint64_t>> victim_ports;  // top victim service ports (port, packets)
};

/// True when `p` is backscatter; `victim` receives the victim address.
bool backscatter_victim(const DecodedPacket& p, IpAddress& victim);

class BackscatterDetector {
public:
    BackscatterDetector(const Darknet& darknet, BackscatterThresholds t = {});
    void observe(const DecodedPacket& p, uint64_t dense_index, std::vector<DosAttack>& out);
    /// Closes the vectors idle at `now_ns` (call at interval ends); qualifying ones go to `out`.
    /// Closed vectors are dropped from the table once they are three in four of its entries.
    void expire(int64_t now_ns, std::vector<DosAttack>& out);
    void finish(std::vector<DosAttack>& out);
    /// Entries of the vector table, open and closed (for tests).
    size_t table_entries() const { return vectors_.size(); }
    /// Appends the attack vectors still open that already qualify, as they stand, without closing
    /// them (checkpoints at run ends; see ScanDetector::open_events). Every threshold only grows
    /// with the vector, so the final attack qualifies too and replaces the row (same key).
    void open_attacks(std::vector<DosAttack>& out) const;
    /// Open attack vectors (for checkpoints).
    void serialize(class ByteWriter& w) const;
    void restore(class ByteReader& r);

private:
    struct Key {
        uint64_t hi, lo;
        uint32_t protocol;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        uint64_t operator()(const Key& k) const { return IpAddress::from_halves(k.hi, k.lo).hash() ^ (k.protocol * 0x9E3779B97F4A7C15ULL); }
    };
    struct Vector {
        bool live = false;
        int64_t start_ns = 0, last_ns = 0;
        uint64_t packets = 0;
        std::vector<uint32_t> slots;  // packets per slide_s slot since start
        DestinationTracker attackers;
        DestinationTracker attacker_ports;
        std::map<uint16_t, uint64_t> victim_ports;
    };
    void close(const Key& k, Vector& v, std::vector<DosAttack>& out);
    /// The attack of vector `v` when it meets every threshold.
    bool qualifying_attack(const Key& k, const Vector& v, DosAttack& a) const;

    const Darknet& darknet_;
    BackscatterThresholds t_;
    FlatTable<Key, Vector, KeyHash> vectors_;
};

}  // namespace iotwatch

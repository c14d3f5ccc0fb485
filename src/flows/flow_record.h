// FlowRecord: one flow as any export format (NetFlow v5, v9, IPFIX) describes it, in one value type.
// ExporterStats: what the collector counted per exporter and observation domain.
#pragma once
#include <cstdint>
#include <string>

#include "core/ip_address.h"

namespace iotwatch {

/// A decoded flow. Counters already have the sampling interval applied (packets and octets are
/// estimates of the unsampled traffic); `sampling_interval` records the factor used (1: unsampled or
/// no sampling announced). Times are UTC nanoseconds, millisecond precision for every format here.
struct FlowRecord {
    IpAddress exporter;               // source address of the export datagram
    uint32_t observation_domain = 0;  // v5: engine_type << 8 | engine_id; v9: source id; IPFIX: domain id
    uint8_t version = 0;              // 5, 9 or 10
    uint8_t protocol = 0;
    uint8_t tcp_flags = 0;            // cumulative OR of the flow's TCP flags
    IpAddress src;
    IpAddress dst;
    uint16_t sport = 0;
    uint16_t dport = 0;               // ICMP: type << 8 | code (the nfdump convention), sport 0
    uint64_t packets = 0;
    uint64_t octets = 0;
    int64_t start_ns = 0;
    int64_t end_ns = 0;
    uint32_t sampling_interval = 1;
};

/// Per exporter (address, observation domain, version) counters. `sequence_gaps` counts
/// discontinuities, `missing` how many units they skipped: flows for v5, export packets for v9,
/// data records for IPFIX (each version's sequence semantics). Gaps are statistics, not errors.
struct ExporterStats {
    IpAddress exporter;
    uint32_t observation_domain = 0;
    uint8_t version = 0;
    uint64_t packets = 0;             // export messages
    uint64_t records = 0;             // flow records decoded
    uint64_t templates = 0;           // template records received (incl. refreshes)
    uint64_t options_templates = 0;
    uint64_t options_records = 0;
    uint64_t sequence_gaps = 0;
    uint64_t missing = 0;
    uint64_t reordered = 0;           // sequence went backwards (late datagram or exporter restart)
    uint64_t held_sets = 0;           // data sets that arrived before their template
    uint64_t dropped_sets = 0;        // ... and whose template never came in time (records lost)
    uint64_t malformed = 0;           // messages or sets rejected as corrupt
    uint32_t sampling_interval = 1;   // last announced
    int64_t first_seen_ns = 0;
    int64_t last_seen_ns = 0;
};

}  // namespace iotwatch

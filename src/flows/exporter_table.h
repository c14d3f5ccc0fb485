// ExporterTable: per-exporter state of the collector (statistics, sequence tracking, announced
// sampling interval and system init time), keyed by (exporter address, observation domain,
// version) in a flat open-addressing table. States live in a vector indexed from the table, so a
// reference stays valid until the next get() of a new key.
#pragma once
#include <cstdint>
#include <vector>

#include "core/flat_table.h"
#include "flows/flow_record.h"

namespace iotwatch {

struct ExporterKey {
    IpAddress address;
    uint32_t domain = 0;
    uint8_t version = 0;  // 0 only in the table's empty key
    bool operator==(const ExporterKey&) const = default;
};

struct ExporterKeyHash {
    uint64_t operator()(const ExporterKey& k) const {
        return k.address.hash() ^ MixHash()(uint64_t(k.domain) << 8 | k.version);
    }
};

struct ExporterState {
    ExporterStats stats;
    bool have_sequence = false;   // next_sequence is meaningful
    uint32_t next_sequence = 0;   // what the next message should carry
    uint32_t sampling_interval = 1;
    int64_t system_init_ms = -1;  // IPFIX systemInitTimeMilliseconds (160) from options, -1 unknown
};

class ExporterTable {
public:
    ExporterTable() : index_(ExporterKey{}, 16) {}
    /// The state of `key`, created (with its stats' key fields set) on first use.
    ExporterState& get(const ExporterKey& key, int64_t now_ns);
    /// Every exporter's counters, in first-seen order.
    std::vector<ExporterStats> stats() const;

private:
    FlatTable<ExporterKey, uint32_t, ExporterKeyHash> index_;  // key -> position + 1 in states_
    std::vector<ExporterState> states_;
};

/// Records a sequence number: counts a gap (and how many units it skipped) or a step back, then
/// expects `sequence + units` next. `units` is what this message counts in its version's terms.
void track_sequence(ExporterState& s, uint32_t sequence, uint32_t units);

}  // namespace iotwatch

// FlowCollector: the front door of the flows module. Give it export datagrams (NetFlow v5, v9,
// IPFIX, told apart by their version field) with the exporter's address and the receive time; take
// the decoded FlowRecords out in batches; read per-exporter statistics and the error log.
//
// Contract: process() never throws on bad input and never reads outside the buffer; every problem
// is counted against its exporter and logged with the exporter and the byte offset in the
// message. Data that arrives before its template is held (CollectorLimits) and decoded when the
// template comes; expire() and finish() count what is given up on as dropped.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flows/collector_state.h"
#include "flows/flow_record.h"

namespace iotwatch {

class FlowCollector {
public:
    explicit FlowCollector(const CollectorLimits& limits = {}) : state_(limits) {}

    /// Decodes one export message received at `now_ns` (UTC ns) from `exporter`.
    void process(const uint8_t* data, size_t len, const IpAddress& exporter, int64_t now_ns);
    /// An IPFIX-over-TCP session from `exporter` ended: its templates are withdrawn.
    void end_tcp_session(const IpAddress& exporter) { state_.templates.withdraw_exporter(exporter, 10); }
    /// Records a stream error of `exporter` (counted and logged like a malformed message).
    void stream_error(const IpAddress& exporter, const std::string& what);
    /// Gives up on held data older than the hold time (call now and then with the current time).
    void expire(int64_t now_ns);
    /// End of input: every held set is dropped and counted.
    void finish(int64_t now_ns);

    /// Records decoded since the last call (moved out).
    std::vector<FlowRecord> take_records();
    size_t buffered_records() const { return state_.records.size(); }

    std::vector<ExporterStats> exporter_stats() const { return state_.exporters.stats(); }
    /// The first CollectorLimits::max_errors_kept error messages; error_count() counts all.
    const std::vector<std::string>& errors() const { return state_.errors; }
    uint64_t error_count() const { return state_.error_count; }
    /// Datagrams whose version is none of 5, 9, 10.
    uint64_t unknown_version() const { return state_.unknown_version; }
    size_t templates() const { return state_.templates.size(); }
    size_t held_sets() const { return state_.pending.size(); }

private:
    CollectorState state_;
};

}  // namespace iotwatch

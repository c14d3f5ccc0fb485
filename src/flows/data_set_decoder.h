// DataSetDecoder: decodes the records of one NetFlow v9 / IPFIX data set against its template into
// FlowRecords (flow templates) or into sampling / system-init announcements (options templates).
// Shared by both versions: they differ in headers and template sets, not in data records.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flows/flow_record.h"
#include "flows/template_cache.h"

namespace iotwatch {

/// What the message header says about time, needed to turn relative times into UTC.
struct ExportClock {
    int64_t export_ms = 0;        // header export time (seconds resolution for v9/IPFIX, ms for v5)
    bool has_uptime = false;      // v9: sys_uptime_ms is the exporter's uptime at export_ms
    uint32_t sys_uptime_ms = 0;
    int64_t system_init_ms = -1;  // IPFIX: systemInitTimeMilliseconds announced by options, -1 unknown
};

/// What options records announced (only the fields present are set).
struct OptionsAnnouncement {
    bool has_sampling = false;
    uint32_t sampling_interval = 1;
    bool has_system_init = false;
    int64_t system_init_ms = 0;
    uint64_t records = 0;
};

/// Converts an uptime-relative time (ms since the exporter booted, a 32-bit counter) to UTC ms,
/// given the uptime at export: the age is taken modulo 2^32, so a counter that wrapped (every 49.7
/// days) between the flow and the export still gives the right time. Flows older than 49.7 days
/// cannot be told apart from younger ones (the format has no more bits).
inline int64_t uptime_to_utc_ms(int64_t export_ms, uint32_t uptime_at_export_ms, uint32_t event_uptime_ms) {
    const uint32_t age = uptime_at_export_ms - event_uptime_ms;  // modulo 2^32 on purpose
    // An event "after" the export by < 2^31 ms is clock jitter on the exporter: keep it ahead.
    if (age >= 0x80000000u) return export_ms + int64_t(uint32_t(event_uptime_ms - uptime_at_export_ms));
    return export_ms - int64_t(age);
}

class DataSetDecoder {
public:
    /// Compiles `t`'s fast-path plan (FlowTemplate::plan); called once when a template is stored.
    static void compile(FlowTemplate& t);
    /// Decodes `len` bytes of set content (after the 4-byte set header). Flow records are appended
    /// to `out` (copying exporter/domain/version from `proto`; `default_sampling` applied unless a
    /// record carries its own interval); options records update `announced`. Trailing bytes shorter
    /// than one record are padding. Returns false on a record that overruns the set (a variable-
    /// length field too long); `error_offset` is then the offending byte relative to `data`, and
    /// records before it were kept.
    static bool decode(const FlowTemplate& t, const uint8_t* data, size_t len, const ExportClock& clock,
                       const FlowRecord& proto, uint32_t default_sampling, std::vector<FlowRecord>& out,
                       OptionsAnnouncement& announced, size_t& records, size_t& error_offset, std::string& error);
};

}  // namespace iotwatch

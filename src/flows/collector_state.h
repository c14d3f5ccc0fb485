// CollectorState: what the three decoders share while decoding export messages: templates,
// held data sets, per-exporter state, the decoded records and the error log. Decoders add to it;
// FlowCollector owns it and hands the records out in batches.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "flows/data_set_decoder.h"
#include "flows/exporter_table.h"
#include "flows/pending_sets.h"
#include "flows/template_cache.h"

namespace iotwatch {

struct CollectorLimits {
    int64_t hold_ns = 30LL * 1'000'000'000;   // how long data waits for its template
    size_t max_pending_sets = 4096;
    size_t max_pending_bytes = 16u << 20;
    size_t max_templates = 65536;             // a hostile exporter cannot grow the cache without bound
    size_t max_errors_kept = 100;             // error messages kept verbatim; all are counted
};

class CollectorState {
public:
    explicit CollectorState(const CollectorLimits& limits)
        : limits(limits), pending(limits.hold_ns, limits.max_pending_sets, limits.max_pending_bytes) {}

    /// Records a problem: "exporter A (vN domain D): offset O: what". Offsets are bytes from the
    /// start of the export message.
    void error(const ExporterKey& exporter, size_t offset, const std::string& what);

    /// Decodes one data set whose template is known (or holds it when not, counting it), applying
    /// options announcements to the exporter. Returns the records decoded, or SIZE_MAX when the
    /// set was held (the message's record count is then unknown).
    size_t data_set(const ExporterKey& exporter, ExporterState& state, uint16_t set_id, const uint8_t* content,
                    size_t len, const ExportClock& clock, size_t message_offset, int64_t now_ns);

    /// Stores a template and decodes the sets that were waiting for it. False when the cache is full.
    bool add_template(const TemplateKey& key, FlowTemplate t, int64_t now_ns);

    /// Counts held sets given up on against their exporters.
    void count_dropped(std::vector<PendingSet>& dropped, int64_t now_ns);

    CollectorLimits limits;
    TemplateCache templates;
    PendingSets pending;
    ExporterTable exporters;
    std::vector<FlowRecord> records;
    std::vector<std::string> errors;
    uint64_t error_count = 0;
    uint64_t unknown_version = 0;  // datagrams that are no NetFlow v5/v9/IPFIX message

private:
    size_t decode_known(const ExporterKey& exporter, ExporterState& state, const FlowTemplate& t,
                        const uint8_t* content, size_t len, const ExportClock& clock, size_t message_offset);
};

}  // namespace iotwatch

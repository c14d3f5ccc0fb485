// PendingSets: data sets that arrived before their template, held (copied) until the template
// comes, for at most a hold time and within a byte and count budget. A set that outlives its hold
// or is pushed out by the budget is handed back as dropped, so the collector can count it against
// its exporter.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "flows/data_set_decoder.h"
#include "flows/exporter_table.h"
#include "flows/template_cache.h"

namespace iotwatch {

struct PendingSet {
    TemplateKey key;
    ExporterKey exporter;
    ExportClock clock;        // of the message that carried it
    int64_t received_ns = 0;
    std::string bytes;        // set content after the 4-byte set header
};

class PendingSets {
public:
    PendingSets(int64_t hold_ns, size_t max_sets, size_t max_bytes)
        : hold_ns_(hold_ns), max_sets_(max_sets), max_bytes_(max_bytes) {}
    /// Holds a set; sets evicted to stay within budget are appended to `dropped`.
    void hold(PendingSet s, std::vector<PendingSet>& dropped);
    /// Removes and returns the sets waiting for `key`, oldest first.
    std::vector<PendingSet> take(const TemplateKey& key);
    /// Moves sets received before now_ns - hold to `dropped`.
    void expire(int64_t now_ns, std::vector<PendingSet>& dropped);
    /// Moves every held set to `dropped` (end of input).
    void drain(std::vector<PendingSet>& dropped);
    bool empty() const { return sets_.empty(); }
    size_t size() const { return sets_.size(); }

private:
    int64_t hold_ns_;
    size_t max_sets_, max_bytes_;
    size_t bytes_ = 0;
    std::deque<PendingSet> sets_;  // arrival order: the budget evicts the oldest
};

}  // namespace iotwatch

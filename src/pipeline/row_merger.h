// RowMerger: joins the rows of N partitioned TelescopeAggregators (see set_partition) into the rows
// one aggregator would have produced, and writes them to a BinSink (the store).
//
// Every worker sees the packets that open bins (the others it may skip when their sources are
// another worker's), so every worker makes the same sequence of sink calls; the k-th call of each
// worker belongs to the same close event. When the last worker's k-th batch arrives, the batches
// are summed per row key, each bin's unique destinations counted from the union of the workers'
// destination marks, and written. Thread-safe; with one worker it
// forwards without copying. The batch that completes an event is read in place; only batches
// that must wait for other workers are copied (the final flush of the 20 M-packet benchmark
// carries 128 k source rows, and copying every batch twice was a tenth of its 2-worker time).
#pragma once
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "telescope/telescope_aggregator.h"

namespace iotwatch {

class RowMerger {
public:
    RowMerger(BinSink& out, size_t workers);
    ~RowMerger();
    /// The sink worker `index` gives its aggregator.
    BinSink& worker_sink(size_t index);
    /// Batches still waiting for other workers (0 when all are in step).
    size_t pending() const;

    /// Sums batches of the same event (exposed for tests). The parts' sources are disjoint (as
    /// partitioned workers make them) and each part's sorted by (day, src), as aggregators emit
    /// them; the merged sources are then in that order too.
    static BinRows merge(const std::vector<const BinRows*>& parts);

private:
    class WorkerSink;
    /// Unites the parts' destination marks of each bin and sets the unique-destination counts
    /// of that bin's rows in `classes` (sorted by width, start, class).
    static void unite_destinations(const std::vector<const BinRows*>& parts, std::vector<ClassBinRow>& classes);
    void submit(size_t worker, const BinRows& rows, bool final_rows);

    BinSink& out_;
    size_t workers_;
    std::vector<std::unique_ptr<WorkerSink>> sinks_;
    mutable std::mutex mu_;
    struct Event {
        std::vector<BinRows> parts;
        size_t arrived = 0;
        bool final_rows = true;
    };
    std::deque<Event> events_;           // events_[0] is event number first_event_
    std::vector<uint64_t> next_event_;   // per worker: number of its next submission
    uint64_t first_event_ = 0;
};

}  // namespace iotwatch

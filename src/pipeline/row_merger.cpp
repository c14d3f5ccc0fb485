#include "pipeline/row_merger.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace iotwatch {

class RowMerger::WorkerSink final : public BinSink {
public:
    WorkerSink(RowMerger& m, size_t index) : merger_(m), index_(index) {}
    void on_rows(const BinRows& rows, bool final_rows) override { merger_.submit(index_, rows, final_rows); }

private:
    RowMerger& merger_;
    size_t index_;
};

RowMerger::RowMerger(BinSink& out, size_t workers) : out_(out), workers_(workers), next_event_(workers, 0) {
    for (size_t i = 0; i < workers; ++i) sinks_.push_back(std::make_unique<WorkerSink>(*this, i));
}

RowMerger::~RowMerger() = default;

BinSink& RowMerger::worker_sink(size_t index) { return *sinks_[index]; }

size_t RowMerger::pending() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
}

void RowMerger::submit(size_t worker, const BinRows& rows, bool final_rows) {
    if (workers_ == 1) {
        out_.on_rows(rows, final_rows);
        return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t n = next_event_[worker]++;
    while (events_.size() <= n - first_event_) events_.emplace_back(Event{std::vector<BinRows>(workers_), 0, true});
    Event& e = events_[n - first_event_];
    e.final_rows = e.final_rows && final_rows;
    ++e.arrived;
    if (e.arrived < workers_) {
        e.parts[worker] = rows;  // the caller reuses its rows: keep a copy until the others arrive
        return;
    }
    // This batch completes its event, which is the leading one: every worker submits its events
    // in order, so the events before it are complete and written already.
    std::vector<const BinRows*> parts;
    for (size_t i = 0; i < workers_; ++i) parts.push_back(i == worker ? &rows : &e.parts[i]);
    BinRows merged = merge(parts);
    const bool fin = e.final_rows;
    events_.pop_front();
    ++first_event_;
    out_.on_rows_owned(std::move(merged), fin);
}

void RowMerger::unite_destinations(const std::vector<const BinRows*>& parts, std::vector<ClassBinRow>& classes) {
    // Each worker's marks of a bin: at most one entry per (width, start) and part.
    std::vector<const DestinationMarks*> marks;
    for (const BinRows* p : parts)
        for (const DestinationMarks& m : p->destination_marks) marks.push_back(&m);
    if (marks.empty()) return;
    auto key = [](const DestinationMarks& m) { return std::make_pair(m.width, m.bin_start); };
    std::stable_sort(marks.begin(), marks.end(),
                     [&](const DestinationMarks* a, const DestinationMarks* b) { return key(*a) < key(*b); });
    std::vector<uint64_t> bits;
    std::vector<std::pair<IpAddress, uint16_t>> sparse;
    for (size_t i = 0; i < marks.size();) {
        size_t j = i;
        bits.assign(marks[i]->bits.size(), 0);
        sparse.clear();
        for (; j < marks.size() && key(*marks[j]) == key(*marks[i]); ++j) {
            const DestinationMarks& m = *marks[j];
            if (m.bits.size() != bits.size()) throw std::logic_error("RowMerger: destination bitmaps of different sizes");
            for (size_t w = 0; w < bits.size(); ++w) bits[w] |= m.bits[w];
            sparse.insert(sparse.end(), m.sparse.begin(), m.sparse.end());
        }
        // One entry per destination, its class bits united.
        std::sort(sparse.begin(), sparse.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        size_t n = 0;
        for (size_t k = 0; k < sparse.size(); ++k) {
            if (n > 0 && sparse[n - 1].first == sparse[k].first)
                sparse[n - 1].second |= sparse[k].second;
            else
                sparse[n++] = sparse[k];
        }
        sparse.resize(n);
        const auto uniq = count_destinations(bits, sparse);
        // The bin's class rows (sorted by width, start, class by the caller).
        const auto [width, start] = key(*marks[i]);
        auto row = std::lower_bound(classes.begin(), classes.end(), std::make_pair(width, start),
                                    [](const ClassBinRow& r, const std::pair<int32_t, int64_t>& k) {
                                        return std::make_pair(r.width, r.bin_start) < k;
                                    });
        for (; row != classes.end() && row->width == width && row->bin_start == start; ++row)
            row->destinations = uniq[row->cls < kClassCount ? row->cls : kClassCount];
        i = j;
    }
}

BinRows RowMerger::merge(const std::vector<const BinRows*>& parts) {
    // Concatenate, order by key, sum neighbours with equal keys: cheaper than a node-based map for
    // the hundreds of thousands of port rows a busy bin can have.
    BinRows out;
    // Rows per part, for the keyed row types: each part's rows are runs to merge.
    std::vector<size_t> class_runs, port_runs, meta_runs, sensor_runs;
    // Each output sized once for all the parts: appended part by part, the port rows of a busy
    // bin went through a chain of doublings, each a copy into freshly faulted pages.
    auto reserve = [&](auto& rows, auto member) {
        size_t n = 0;
        for (const BinRows* pp : parts) n += (pp->*member).size();
        rows.reserve(n);
    };
    reserve(out.classes, &BinRows::classes);
    reserve(out.ports, &BinRows::ports);
    reserve(out.meta, &BinRows::meta);
    reserve(out.sensors, &BinRows::sensors);
    reserve(out.scans, &BinRows::scans);
    reserve(out.attacks, &BinRows::attacks);
    reserve(out.labels, &BinRows::labels);
    for (const BinRows* pp : parts) {
        const BinRows& p = *pp;
        out.classes.insert(out.classes.end(), p.classes.begin(), p.classes.end());
        out.ports.insert(out.ports.end(), p.ports.begin(), p.ports.end());
        out.meta.insert(out.meta.end(), p.meta.begin(), p.meta.end());
        out.sensors.insert(out.sensors.end(), p.sensors.begin(), p.sensors.end());
        out.scans.insert(out.scans.end(), p.scans.begin(), p.scans.end());
        out.attacks.insert(out.attacks.end(), p.attacks.begin(), p.attacks.end());
        out.labels.insert(out.labels.end(), p.labels.begin(), p.labels.end());
        class_runs.push_back(p.classes.size());
        port_runs.push_back(p.ports.size());
        meta_runs.push_back(p.meta.size());
        sensor_runs.push_back(p.sensors.size());
    }
    auto combine = [](auto& rows, const std::vector<size_t>& runs, auto key, auto add) {
        auto less = [&](const auto& a, const auto& b) { return key(a) < key(b); };
        // A worker's rows come in key order (close_level emits each level's in order, the levels
        // by width): merging the runs is linear. Sorting them all was 2% of a 2-worker ingest's
        // samples (std::sort of the port rows). Any other order is sorted.
        bool runs_sorted = true;
        size_t at = 0;
        for (size_t n : runs) {
            runs_sorted = runs_sorted && std::is_sorted(rows.begin() + static_cast<std::ptrdiff_t>(at),
                                                        rows.begin() + static_cast<std::ptrdiff_t>(at + n), less);
            at += n;
        }
        if (runs_sorted) {
            at = runs.empty() ? 0 : runs[0];
            for (size_t k = 1; k < runs.size(); ++k) {
                std::inplace_merge(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(at),
                                   rows.begin() + static_cast<std::ptrdiff_t>(at + runs[k]), less);
                at += runs[k];
            }
        } else {
            std::sort(rows.begin(), rows.end(), less);
        }
        size_t w = 0;
        for (size_t i = 0; i < rows.size(); ++i) {
            if (w > 0 && key(rows[w - 1]) == key(rows[i]))
                add(rows[w - 1], rows[i]);
            else
                rows[w++] = rows[i];
        }
        rows.resize(w);
    };
    combine(out.classes, class_runs, [](const ClassBinRow& r) { return std::make_tuple(r.width, r.bin_start, r.cls); },
            [](ClassBinRow& a, const ClassBinRow& b) {
                a.packets += b.packets;
                a.bytes += b.bytes;
                a.sources += b.sources;
                a.destinations += b.destinations;  // 0 from partitioned workers: set below
            });
    unite_destinations(parts, out.classes);
    combine(out.ports, port_runs, [](const PortBinRow& r) { return std::make_tuple(r.width, r.bin_start, r.protocol, r.port); },
            [](PortBinRow& a, const PortBinRow& b) {
                a.packets += b.packets;
                a.sources += b.sources;
            });
    combine(out.meta, meta_runs, [](const BinMetaRow& r) { return std::make_tuple(r.width, r.bin_start); },
            [](BinMetaRow& a, const BinMetaRow& b) {
                a.outside += b.outside;
                a.not_ip += b.not_ip;
                a.truncated += b.truncated;
                a.undecodable += b.undecodable;
                a.late += b.late;
            });
    combine(out.sensors, sensor_runs, [](const SensorBinRow& r) { return std::make_tuple(r.width, r.bin_start, r.sensor); },
            [](SensorBinRow& a, const SensorBinRow& b) {
                a.packets += b.packets;
                a.bytes += b.bytes;
            });
    // Each part's sources are sorted (aggregators emit them in (day, src) order) and the parts are
    // disjoint: a k-way merge copies each row once into its place (the final flush of the 20 M-
    // packet benchmark has 128 k of them). Nothing is summed, so the rows are right in any order.
    auto by_key = [](const SourceDayRow& a, const SourceDayRow& b) { return std::tie(a.day, a.src) < std::tie(b.day, b.src); };
    size_t total = 0;
    std::vector<std::pair<const SourceDayRow*, const SourceDayRow*>> runs;  // [next, end) per part
    for (const BinRows* p : parts) {
        total += p->sources.size();
        if (!p->sources.empty()) runs.emplace_back(p->sources.data(), p->sources.data() + p->sources.size());
    }
    out.sources.reserve(total);
    while (!runs.empty()) {
        size_t best = 0;
        for (size_t i = 1; i < runs.size(); ++i)
            if (by_key(*runs[i].first, *runs[best].first)) best = i;
        out.sources.push_back(*runs[best].first++);
        if (runs[best].first == runs[best].second) runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(best));
    }
    return out;
}

}  // namespace iotwatch

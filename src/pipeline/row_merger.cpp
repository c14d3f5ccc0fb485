#include "pipeline/row_merger.h"

#include <algorithm>
#include <map>
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
    e.parts[worker] = rows;
    e.final_rows = e.final_rows && final_rows;
    ++e.arrived;
    // Write every leading event that is complete, in order.
    while (!events_.empty() && events_.front().arrived == workers_) {
        BinRows merged = merge(events_.front().parts);
        bool fin = events_.front().final_rows;
        events_.pop_front();
        ++first_event_;
        out_.on_rows(merged, fin);
    }
}

BinRows RowMerger::merge(const std::vector<BinRows>& parts) {
    BinRows out;
    std::map<std::tuple<int32_t, int64_t, uint8_t>, ClassBinRow> classes;
    std::map<std::tuple<int32_t, int64_t, uint8_t, uint16_t>, PortBinRow> ports;
    std::map<std::tuple<int32_t, int64_t>, BinMetaRow> meta;
    std::map<std::tuple<int32_t, int64_t, std::string>, SensorBinRow> sensors;
    for (const BinRows& p : parts) {
        for (const auto& r : p.classes) {
            auto [it, fresh] = classes.try_emplace({r.width, r.bin_start, r.cls}, r);
            if (fresh) continue;
            it->second.packets += r.packets;
            it->second.bytes += r.bytes;
            it->second.sources += r.sources;
            it->second.destinations += r.destinations;  // only worker 0 counts destinations
        }
        for (const auto& r : p.ports) {
            auto [it, fresh] = ports.try_emplace({r.width, r.bin_start, r.protocol, r.port}, r);
            if (fresh) continue;
            it->second.packets += r.packets;
            it->second.sources += r.sources;
        }
        for (const auto& r : p.meta) {
            auto [it, fresh] = meta.try_emplace({r.width, r.bin_start}, r);
            if (fresh) continue;
            it->second.outside += r.outside;
            it->second.not_ip += r.not_ip;
            it->second.truncated += r.truncated;
            it->second.undecodable += r.undecodable;
            it->second.late += r.late;
        }
        for (const auto& r : p.sensors) {
            auto [it, fresh] = sensors.try_emplace({r.width, r.bin_start, r.sensor}, r);
            if (fresh) continue;
            it->second.packets += r.packets;
            it->second.bytes += r.bytes;
        }
        out.sources.insert(out.sources.end(), p.sources.begin(), p.sources.end());
    }
    for (auto& [k, r] : classes) out.classes.push_back(r);
    for (auto& [k, r] : ports) out.ports.push_back(r);
    for (auto& [k, r] : meta) out.meta.push_back(r);
    for (auto& [k, r] : sensors) out.sensors.push_back(r);
    std::sort(out.sources.begin(), out.sources.end(), [](const SourceDayRow& a, const SourceDayRow& b) {
        return std::tie(a.day, a.src) < std::tie(b.day, b.src);
    });
    return out;
}

}  // namespace iotwatch

// MergedSensorStream: the centre's single, time-ordered packet input made from every sensor's
// journaled batches (a k-way merge on capture time), for IngestJob to count exactly as if one
// capture had seen every darknet.
//
// Ordering: the next packet is the oldest head among the sensors, released only when no sensor that
// might still send an older one is holding it back: a sensor with nothing journaled holds the merge
// at its watermark unless its inputs ended (final) or it has been silent for `hold_seconds` (then
// its later packets are counted late, in the open bin, never dropped).
//
// Position: per sensor, the batches fully consumed and the packet index inside the current one;
// IngestJob commits it with the rows, and committed() deletes the journal files behind it.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/packet_stream.h"
#include "sensor/center_journal.h"

namespace iotwatch {

class MergedSensorStream : public ResumablePacketStream {
public:
    struct Options {
        double hold_seconds = 30;      // how long a silent sensor may hold the merge back
        bool exit_when_final = false;  // next() returns false once every sensor's inputs ended
    };
    /// `wall_clock` gives the time in ns since the epoch (a parameter so tests can drive it).
    MergedSensorStream(CenterJournal& journal, Options options, std::function<int64_t()> wall_clock);

    bool next(RawPacket& out) override;
    /// Returns with `idle` after about half a second without a packet to release.
    bool next_or_idle(RawPacket& out, bool& idle) override;
    std::string current_name() const override { return "sensors"; }
    uint64_t current_offset() const override { return 0; }
    void request_stop() override;

    void seek(const std::string& position) override;
    std::string position() const override;
    void before_commit(Store& store) override;
    void committed(const std::string& position) override;

    /// Blocks until seek() ran (the receiver accepts batches only after the consumed floors are known).
    void wait_ready();
    /// Packets released older than one released before them (a sensor that came back late).
    uint64_t late_packets() const { return late_.load(); }
    uint64_t packets() const { return emitted_.load(); }

private:
    struct Lane {
        std::string name;
        uint64_t done_seq = 0;          // every batch <= done_seq is consumed
        uint64_t resume_seq = 0;        // after seek: this batch is partly consumed ...
        uint32_t resume_index = 0;      // ... up to this packet
        std::optional<SensorBatch> batch;
        uint64_t batch_seq = 0;
        size_t index = 0;
        uint64_t packets = 0;           // released so far (checkpointed: exact across restarts)
        uint64_t batches = 0;           // fully consumed so far
    };
    bool head(Lane& lane);
    static std::string encode_position(const std::vector<Lane>& lanes);

    CenterJournal& journal_;
    Options options_;
    std::function<int64_t()> clock_;
    int64_t started_ns_;
    std::vector<Lane> lanes_;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> late_{0}, emitted_{0};
    int64_t last_ts_ = INT64_MIN;
    std::mutex ready_mu_;
    std::condition_variable ready_cv_;
    bool ready_ = false;
};

}  // namespace iotwatch

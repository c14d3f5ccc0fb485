// SensorSpool: the sensor's disk buffer. Every batch is written here (durably) before it is sent,
// and removed only after the centre acknowledged it, so a sensor that is killed, or whose centre is
// unreachable for hours, loses nothing and resends only what the centre has not confirmed.
//
// Layout of the directory: <seq, 20 digits>.batch (encoded SensorBatch) and `state` (the last
// acknowledged sequence number and that batch's resume position, so numbering and the input
// position survive an empty spool). Thread-safe: the capture thread appends, the sender reads and
// acknowledges.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/durable_file.h"
#include "sensor/sensor_batch.h"

namespace iotwatch {

class SensorSpool {
public:
    /// Opens (creating) the spool directory; removes temporaries of an interrupted write. Throws
    /// StoreError when the directory is unusable, InputError when its files are damaged.
    explicit SensorSpool(std::string dir);

    /// Gives `batch` the next sequence number and writes it durably.
    void append(SensorBatch& batch);
    /// Sequence numbers waiting for an acknowledgement, ascending.
    std::vector<uint64_t> pending() const;
    /// The encoded batch `seq` (as sent on the wire).
    std::string read(uint64_t seq) const;
    /// The centre has every batch up to and including `seq`: forget them.
    void acknowledge_through(uint64_t seq);

    /// Resume position of the newest batch written (spooled or acknowledged); "" for a new spool.
    std::string resume_position() const;
    /// Watermark of the newest batch written (INT64_MIN for a new spool): a restarted sensor that
    /// reads nothing new still tells the centre how far its data goes.
    int64_t resume_watermark() const;
    uint64_t next_seq() const;
    uint64_t pending_batches() const;
    uint64_t pending_bytes() const;
    const std::string& dir() const { return dir_; }

private:
    std::string path_of(uint64_t seq) const;
    void write_state(uint64_t acked, const std::string& position, int64_t watermark);

    std::string dir_;
    std::unique_ptr<DirectoryLock> lock_;  // one sensor process per spool
    mutable std::mutex mu_;
    uint64_t next_seq_ = 1;
    uint64_t acked_ = 0;
    std::string acked_position_;
    std::string newest_position_;
    int64_t acked_watermark_ = INT64_MIN;
    int64_t newest_watermark_ = INT64_MIN;
    std::vector<std::pair<uint64_t, uint64_t>> pending_;  // (seq, bytes), ascending
    uint64_t pending_bytes_ = 0;
};

}  // namespace iotwatch

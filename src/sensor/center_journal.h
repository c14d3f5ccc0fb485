// CenterJournal: the centre's durable inbox of sensor batches, one directory per sensor
// (<dir>/<sensor>/<seq>.batch). A batch is acknowledged to its sensor only after it is on disk
// here, and removed only after the ingest that consumed it committed (MergedSensorStream calls
// remove_through), so a centre killed at any point loses nothing.
//
// Dedupe: per sensor, the highest sequence number ever accepted (the newest journaled batch, or the
// consumed floor from the ingest checkpoint) is the high-water mark; a batch at or below it is a
// resend and is acknowledged without being stored again.
//
// Also the centre's view of each sensor's health (last contact, counters, watermark). Thread-safe:
// receiver threads accept, the ingest thread reads and removes.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/durable_file.h"
#include "sensor/sensor_batch.h"
#include "store/rows.h"

namespace iotwatch {

class CenterJournal {
public:
    /// Opens (creating) `dir` for the named sensors; scans what an earlier run left. Throws
    /// StoreError when unusable, InputError naming a damaged journal file.
    CenterJournal(std::string dir, const std::vector<std::string>& sensors);

    enum class Accepted { kStored, kDuplicate };
    /// Stores `bytes` (the encoded `batch`) durably unless it is a resend. `remote` and `now_ns`
    /// are recorded as the sensor's last contact. Throws StoreError when the disk write fails.
    Accepted accept(const SensorBatch& batch, const std::string& bytes, const std::string& remote, int64_t now_ns);
    /// Next sequence number the sensor should send (high-water mark + 1).
    uint64_t next_expected(const std::string& sensor) const;
    /// Batches up to `seq` were consumed by a committed ingest (raises the high-water mark).
    void set_consumed_floor(const std::string& sensor, uint64_t seq);
    /// Smallest journaled sequence number > `after`, if any.
    std::optional<uint64_t> next_journaled(const std::string& sensor, uint64_t after) const;
    SensorBatch load(const std::string& sensor, uint64_t seq) const;
    /// Deletes journaled batches <= seq (their packets are committed to the store).
    void remove_through(const std::string& sensor, uint64_t seq);

    /// What the merge needs to know about a sensor without data in hand.
    struct Progress {
        int64_t watermark_ns = INT64_MIN;  // the newest batch's watermark
        bool final = false;                // its inputs ended
        int64_t last_contact_ns = 0;       // wall clock of the last accepted or resent batch; 0: never
    };
    Progress progress(const std::string& sensor) const;
    /// What the ingest has counted of a sensor (kept in its checkpoint, so exact across crashes).
    struct Consumed {
        uint64_t through_seq = 0;  // batches up to here are counted
        uint64_t batches = 0;
        uint64_t packets = 0;
    };
    /// Health rows for the store (`now_ns` is the time of the snapshot); the backlog is what lies
    /// beyond `consumed`, and batches/packets are its counts.
    std::vector<SensorHealthRow> health(int64_t now_ns, const std::map<std::string, Consumed>& consumed) const;
    /// Counters of an earlier centre run (from the store), so totals continue across restarts.
    void seed_health(const std::vector<SensorHealthRow>& rows);
    const std::vector<std::string>& sensors() const { return names_; }
    bool knows(const std::string& sensor) const { return state_.count(sensor) != 0; }

    /// Blocks until accept() stored something new or `timeout_ms` passed.
    void wait_for_batches(int timeout_ms);
    /// Wakes every wait_for_batches (shutdown).
    void wake_all();

private:
    struct SensorState {
        // Held across one batch's check-write-record: a restarted sensor's new connection and the
        // old one's last request may carry the same batch at the same time.
        std::unique_ptr<std::mutex> writing = std::make_unique<std::mutex>();
        uint64_t high_water = 0;
        std::vector<uint64_t> journaled;  // ascending
        Progress progress;
        SensorHealthRow health;
    };
    std::string path_of(const std::string& sensor, uint64_t seq) const;
    static SensorBatch load_unlocked_(const std::string& sensor_dir, uint64_t seq);
    void note(SensorState& s, const SensorBatch& b, const std::string& remote, int64_t now_ns);

    std::string dir_;
    std::unique_ptr<DirectoryLock> lock_;  // one centre per journal
    std::vector<std::string> names_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    uint64_t generation_ = 0;
    std::map<std::string, SensorState> state_;
};

}  // namespace iotwatch

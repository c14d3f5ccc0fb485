#include "sensor/sensor_spool.h"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "core/byte_buffer.h"
#include "core/durable_file.h"
#include "core/error.h"

namespace iotwatch {

namespace fs = std::filesystem;

namespace {
constexpr const char* kStateVersion = "iotwatch-sensor-spool-2";
}  // namespace

SensorSpool::SensorSpool(std::string dir) : dir_(std::move(dir)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw StoreError(dir_ + ": cannot create the spool directory: " + ec.message());
    if (::access(dir_.c_str(), W_OK) != 0) throw StoreError(dir_ + ": spool directory is not writable");
    lock_ = std::make_unique<DirectoryLock>(dir_);
    if (fs::exists(dir_ + "/state")) {
        const std::string raw = read_file_bytes(dir_ + "/state");
        ByteReader r(raw, dir_ + "/state");
        if (r.get_string() != kStateVersion) r.fail("unknown spool state version");
        acked_ = r.get<uint64_t>();
        acked_position_ = r.get_string();
        acked_watermark_ = r.get<int64_t>();
        newest_position_ = acked_position_;
        newest_watermark_ = acked_watermark_;
        next_seq_ = acked_ + 1;
    }
    for (const auto& e : fs::directory_iterator(dir_)) {
        const std::string name = e.path().filename().string();
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
            fs::remove(e.path(), ec);  // an interrupted write: never acknowledged, never sent
            continue;
        }
        uint64_t seq;
        if (!parse_batch_file_name(name, seq)) continue;
        if (seq <= acked_) {  // acknowledged, but the process died before removing it
            fs::remove(e.path(), ec);
            continue;
        }
        pending_.push_back({seq, uint64_t(e.file_size())});
    }
    std::sort(pending_.begin(), pending_.end());
    for (const auto& [seq, bytes] : pending_) pending_bytes_ += bytes;
    if (!pending_.empty()) {
        const uint64_t newest = pending_.back().first;
        next_seq_ = newest + 1;
        const SensorBatch b = decode_sensor_batch(read_file_bytes(path_of(newest)), path_of(newest));
        newest_position_ = b.position;
        newest_watermark_ = b.watermark_ns;
    }
}

std::string SensorSpool::path_of(uint64_t seq) const { return dir_ + "/" + batch_file_name(seq); }

void SensorSpool::append(SensorBatch& batch) {
    std::unique_lock lock(mu_);
    batch.seq = next_seq_;
    const std::string bytes = encode_sensor_batch(batch);
    const std::string path = path_of(batch.seq);
    lock.unlock();  // the sender may read older batches meanwhile; only this thread appends
    write_file_durably(path, bytes);
    lock.lock();
    ++next_seq_;
    pending_.push_back({batch.seq, bytes.size()});
    pending_bytes_ += bytes.size();
    newest_position_ = batch.position;
    newest_watermark_ = batch.watermark_ns;
}

std::vector<uint64_t> SensorSpool::pending() const {
    std::lock_guard lock(mu_);
    std::vector<uint64_t> out;
    out.reserve(pending_.size());
    for (const auto& p : pending_) out.push_back(p.first);
    return out;
}

std::string SensorSpool::read(uint64_t seq) const { return read_file_bytes(path_of(seq)); }

void SensorSpool::write_state(uint64_t acked, const std::string& position, int64_t watermark) {
    ByteWriter w;
    w.put_string(kStateVersion);
    w.put<uint64_t>(acked);
    w.put_string(position);
    w.put<int64_t>(watermark);
    write_file_durably(dir_ + "/state", w.data());
}

void SensorSpool::acknowledge_through(uint64_t seq) {
    std::vector<uint64_t> gone;
    std::string position;
    int64_t watermark = INT64_MIN;
    {
        std::lock_guard lock(mu_);
        if (seq <= acked_) return;
        watermark = acked_watermark_;
        for (const auto& p : pending_)
            if (p.first <= seq) gone.push_back(p.first);
    }
    if (!gone.empty()) {
        const SensorBatch b = decode_sensor_batch(read_file_bytes(path_of(gone.back())), path_of(gone.back()));
        position = b.position;
        watermark = b.watermark_ns;
    } else {
        std::lock_guard lock(mu_);
        position = acked_position_;
    }
    // State first: a crash after it leaves files that the next start recognises as acknowledged.
    write_state(seq, position, watermark);
    std::error_code ec;
    for (uint64_t s : gone) fs::remove(path_of(s), ec);
    std::lock_guard lock(mu_);
    acked_ = seq;
    acked_position_ = position;
    acked_watermark_ = watermark;
    while (!pending_.empty() && pending_.front().first <= seq) {
        pending_bytes_ -= pending_.front().second;
        pending_.erase(pending_.begin());
    }
}

std::string SensorSpool::resume_position() const {
    std::lock_guard lock(mu_);
    return newest_position_;
}
int64_t SensorSpool::resume_watermark() const {
    std::lock_guard lock(mu_);
    return newest_watermark_;
}
uint64_t SensorSpool::next_seq() const {
    std::lock_guard lock(mu_);
    return next_seq_;
}
uint64_t SensorSpool::pending_batches() const {
    std::lock_guard lock(mu_);
    return pending_.size();
}
uint64_t SensorSpool::pending_bytes() const {
    std::lock_guard lock(mu_);
    return pending_bytes_;
}

}  // namespace iotwatch

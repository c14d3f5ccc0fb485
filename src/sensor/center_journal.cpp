#include "sensor/center_journal.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "core/durable_file.h"
#include "core/error.h"

namespace iotwatch {

namespace fs = std::filesystem;

CenterJournal::CenterJournal(std::string dir, const std::vector<std::string>& sensors)
    : dir_(std::move(dir)), names_(sensors) {
    std::error_code mkdir_error;
    fs::create_directories(dir_, mkdir_error);
    if (mkdir_error) throw StoreError(dir_ + ": cannot create the journal directory: " + mkdir_error.message());
    lock_ = std::make_unique<DirectoryLock>(dir_);
    for (const auto& name : names_) {
        if (name.empty() || name.size() > SensorBatch::kMaxNameLength ||
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos ||
            name[0] == '.')
            throw ConfigError("sensor name '" + name + "' cannot name a journal directory (use letters, digits, . _ -)");
        const std::string sdir = dir_ + "/" + name;
        std::error_code ec;
        fs::create_directories(sdir, ec);
        if (ec) throw StoreError(sdir + ": cannot create the journal directory: " + ec.message());
        SensorState st;
        st.health.sensor = name;
        for (const auto& e : fs::directory_iterator(sdir)) {
            const std::string fname = e.path().filename().string();
            if (fname.size() > 4 && fname.compare(fname.size() - 4, 4, ".tmp") == 0) {
                fs::remove(e.path(), ec);  // never acknowledged
                continue;
            }
            uint64_t seq;
            if (parse_batch_file_name(fname, seq)) st.journaled.push_back(seq);
        }
        std::sort(st.journaled.begin(), st.journaled.end());
        if (!st.journaled.empty()) {
            st.high_water = st.journaled.back();
            const SensorBatch newest = load_unlocked_(sdir, st.journaled.back());
            st.progress.watermark_ns = newest.watermark_ns;
            st.progress.final = newest.final();
            st.health.watermark_ns = newest.watermark_ns;
            st.health.final = newest.final();
        }
        st.health.backlog_batches = st.journaled.size();
        state_.emplace(name, std::move(st));
    }
}

SensorBatch CenterJournal::load_unlocked_(const std::string& sdir, uint64_t seq) {
    const std::string path = sdir + "/" + batch_file_name(seq);
    return decode_sensor_batch(read_file_bytes(path), path);
}

std::string CenterJournal::path_of(const std::string& sensor, uint64_t seq) const {
    return dir_ + "/" + sensor + "/" + batch_file_name(seq);
}

void CenterJournal::note(SensorState& s, const SensorBatch& b, const std::string& remote, int64_t now_ns) {
    s.progress.last_contact_ns = now_ns;
    s.health.last_contact_ns = now_ns;
    s.health.remote = remote;
    s.health.captured = b.counters.captured;
    s.health.darknet = b.counters.darknet;
    s.health.kernel_drops = b.counters.kernel_drops;
    s.health.interface_drops = b.counters.interface_drops;
    s.health.spool_batches = b.counters.spool_batches;
    s.health.spool_bytes = b.counters.spool_bytes;
}

CenterJournal::Accepted CenterJournal::accept(const SensorBatch& batch, const std::string& bytes,
                                              const std::string& remote, int64_t now_ns) {
    std::unique_lock lock(mu_);
    auto it = state_.find(batch.sensor);
    if (it == state_.end()) throw ConfigError("unknown sensor '" + batch.sensor + "'");
    SensorState& s = it->second;  // map nodes never move or go away
    lock.unlock();
    std::lock_guard one_at_a_time(*s.writing);
    lock.lock();
    if (batch.seq <= s.high_water) {
        ++s.health.duplicates;
        s.progress.last_contact_ns = now_ns;
        s.health.last_contact_ns = now_ns;
        return Accepted::kDuplicate;
    }
    // The disk write holds only this sensor's `writing` lock: other sensors are not held up by it.
    const std::string path = path_of(batch.sensor, batch.seq);
    lock.unlock();
    write_file_durably(path, bytes);
    lock.lock();
    s.high_water = batch.seq;
    s.journaled.insert(std::upper_bound(s.journaled.begin(), s.journaled.end(), batch.seq), batch.seq);
    s.progress.watermark_ns = std::max(s.progress.watermark_ns, batch.watermark_ns);
    s.progress.final = batch.final();
    s.health.watermark_ns = s.progress.watermark_ns;
    s.health.final = batch.final();
    s.health.backlog_batches = s.journaled.size();
    note(s, batch, remote, now_ns);
    ++generation_;
    cv_.notify_all();
    return Accepted::kStored;
}

uint64_t CenterJournal::next_expected(const std::string& sensor) const {
    std::lock_guard lock(mu_);
    auto it = state_.find(sensor);
    return it == state_.end() ? 1 : it->second.high_water + 1;
}

void CenterJournal::set_consumed_floor(const std::string& sensor, uint64_t seq) {
    std::lock_guard lock(mu_);
    auto it = state_.find(sensor);
    if (it == state_.end()) return;
    it->second.high_water = std::max(it->second.high_water, seq);
}

std::optional<uint64_t> CenterJournal::next_journaled(const std::string& sensor, uint64_t after) const {
    std::lock_guard lock(mu_);
    auto it = state_.find(sensor);
    if (it == state_.end()) return std::nullopt;
    const auto& j = it->second.journaled;
    auto pos = std::upper_bound(j.begin(), j.end(), after);
    if (pos == j.end()) return std::nullopt;
    return *pos;
}

SensorBatch CenterJournal::load(const std::string& sensor, uint64_t seq) const {
    return load_unlocked_(dir_ + "/" + sensor, seq);
}

void CenterJournal::remove_through(const std::string& sensor, uint64_t seq) {
    std::vector<uint64_t> gone;
    {
        std::lock_guard lock(mu_);
        auto it = state_.find(sensor);
        if (it == state_.end()) return;
        auto& j = it->second.journaled;
        auto end = std::upper_bound(j.begin(), j.end(), seq);
        gone.assign(j.begin(), end);
        j.erase(j.begin(), end);
        it->second.health.backlog_batches = j.size();
    }
    std::error_code ec;
    for (uint64_t s : gone) fs::remove(path_of(sensor, s), ec);
}

CenterJournal::Progress CenterJournal::progress(const std::string& sensor) const {
    std::lock_guard lock(mu_);
    auto it = state_.find(sensor);
    return it == state_.end() ? Progress{} : it->second.progress;
}

std::vector<SensorHealthRow> CenterJournal::health(int64_t now_ns,
                                                   const std::map<std::string, Consumed>& consumed) const {
    std::lock_guard lock(mu_);
    std::vector<SensorHealthRow> out;
    for (const auto& name : names_) {
        const SensorState& st = state_.at(name);
        SensorHealthRow h = st.health;
        h.updated_ns = now_ns;
        if (auto c = consumed.find(name); c != consumed.end()) {
            h.backlog_batches = uint64_t(st.journaled.end() - std::upper_bound(st.journaled.begin(), st.journaled.end(),
                                                                               c->second.through_seq));
            h.batches = c->second.batches;
            h.packets = c->second.packets;
        }
        out.push_back(h);
    }
    return out;
}

void CenterJournal::seed_health(const std::vector<SensorHealthRow>& rows) {
    std::lock_guard lock(mu_);
    for (const auto& r : rows) {
        auto it = state_.find(r.sensor);
        if (it == state_.end()) continue;
        auto& h = it->second.health;
        const uint64_t backlog = h.backlog_batches;
        const int64_t watermark = h.watermark_ns;
        const bool final = h.final;
        h = r;
        h.backlog_batches = backlog;
        if (!it->second.journaled.empty()) {
            h.watermark_ns = watermark;
            h.final = final;
        } else {
            it->second.progress.watermark_ns = r.watermark_ns;
            it->second.progress.final = r.final;
        }
    }
}

void CenterJournal::wait_for_batches(int timeout_ms) {
    std::unique_lock lock(mu_);
    const uint64_t seen = generation_;
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return generation_ != seen; });
}

void CenterJournal::wake_all() {
    std::lock_guard lock(mu_);
    ++generation_;
    cv_.notify_all();
}

}  // namespace iotwatch

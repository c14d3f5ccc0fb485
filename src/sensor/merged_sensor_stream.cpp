#include "sensor/merged_sensor_stream.h"

#include <chrono>
#include <limits>
#include <map>
#include <sstream>

#include "core/error.h"
#include "store/store.h"

namespace iotwatch {

namespace {
constexpr const char* kPositionVersion = "merge1";
}

MergedSensorStream::MergedSensorStream(CenterJournal& journal, Options options, std::function<int64_t()> wall_clock)
    : journal_(journal), options_(options), clock_(std::move(wall_clock)), started_ns_(clock_()) {
    for (const auto& name : journal_.sensors()) {
        Lane lane;
        lane.name = name;
        lanes_.push_back(std::move(lane));
    }
}

namespace {

/// One sensor's part of a position: "NAME=DONE:SEQ:INDEX:PACKETS:BATCHES" (batches <= DONE are
/// consumed, batch SEQ up to packet INDEX; PACKETS and BATCHES counted so far).
struct LanePosition {
    std::string name;
    unsigned long long done = 0, seq = 0, index = 0, packets = 0, batches = 0;
};

/// Parses "merge1;LANE;LANE..."; throws InputError naming the part that is wrong.
std::vector<LanePosition> parse_position(const std::string& position) {
    std::vector<LanePosition> out;
    std::istringstream in(position);
    std::string part;
    std::getline(in, part, ';');
    if (part != kPositionVersion) throw InputError("checkpoint", UINT64_MAX, "unknown sensor merge position '" + part + "'");
    while (std::getline(in, part, ';')) {
        const auto eq = part.find('=');
        LanePosition p;
        if (eq == std::string::npos || std::sscanf(part.c_str() + eq + 1, "%llu:%llu:%llu:%llu:%llu", &p.done, &p.seq,
                                                   &p.index, &p.packets, &p.batches) != 5)
            throw InputError("checkpoint", UINT64_MAX, "bad sensor merge position '" + part + "'");
        p.name = part.substr(0, eq);
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace

void MergedSensorStream::seek(const std::string& position) {
    if (!position.empty()) {
        for (const auto& p : parse_position(position)) {
            for (auto& lane : lanes_) {
                if (lane.name != p.name) continue;  // a sensor removed from the configuration: ignored
                lane.done_seq = p.done;
                lane.resume_seq = p.seq;
                lane.resume_index = static_cast<uint32_t>(p.index);
                lane.packets = p.packets;
                lane.batches = p.batches;
            }
        }
    }
    for (auto& lane : lanes_) {
        journal_.set_consumed_floor(lane.name, lane.done_seq);
        journal_.remove_through(lane.name, lane.done_seq);  // committed before a crash, not yet deleted
    }
    std::lock_guard lock(ready_mu_);
    ready_ = true;
    ready_cv_.notify_all();
}

void MergedSensorStream::wait_ready() {
    std::unique_lock lock(ready_mu_);
    ready_cv_.wait(lock, [&] { return ready_; });
}

std::string MergedSensorStream::encode_position(const std::vector<Lane>& lanes) {
    std::string out = kPositionVersion;
    for (const auto& lane : lanes) {
        uint64_t done = lane.done_seq, seq = 0, index = 0, batches = lane.batches;
        if (lane.batch) {
            if (lane.index >= lane.batch->packets.size())
                done = lane.batch_seq, ++batches;
            else if (lane.index > 0)
                seq = lane.batch_seq, index = lane.index;
        }
        out += ";" + lane.name + "=" + std::to_string(done) + ":" + std::to_string(seq) + ":" + std::to_string(index) +
               ":" + std::to_string(lane.packets) + ":" + std::to_string(batches);
    }
    return out;
}

std::string MergedSensorStream::position() const { return encode_position(lanes_); }

bool MergedSensorStream::head(Lane& lane) {
    for (;;) {
        if (lane.batch) {
            if (lane.index < lane.batch->packets.size()) return true;
            lane.done_seq = lane.batch_seq;
            ++lane.batches;
            lane.batch.reset();
        }
        const auto next = journal_.next_journaled(lane.name, lane.done_seq);
        if (!next) return false;
        lane.batch = journal_.load(lane.name, *next);
        lane.batch_seq = *next;
        lane.index = 0;
        if (*next == lane.resume_seq) {
            lane.index = std::min<size_t>(lane.resume_index, lane.batch->packets.size());
            lane.resume_seq = 0;
        }
    }
}

bool MergedSensorStream::next(RawPacket& out) {
    bool idle = false;
    while (next_or_idle(out, idle))
        if (!idle) return true;
    return false;
}

bool MergedSensorStream::next_or_idle(RawPacket& out, bool& idle) {
    idle = false;
    // Real time, not clock_: this is about how often the caller gets to checkpoint.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    while (!stop_.load()) {
        const int64_t now = clock_();
        const int64_t hold_ns = static_cast<int64_t>(options_.hold_seconds * 1e9);
        int64_t release_until = std::numeric_limits<int64_t>::max();
        Lane* best = nullptr;
        int64_t best_ts = 0;
        bool all_final = true;
        for (auto& lane : lanes_) {
            const bool has = head(lane);
            const auto progress = journal_.progress(lane.name);
            if (!progress.final || has) all_final = false;
            if (has) {
                const int64_t ts = lane.batch->packets[lane.index].ts_ns;
                if (!best || ts < best_ts) best = &lane, best_ts = ts;
                continue;
            }
            // Nothing in hand: does this sensor hold the merge back?
            const int64_t seen = std::max(progress.last_contact_ns, started_ns_);
            if (!progress.final && now - seen < hold_ns) release_until = std::min(release_until, progress.watermark_ns);
        }
        if (best && best_ts <= release_until) {
            const SensorBatch& b = *best->batch;
            const BatchPacket& p = b.packets[best->index++];
            ++best->packets;
            out.ts_ns = p.ts_ns;
            out.caplen = p.caplen;
            out.wirelen = p.wirelen;
            out.linktype = p.linktype;
            out.interface_id = 0;
            out.record_offset = 0;
            out.data = b.data(p);
            if (p.ts_ns < last_ts_) late_.fetch_add(1);
            else last_ts_ = p.ts_ns;
            emitted_.fetch_add(1);
            return true;
        }
        if (options_.exit_when_final && all_final) return false;
        if (std::chrono::steady_clock::now() >= give_up) {
            idle = true;
            return true;
        }
        journal_.wait_for_batches(best ? 20 : 200);
    }
    return false;
}

void MergedSensorStream::request_stop() {
    stop_.store(true);
    journal_.wake_all();
}

void MergedSensorStream::before_commit(Store& store) {
    std::map<std::string, CenterJournal::Consumed> consumed;
    for (const auto& lane : lanes_) {
        const bool whole = lane.batch && lane.index >= lane.batch->packets.size();
        consumed[lane.name] = {whole ? lane.batch_seq : lane.done_seq, lane.batches + (whole ? 1 : 0), lane.packets};
    }
    store.put_sensor_health(journal_.health(clock_(), consumed));
}

void MergedSensorStream::committed(const std::string& position) {
    for (const auto& p : parse_position(position)) journal_.remove_through(p.name, p.done);
}

}  // namespace iotwatch

#include "pipeline/ingest_job.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <set>

#include "capture/decoded_packet.h"
#include "core/byte_buffer.h"

namespace iotwatch {
namespace {

using Clock = std::chrono::steady_clock;

/// Writes closed bins straight into the store (inside the job's open transaction).
class StoreSink final : public BinSink {
public:
    explicit StoreSink(Store& store) : store_(store) {}
    void on_rows(const BinRows& rows, bool) override {
        store_.put_class_bins(rows.classes);
        store_.put_port_bins(rows.ports);
        store_.put_bin_meta(rows.meta);
        store_.put_sensor_bins(rows.sensors);
        store_.put_source_days(rows.sources);
    }

private:
    Store& store_;
};

/// The checkpoint's state blob: where we are inside the current input, then the aggregator.
struct Position {
    std::string input;     // identity of a partly ingested input ("" when between inputs)
    uint64_t records = 0;  // records of it already counted
};

std::string encode_state(const Position& pos, const std::string& aggregator_state) {
    ByteWriter w;
    w.put_string("iotwatch-ingest-v1");
    w.put_string(pos.input);
    w.put(pos.records);
    w.put_string(aggregator_state);
    return std::move(w.data());
}

std::string human_rate(double per_second) {
    char buf[32];
    if (per_second >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2f M/s", per_second / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.0f k/s", per_second / 1e3);
    return buf;
}

uint64_t file_size(const std::string& path) {
    struct stat st {};
    return (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ? uint64_t(st.st_size) : 0;
}

}  // namespace

std::string input_identity(const std::string& path) {
    if (path == "-") return "-";
    std::error_code ec;
    auto abs = std::filesystem::absolute(path, ec);
    return (ec ? path : abs.lexically_normal().string()) + "|" + std::to_string(file_size(path));
}

IngestJob::IngestJob(IngestOptions options, const Darknet& darknet, Store& store)
    : options_(std::move(options)), darknet_(darknet), store_(store) {}

IngestResult IngestJob::run(const std::atomic<bool>* stop, std::ostream& log) {
    IngestResult result;
    StoreSink sink(store_);
    TelescopeAggregator aggregator(darknet_, sink);
    const auto t0 = Clock::now();

    // Expand directories (files ordered by first timestamp) into the input list.
    std::vector<std::string> files;
    for (const auto& in : options_.inputs) {
        struct stat st {};
        if (in != "-" && ::stat(in.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            for (auto& f : list_capture_directory(in)) files.push_back(f);
        } else {
            files.push_back(in);
        }
    }
    uint64_t total_bytes = 0;
    for (const auto& f : files) total_bytes += file_size(f);

    store_.begin();
    std::set<std::string> completed;
    Position resume;
    if (auto cp = store_.load_checkpoint(); cp && !options_.reset) {
        ByteReader r(cp->state, "checkpoint in the database");
        if (r.get_string() != "iotwatch-ingest-v1") r.fail("unknown checkpoint version");
        resume.input = r.get_string();
        resume.records = r.get<uint64_t>();
        aggregator.restore(r.get_string());
        completed.insert(cp->completed_inputs.begin(), cp->completed_inputs.end());
        result.resumed = true;
    } else if (cp && options_.reset) {
        store_.clear_checkpoint();
    }

    // Commits rows + checkpoint in one transaction, then opens the next one.
    auto checkpoint = [&](const Position& pos) {
        aggregator.flush_open();
        Checkpoint cp;
        cp.completed_inputs.assign(completed.begin(), completed.end());
        cp.state = encode_state(pos, aggregator.serialize());
        store_.save_checkpoint(cp);
        store_.commit();
        store_.begin();
    };

    DecodedPacket pkt;
    RawPacket raw;
    auto last_checkpoint = Clock::now();
    auto last_progress = Clock::now();
    uint64_t bytes_before_current = 0;
    const bool show_progress = options_.progress;

    auto progress_line = [&](const std::string& name, uint64_t offset, bool final_line) {
        double el = std::chrono::duration<double>(Clock::now() - t0).count();
        double rate = el > 0 ? double(result.frames) / el : 0;
        std::string line = "ingest: " + std::to_string(result.frames) + " packets, " + human_rate(rate);
        uint64_t done = bytes_before_current + offset;
        if (total_bytes > 0 && !final_line) {
            double frac = std::min(1.0, double(done) / double(total_bytes));
            int eta = frac > 0 ? int(el / frac - el) : 0;
            char buf[64];
            std::snprintf(buf, sizeof buf, ", %.1f%%, ETA %d:%02d:%02d", frac * 100, eta / 3600, eta / 60 % 60,
                          eta % 60);
            line += buf;
        }
        line += " [" + name + "]";
        log << "\r" << line << "\033[K" << (final_line ? "\n" : "") << std::flush;
    };

    auto consume = [&](PacketSource& src, InputReport& report, const std::string& identity,
                       uint64_t skip) -> bool /* false when stopped */ {
        uint64_t records = 0;
        while (records < skip && src.next(raw)) ++records;  // resume inside a partly ingested input
        report.frames = 0;
        uint64_t since_check = 0;
        while (src.next(raw)) {
            decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, pkt);
            aggregator.process(pkt);
            ++records;
            ++report.frames;
            ++result.frames;
            result.wire_bytes += raw.wirelen;
            if (++since_check < 65536) continue;
            since_check = 0;
            if (stop && stop->load(std::memory_order_relaxed)) {
                checkpoint({identity, records});
                return false;
            }
            auto now = Clock::now();
            if (std::chrono::duration<double>(now - last_checkpoint).count() >= options_.checkpoint_seconds) {
                checkpoint({identity, records});
                last_checkpoint = now;
            }
            if (show_progress && now - last_progress > std::chrono::milliseconds(500)) {
                progress_line(src.current_name(), src.current_offset(), false);
                last_progress = now;
            }
        }
        return !(stop && stop->load());
    };

    if (!options_.live_interface.empty()) {
        auto src = open_live_capture(options_.live_interface, 262144, options_.bpf_filter);
        InputReport report;
        report.name = "live:" + options_.live_interface;
        // Live input cannot be re-read: the checkpoint only carries the aggregator state. Stop is
        // delivered through request_stop() by the signal handler's flag, checked between packets.
        std::atomic<bool> local_stop{false};
        const std::atomic<bool>* flag = stop ? stop : &local_stop;
        while (!flag->load()) {
            if (!src->next(raw)) break;
            decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, pkt);
            aggregator.process(pkt);
            ++report.frames;
            ++result.frames;
            result.wire_bytes += raw.wirelen;
            auto now = Clock::now();
            if (std::chrono::duration<double>(now - last_checkpoint).count() >= options_.checkpoint_seconds) {
                checkpoint({});
                last_checkpoint = now;
            }
        }
        result.drops = src->drop_stats();
        result.interrupted = flag->load();
        result.inputs.push_back(report);
        result.memory = aggregator.memory();
        checkpoint({});
        store_.commit();
        result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        return result;
    }

    for (const auto& path : files) {
        InputReport report;
        report.name = path;
        const std::string identity = input_identity(path);
        if (identity != "-" && completed.count(identity)) {
            report.skipped = true;
            result.inputs.push_back(report);
            bytes_before_current += file_size(path);
            continue;
        }
        const uint64_t skip = (identity == resume.input) ? resume.records : 0;
        bool stopped = false;
        try {
            auto src = open_capture_file(path, options_.reader);
            stopped = !consume(*src, report, identity, skip);
        } catch (const InputError& e) {
            // Everything before the bad record was counted; the input counts as done so a rerun
            // does not count its good part twice.
            report.error = e.what();
        }
        result.inputs.push_back(report);
        if (stopped) {
            result.interrupted = true;
            break;
        }
        if (identity != "-") completed.insert(identity);
        bytes_before_current += file_size(path);
        checkpoint({});
        last_checkpoint = Clock::now();
    }
    if (show_progress) progress_line(files.empty() ? "-" : files.back(), 0, true);
    result.memory = aggregator.memory();
    store_.commit();
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return result;
}

}  // namespace iotwatch

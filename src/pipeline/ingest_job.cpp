#include "pipeline/ingest_job.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <array>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <ostream>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "capture/decoded_packet.h"
#include "core/byte_buffer.h"
#include "core/stop_watcher.h"
#include "pipeline/decode_ahead_reader.h"
#include "pipeline/live_event_sender.h"
#include "pipeline/row_merger.h"
#include "telescope/packet_classifier.h"

namespace iotwatch {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kStateVersion[] = "iotwatch-ingest-v2";
constexpr size_t kBatch = 64;

/// Writes rows into the store (inside the job's open transaction): straight away, or, between
/// defer() and the end of write_deferred(), queued by the threads that hand them over and written
/// by the thread in write_deferred(), so that the workers of a checkpoint serialize their state
/// while their merged rows are written, and the workers reading a file go on while the rows of
/// the bins they closed are written (BackgroundWriter).
class StoreSink final : public BinSink {
public:
    explicit StoreSink(Store& store) : store_(store) {}
    void on_rows(const BinRows& rows, bool) override {
        if (deferring_) return enqueue(BinRows(rows));
        write(rows);
    }
    void on_rows_owned(BinRows&& rows, bool) override {
        if (deferring_) return enqueue(std::move(rows));
        write(rows);
    }
    /// Queues rows from now on, until `producers` threads have called producer_done(). Call
    /// before those threads start.
    void defer(size_t producers) {
        producers_left_ = producers;
        deferring_ = true;
    }
    /// A producer will hand over no more rows (call it also when it failed).
    void producer_done() {
        std::lock_guard<std::mutex> lock(mu_);
        --producers_left_;
        ready_.notify_one();
    }
    /// Writes the queued rows as they come until every producer is done, then writes straight
    /// away again. A store error is rethrown once every producer is done (the rest is dropped).
    void write_deferred() {
        std::exception_ptr error;
        for (;;) {
            BinRows rows;
            {
                std::unique_lock<std::mutex> lock(mu_);
                ready_.wait(lock, [&] { return !queue_.empty() || producers_left_ == 0; });
                if (queue_.empty()) break;
                rows = std::move(queue_.front());
                queue_.pop_front();
            }
            room_.notify_all();
            if (error) continue;
            try {
                write(rows);
            } catch (...) {
                error = std::current_exception();
            }
        }
        deferring_ = false;
        if (error) std::rethrow_exception(error);
    }

private:
    void enqueue(BinRows&& rows) {
        // Bounded: a producer far ahead of the store waits rather than holding every bin's rows.
        std::unique_lock<std::mutex> lock(mu_);
        room_.wait(lock, [&] { return queue_.size() < kMaxQueued; });
        queue_.push_back(std::move(rows));
        ready_.notify_one();
    }
    void write(const BinRows& rows) {
        if (rows.empty() && rows.ports.empty() && rows.sensors.empty()) return;  // empty() covers events
        store_.put_class_bins(rows.classes);
        // Fine-grained rows for ports with a single source in a bin are mostly backscatter noise
        // and were 85% of all rows written: they are summed per bin (see PortBinRow).
        ports_ = rows.ports;
        fold_sparse_ports(ports_);
        store_.put_port_bins(ports_);
        store_.put_bin_meta(rows.meta);
        store_.put_sensor_bins(rows.sensors);
        store_.put_source_days(rows.sources);
        store_.put_scan_events(rows.scans);
        store_.put_dos_attacks(rows.attacks);
        store_.put_source_labels(rows.labels);
    }

    Store& store_;
    std::vector<PortBinRow> ports_;
    std::atomic<bool> deferring_{false};
    std::mutex mu_;
    static constexpr size_t kMaxQueued = 16;
    std::condition_variable ready_, room_;
    std::deque<BinRows> queue_;
    size_t producers_left_ = 0;
};

/// While workers read a file, the rows of the bins they close are written into the store by a
/// thread of its own, not by the worker that closed the bins (who waited for SQLite: 3% of a
/// 1-worker ingest of the 20 M-packet benchmark). stop() returns once every row handed over is
/// written, so that a checkpoint commits them in its transaction (and at the end of an input).
class BackgroundWriter {
public:
    explicit BackgroundWriter(StoreSink& sink) : sink_(sink) {}
    ~BackgroundWriter() {
        try {
            stop();
        } catch (...) {  // reported by the stop() of the normal path; here the job is failing already
        }
    }
    void start() {
        sink_.defer(1);
        thread_ = std::thread([this] {
            try {
                sink_.write_deferred();
            } catch (...) {
                error_ = std::current_exception();
            }
        });
    }
    /// Returns once the queued rows are written; rethrows the store's error.
    void stop() {
        if (!thread_.joinable()) return;
        sink_.producer_done();
        thread_.join();
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }

private:
    StoreSink& sink_;
    std::thread thread_;
    std::exception_ptr error_;
};

/// Where we are inside the current input ("" when between inputs).
struct Position {
    std::string input;
    uint64_t records = 0;
};

/// A checkpoint of a ResumablePacketStream stores its position as this prefix + the position.
constexpr std::string_view kStreamPrefix = "stream:";

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
    bool has_stdin = false;
    for (const auto& f : files) {
        total_bytes += file_size(f);
        has_stdin = has_stdin || f == "-";
    }
    // stdin and live capture cannot be read once per worker.
    const unsigned n_workers =
        (has_stdin || !options_.live_interface.empty()) ? 1u : std::max(1u, options_.threads);
    result.threads = n_workers;

    StoreSink store_sink(store_);
    RowMerger merger(store_sink, n_workers);
    std::vector<std::unique_ptr<TelescopeAggregator>> aggs;
    bool detector_thread = false;
    for (unsigned i = 0; i < n_workers; ++i) {
        aggs.push_back(std::make_unique<TelescopeAggregator>(darknet_, merger.worker_sink(i)));
        aggs.back()->set_partition(i, n_workers);
        if (!options_.detectors.empty()) {
            aggs.back()->set_detectors(make_detectors(options_.detectors, darknet_, options_.detector_config));
            using Mode = IngestOptions::DetectorThreadMode;
            // One worker leaves a core idle: the detectors take it (they cost more than the
            // counting on the benchmark). Several workers already use the cores.
            if (n_workers == 1 && (options_.detector_thread == Mode::kOn ||
                                   (options_.detector_thread == Mode::kAuto && std::thread::hardware_concurrency() >= 2))) {
                aggs.back()->run_detectors_on_thread();
                detector_thread = true;
            }
        }
        // One worker: the day's (source, destination) pairs are sorted on another core while the
        // packets are counted, instead of at the checkpoint (SourcePairLog). With the detector
        // thread too the cores are shared, but the sort's work then lands in the packet phase,
        // where the worker waits on memory, instead of on the final checkpoint's critical path.
        using Mode = IngestOptions::DetectorThreadMode;
        if (n_workers == 1 && (options_.pair_sort_thread == Mode::kOn ||
                               (options_.pair_sort_thread == Mode::kAuto && std::thread::hardware_concurrency() >= 2)))
            aggs.back()->sort_pairs_in_background();
    }

    // One worker reading files: its records are read and decoded on another core while it counts
    // (DecodeAheadReader). Not by default beside a detector thread, which already takes that
    // core: ingest --threads 1 --detect, 5 alternating runs, wall medians 6.07 s without the
    // decode thread, 6.38 s with it. Plain, 7 runs: 3.90 -> 3.43 s.
    using Mode = IngestOptions::DetectorThreadMode;
    const bool use_decode_thread =
        n_workers == 1 && (options_.decode_thread == Mode::kOn ||
                           (options_.decode_thread == Mode::kAuto && !detector_thread &&
                            std::thread::hardware_concurrency() >= 2));

    store_.begin();
    {
        std::vector<std::string> names;
        for (const auto& sensor : darknet_.sensors()) names.push_back(sensor.name);
        store_.put_sensor_names(names);
    }
    std::set<std::string> completed;
    Position resume;
    if (auto cp = store_.load_checkpoint(); cp && !options_.reset) {
        ByteReader r(cp->state, "checkpoint in the database");
        if (r.get_string() != kStateVersion) r.fail("unknown checkpoint version (use --reset)");
        resume.input = r.get_string();
        resume.records = r.get<uint64_t>();
        const uint32_t n = r.get<uint32_t>();
        if (n != n_workers)
            throw ConfigError("the checkpoint in the store was written with --threads " + std::to_string(n) +
                              "; resume with the same value (or --reset to start over)");
        for (auto& a : aggs) a->restore(r.get_string());
        completed.insert(cp->completed_inputs.begin(), cp->completed_inputs.end());
        result.resumed = true;
    } else if (cp && options_.reset) {
        store_.clear_checkpoint();
    }

    // Commits rows + checkpoint in one transaction, then opens the next one. Callers guarantee no
    // worker is running (between inputs, or inside the barrier's completion step).
    auto checkpoint = [&](const Position& pos) {
        const auto started = Clock::now();
        ByteWriter w;
        w.put_string(kStateVersion);
        w.put_string(pos.input);
        w.put(pos.records);
        w.put<uint32_t>(n_workers);
        std::vector<std::string> states(aggs.size() > 1 ? aggs.size() : 0);  // partitioned workers' parts
        if (aggs.size() == 1) {
            // Two threads (the machine's other core is idle with one worker). The second one
            // computes the open bins' rows and writes them while this one sorts the day's
            // (source, destination) pairs, which those rows do not need, then helps with that
            // sort; then it writes the day's source rows while this one serializes the state.
            // Each step touches state the other thread's concurrent step does not
            // (TelescopeAggregator::prepare_pairs).
            TelescopeAggregator& agg = *aggs[0];
            std::exception_ptr write_error;
            std::promise<bool> flush_prepared;    // false: prepare_flush() failed
            std::promise<bool> sources_prepared;  // false: preparing them failed, write nothing more
            std::future<bool> flush_ready = flush_prepared.get_future();
            std::future<bool> sources_ready = sources_prepared.get_future();
            TelescopeAggregator::PairsShare pairs_share;
            std::thread writer([&] {
                try {
                    try {
                        agg.prepare_flush();
                    } catch (...) {
                        flush_prepared.set_value(false);
                        throw;
                    }
                    flush_prepared.set_value(true);
                    agg.hand_over_flush();
                    agg.help_prepare_pairs(pairs_share);
                    if (sources_ready.get()) agg.hand_over_flush_sources();
                } catch (...) {
                    write_error = std::current_exception();
                }
            });
            try {
                try {
                    agg.prepare_pairs(&pairs_share);
                    if (!flush_ready.get()) throw std::runtime_error("flush failed");  // the writer's error is rethrown
                    agg.prepare_flush_sources();
                } catch (...) {
                    sources_prepared.set_value(false);
                    throw;
                }
                sources_prepared.set_value(true);
                const size_t at = w.begin_length();  // straight into w: a copy was fresh pages of its size
                agg.serialize(w);
                w.end_length(at);
            } catch (...) {
                writer.join();
                if (write_error) std::rethrow_exception(write_error);
                throw;
            }
            writer.join();
            if (write_error) std::rethrow_exception(write_error);
        } else {
            // Each worker flushes then serializes on its own thread; the merged rows are written
            // to the store by this thread, otherwise idle, while the workers work (the worker
            // that completed the merge wrote them before serializing: 128 k source rows on the
            // benchmark). The open bins' rows are handed over before the day's source rows are
            // computed, so that they are written meanwhile (as with one worker): with one
            // flush_open() call this thread waited ~0.2 s for the source rows before writing the
            // ~0.3 s of port rows of the 20 M-packet benchmark's open day.
            std::vector<std::thread> flushers;
            std::vector<std::exception_ptr> errors(aggs.size());
            store_sink.defer(aggs.size());
            for (size_t i = 0; i < aggs.size(); ++i)
                flushers.emplace_back([&, i] {
                    try {
                        aggs[i]->prepare_flush();
                        aggs[i]->hand_over_flush();
                        aggs[i]->prepare_flush_sources();
                        aggs[i]->hand_over_flush_sources();
                        // As put_string() encodes it, so that the pieces need no joining.
                        ByteWriter part;
                        const size_t at = part.begin_length();
                        aggs[i]->serialize(part);
                        part.end_length(at);
                        states[i] = std::move(part.data());
                    } catch (...) {
                        errors[i] = std::current_exception();
                    }
                    store_sink.producer_done();
                });
            std::exception_ptr write_error;
            try {
                store_sink.write_deferred();
            } catch (...) {
                write_error = std::current_exception();
            }
            for (auto& t : flushers) t.join();
            if (write_error) std::rethrow_exception(write_error);
            for (auto& e : errors)
                if (e) std::rethrow_exception(e);
            // The workers' parts follow the header as they are (Checkpoint::state_continued).
        }
        Checkpoint cp;
        cp.completed_inputs.assign(completed.begin(), completed.end());
        cp.state = std::move(w.data());
        cp.state_continued = std::move(states);
        if (options_.stream) options_.stream->before_commit(store_);
        store_.save_checkpoint(cp);
        store_.commit();
        if (options_.stream) options_.stream->committed(pos.input.substr(kStreamPrefix.size()));
        store_.begin();
        result.checkpoint_seconds += std::chrono::duration<double>(Clock::now() - started).count();
    };

    auto sum_memory = [&] {
        for (auto& a : aggs) {
            auto m = a->memory();
            result.memory.active_sources += m.active_sources;
            result.memory.source_state_bytes += m.source_state_bytes;
            result.memory.destination_set_bytes += m.destination_set_bytes;
            result.memory.port_table_bytes += m.port_table_bytes;
            result.memory.fixed_bytes += m.fixed_bytes;
        }
    };
    auto last_checkpoint = Clock::now();
    auto last_progress = Clock::now();
    uint64_t bytes_before_current = 0;
    auto progress_line = [&](const std::string& name, uint64_t offset, bool final_line) {
        if (!options_.progress) return;
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

    if (options_.stream) {
        // An endless stream resumes at the position its last checkpoint committed.
        options_.stream->seek(resume.input.rfind(kStreamPrefix, 0) == 0 ? resume.input.substr(kStreamPrefix.size())
                                                                        : std::string());
    }
    if (!options_.live_interface.empty() || options_.stream) {
        std::unique_ptr<PacketSource> live;
        if (!options_.stream) live = open_live_capture(options_.live_interface, 262144, options_.bpf_filter);
        PacketSource* src = options_.stream ? options_.stream : live.get();
        // The stream's position goes into every checkpoint; a live capture cannot be re-read.
        auto here = [&]() -> Position {
            if (options_.stream) return {std::string(kStreamPrefix) + options_.stream->position(), 0};
            return {};
        };
        // next() blocks while the interface is quiet: a watcher turns the stop flag into request_stop().
        StopWatcher watcher([&] { return stop && stop->load(); }, [&] { src->request_stop(); });
        InputReport report;
        report.name = options_.stream ? src->current_name() : "live:" + options_.live_interface;
        std::unique_ptr<LiveEventSender> feed;
        if (!options_.live_feed.empty()) feed = std::make_unique<LiveEventSender>(options_.live_feed);
        DecodedPacket pkt;
        RawPacket raw;
        while (!(stop && stop->load())) {
            bool idle = false;
            if (options_.stream ? !options_.stream->next_or_idle(raw, idle) : !src->next(raw)) break;
            if (!idle) {
                decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, pkt);
                aggs[0]->process(pkt);
                if (feed && (pkt.status == DecodeStatus::kOk || pkt.status == DecodeStatus::kTruncatedL4) &&
                    darknet_.lookup(pkt.dst))
                    feed->offer(pkt, classify_packet(pkt));
                ++report.frames;
                ++result.frames;
                result.wire_bytes += raw.wirelen;
            }
            auto now = Clock::now();
            if (std::chrono::duration<double>(now - last_checkpoint).count() >= options_.checkpoint_seconds) {
                checkpoint(here());
                // From the checkpoint's end: a checkpoint slower than the interval (a loaded store)
                // must not leave the next one due at once, one packet later (seen: the centre on a
                // restarted ClickHouse advancing one packet per checkpoint).
                last_checkpoint = Clock::now();
            }
            if (now - last_progress > std::chrono::milliseconds(500)) {
                progress_line(report.name, 0, false);
                last_progress = now;
            }
        }
        result.drops = src->drop_stats();
        result.interrupted = stop && stop->load();
        result.inputs.push_back(report);
        sum_memory();
        checkpoint(here());
        store_.commit();
        result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        return result;
    }

    bool unsaved = false;  // inputs were finished since the last checkpoint
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

        // Shared between the workers of this input.
        std::vector<uint64_t> records(n_workers, skip);
        std::vector<uint64_t> wire_bytes(n_workers, 0);
        std::vector<std::string> errors(n_workers);
        std::atomic<uint64_t> offset{0};
        bool stop_all = false;
        uint64_t counted = 0;  // frames of this input already added to result.frames
        std::exception_ptr failure;
        BackgroundWriter background(store_sink);
        auto at_barrier = [&]() noexcept {
            try {
                const uint64_t done = records[0] - skip;
                result.frames += done - counted;
                counted = done;
                const bool stopping = stop && stop->load();
                auto now = Clock::now();
                if (stopping ||
                    std::chrono::duration<double>(now - last_checkpoint).count() >= options_.checkpoint_seconds) {
                    background.stop();  // the closed bins' rows go into this checkpoint's transaction
                    checkpoint({identity, records[0]});
                    last_checkpoint = Clock::now();  // from its end, as in the stream loop
                    background.start();
                }
                if (now - last_progress > std::chrono::milliseconds(500)) {
                    progress_line(path, offset.load(), false);
                    last_progress = now;
                }
                stop_all = stopping;
            } catch (...) {
                failure = std::current_exception();
                stop_all = true;
            }
        };
        std::barrier sync(static_cast<std::ptrdiff_t>(n_workers), at_barrier);
        // Internal errors (not InputError) of each worker, rethrown once all have stopped.
        std::vector<std::exception_ptr> worker_failures(n_workers);
        background.start();

        // Its records read and decoded on another thread (files only: a read of stdin may block,
        // and the reader would then hold up an interrupted run's exit).
        const bool decode_ahead = n_workers == 1 && use_decode_thread && path != "-";
        result.decode_thread = result.decode_thread || decode_ahead;
        auto work = [&](unsigned w) {
            // Summed here and stored once: the workers' wire_bytes entries share a cache line,
            // and both adding to it per packet bounced that line between the cores.
            uint64_t wire = 0;
            // At a sync point (every kSyncRecords records): the barrier, where checkpoints and
            // stops happen; false when the run stops.
            auto go_on_after_sync = [&](uint64_t at_offset) {
                if (w == 0) offset.store(at_offset);
                sync.arrive_and_wait();
                return !stop_all;
            };
            try {
                auto src = open_capture_file(path, options_.reader);
                RawPacket raw;
                uint64_t n = 0;
                while (n < skip && src->next(raw)) ++n;  // resume inside a partly ingested input
                if (decode_ahead) {
                    // Another thread reads and decodes; this one counts (DecodeAheadReader).
                    DecodeAheadReader ahead(std::move(src), kSyncRecords);
                    for (;;) {
                        const DecodeAheadReader::Batch& b = ahead.front();
                        aggs[w]->process_batch(b.packets.data(), b.filled);
                        records[w] += b.filled;
                        wire += b.wire_bytes;
                        if (b.error) std::rethrow_exception(b.error);
                        const bool sync_here = b.sync, end = b.end;
                        const uint64_t at = b.offset;
                        ahead.pop();
                        if ((sync_here && !go_on_after_sync(at)) || end) break;
                    }
                } else {
                    std::vector<DecodedPacket> batch(kBatch);
                    // A partitioned worker does not decode the packets of other workers' sources that
                    // its detectors cannot key to its own addresses (all of them without detectors;
                    // with the backscatter detector, all but ICMP): it needs only the timestamps of
                    // those that open a later bin than the packets it was given (kForeign entries),
                    // and skips the rest.
                    const bool skip_foreign = n_workers > 1;
                    // Per IP protocol byte, whether such a packet may be skipped (asked once, here).
                    std::array<bool, 256> skippable{};
                    for (unsigned proto = 0; proto < 256; ++proto)
                        skippable[proto] = aggs[w]->foreign_skippable(static_cast<uint8_t>(proto));
                    int64_t given_bin_end = std::numeric_limits<int64_t>::min();
                    uint64_t since_sync = 0;
                    bool more = true;
                    while (more) {
                        size_t filled = 0, read = 0;
                        uint64_t skipped = 0;
                        const size_t want = std::min<uint64_t>(kBatch, kSyncRecords - since_sync);
                        try {
                            while (read < want) {
                                if (!src->next(raw)) {
                                    more = false;
                                    break;
                                }
                                ++read;
                                wire += raw.wirelen;
                                DecodedPacket& out = batch[filled];
                                IpAddress source;
                                uint8_t ip_protocol = 0;
                                if (skip_foreign &&
                                    peek_source(raw.linktype, raw.data, raw.caplen, source, ip_protocol) &&
                                    skippable[ip_protocol] && !aggs[w]->owns_address(source)) {
                                    if (raw.ts_ns < given_bin_end) {
                                        ++skipped;
                                        continue;
                                    }
                                    out.ts_ns = raw.ts_ns;
                                    out.status = DecodeStatus::kForeign;
                                } else {
                                    decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, out);
                                }
                                if (raw.ts_ns >= given_bin_end)
                                    given_bin_end = TelescopeAggregator::five_minute_bin_end_ns(raw.ts_ns);
                                ++filled;
                            }
                        } catch (const InputError& e) {
                            // Count what was read before the bad record, then report it.
                            aggs[w]->count_skipped(skipped);
                            aggs[w]->process_batch(batch.data(), filled);
                            records[w] += read;
                            throw;
                        }
                        aggs[w]->count_skipped(skipped);
                        aggs[w]->process_batch(batch.data(), filled);
                        records[w] += read;
                        since_sync += read;
                        if (since_sync == kSyncRecords) {
                            since_sync = 0;
                            if (!go_on_after_sync(src->current_offset())) break;
                        }
                    }
                }
            } catch (const InputError& e) {
                errors[w] = e.what();
            } catch (...) {
                // Any worker's, not only worker 0's: the others' rows would be silently missing.
                worker_failures[w] = std::current_exception();
                errors[w] = "internal error";
            }
            wire_bytes[w] = wire;
            sync.arrive_and_drop();
        };
        if (n_workers == 1) {
            work(0);
        } else {
            std::vector<std::thread> threads;
            for (unsigned w = 0; w < n_workers; ++w) threads.emplace_back(work, w);
            for (auto& t : threads) t.join();
        }
        if (failure) std::rethrow_exception(failure);
        for (auto& f : worker_failures)
            if (f) std::rethrow_exception(f);
        background.stop();
        result.frames += (records[0] - skip) - counted;
        report.frames = records[0] - skip;
        result.wire_bytes += wire_bytes[0];
        if (!errors[0].empty()) report.error = errors[0];
        result.inputs.push_back(report);
        if (stop_all) {
            result.interrupted = true;
            break;
        }
        // An input that ended at a bad record counts as done: its good part must not be counted twice.
        if (identity != "-") completed.insert(identity);
        bytes_before_current += file_size(path);
        // A checkpoint when the interval is up, and after the last input (below), not after every
        // input: each writes the open day's rows and state whole, whatever the input's size, and
        // a directory of 100 captures of 10 k packets spent 11.4 of its 12 s in them. An input
        // finished since the last checkpoint is simply read again after a crash (the checkpoint
        // names the inputs done when it was taken, and its state is theirs).
        // Stdin cannot be read again: a checkpoint right after it, as before.
        unsaved = true;
        if (identity == "-" ||
            std::chrono::duration<double>(Clock::now() - last_checkpoint).count() >= options_.checkpoint_seconds) {
            checkpoint({});
            last_checkpoint = Clock::now();
            unsaved = false;
        }
    }
    if (unsaved && !result.interrupted) checkpoint({});
    progress_line(files.empty() ? "-" : files.back(), 0, true);
    sum_memory();
    store_.commit();
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return result;
}

}  // namespace iotwatch

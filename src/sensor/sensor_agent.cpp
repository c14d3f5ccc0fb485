#include "sensor/sensor_agent.h"

#include <httplib.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "capture/decoded_packet.h"
#include "capture/packet_source.h"
#include "core/error.h"
#include "core/stop_watcher.h"
#include "pipeline/ingest_job.h"
#include "sensor/sensor_batch.h"
#include "sensor/sensor_spool.h"
#include "telescope/darknet.h"

namespace iotwatch {

namespace {

using Clock = std::chrono::steady_clock;

int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// "files1\t<input index>\t<identity>\t<records>": where a file replay resumes.
struct FilePosition {
    size_t index = 0;
    std::string identity;
    uint64_t records = 0;
    std::string encode() const {
        return "files1\t" + std::to_string(index) + "\t" + identity + "\t" + std::to_string(records);
    }
    static FilePosition parse(const std::string& text, const std::string& spool) {
        FilePosition p;
        if (text.empty()) return p;
        std::istringstream in(text);
        std::string tag, index, records;
        if (!std::getline(in, tag, '\t') || tag != "files1" || !std::getline(in, index, '\t') ||
            !std::getline(in, p.identity, '\t') || !std::getline(in, records))
            throw InputError(spool, UINT64_MAX, "the spool's resume position is not a file position ('" + text +
                                                    "'); was it written by a live capture? Use another --spool");
        p.index = std::stoull(index);
        p.records = std::stoull(records);
        return p;
    }
};

/// HOST:PORT or [V6]:PORT.
std::pair<std::string, int> split_host_port(const std::string& s) {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
        throw ConfigError("--center must be HOST:PORT, not '" + s + "'");
    std::string host = s.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = 0;
    try {
        port = std::stoi(s.substr(colon + 1));
    } catch (...) {
    }
    if (port <= 0 || port > 65535) throw ConfigError("--center: bad port in '" + s + "'");
    return {host, port};
}

}  // namespace

SensorAgent::SensorAgent(SensorAgentOptions options) : options_(std::move(options)) {
    if (options_.name.empty()) throw ConfigError("the sensor needs a name (--name)");
    if (options_.prefixes.empty()) throw ConfigError("the sensor needs its darknet prefixes (--darknet or --config)");
    if (options_.inputs.empty() == options_.live_interface.empty())
        throw ConfigError("give either capture files or --live IFACE");
    if (options_.spool_dir.empty()) throw ConfigError("the sensor needs a --spool directory");
    if (options_.center.empty()) throw ConfigError("the sensor needs --center HOST:PORT");
    if (options_.ca_file.empty()) throw ConfigError("the sensor needs --ca FILE (the centre's certificate or CA)");
    if (options_.token.empty()) throw ConfigError("the sensor needs its token (--token-file)");
    if (options_.batch_packets == 0 || options_.batch_packets > SensorBatch::kMaxPackets)
        throw ConfigError("--batch-packets must be 1.." + std::to_string(SensorBatch::kMaxPackets));
    if (!(options_.batch_seconds > 0)) throw ConfigError("--batch-seconds must be > 0");
    split_host_port(options_.center);
}

SensorAgentResult SensorAgent::run(const std::atomic<bool>* stop, std::ostream& log) {
    SensorAgentResult result;
    const Darknet darknet({SensorConfig{options_.name, options_.prefixes}});
    SensorSpool spool(options_.spool_dir);
    const bool live = !options_.live_interface.empty();
    auto stopping = [&] { return stop && stop->load(); };

    // Inputs (directories expanded) and where a previous run of this spool stopped.
    std::vector<std::string> files;
    for (const auto& in : options_.inputs) {
        struct stat st {};
        if (::stat(in.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            for (auto& f : list_capture_directory(in)) files.push_back(f);
        } else {
            files.push_back(in);
        }
    }
    FilePosition resume;
    if (!live) {
        resume = FilePosition::parse(spool.resume_position(), options_.spool_dir);
        if (resume.index > files.size() || (resume.index < files.size() && !resume.identity.empty() &&
                                            input_identity(files[resume.index]) != resume.identity))
            throw ConfigError(options_.spool_dir + ": this spool stopped in input " + std::to_string(resume.index + 1) +
                              " (" + resume.identity + "), which is not the same input now; give the same inputs, "
                              "or a new --spool to start over");
        result.resumed = resume.index > 0 || resume.records > 0;
        if (result.resumed)
            log << "iotwatch sensor: resuming at input " << resume.index + 1 << " of " << files.size() << ", record "
                << resume.records << "\n";
    }

    // ---- the batch being filled, shared by the capture thread (packets) and the ticker (time)
    std::mutex mu;
    std::condition_variable cv;  // spool changed, or the capture ended
    SensorBatch current;
    current.sensor = options_.name;
    auto batch_opened = Clock::now();
    SensorCounters counters;
    // Files: a restart continues the watermark of the last batch written. Live: fresh.
    int64_t last_ts = live ? INT64_MIN : spool.resume_watermark();
    FilePosition position = resume;  // of the frames taken so far (files only)
    bool capture_done = false;
    std::string fatal;

    // Closes the current batch into the spool (caller holds `mu`).
    auto close_batch = [&](bool final) {
        current.flags = final ? SensorBatch::kFlagFinal : 0;
        int64_t watermark = last_ts == INT64_MIN ? 0 : last_ts;
        // A quiet live darknet still advances: nothing older than two seconds can come any more.
        if (live) watermark = std::max(watermark, wall_ns() - 2'000'000'000);
        current.watermark_ns = watermark;
        current.created_ns = wall_ns();
        current.counters = counters;
        current.counters.spool_batches = spool.pending_batches();
        current.counters.spool_bytes = spool.pending_bytes();
        current.position = live ? std::string() : position.encode();
        spool.append(current);
        ++result.batches;
        current = SensorBatch{};
        current.sensor = options_.name;
        batch_opened = Clock::now();
        cv.notify_all();
    };

    // ---- sender: spool -> centre, in order, each batch acknowledged before the next
    const auto [host, port] = split_host_port(options_.center);
    auto set_fatal = [&](const std::string& why) {
        std::lock_guard lock(mu);
        if (fatal.empty()) fatal = why;
        cv.notify_all();
    };
    auto send_loop = [&, host = host, port = port] {
        std::unique_ptr<httplib::SSLClient> client;
        double backoff = 0.2;
        bool reported_outage = false;
        std::optional<Clock::time_point> drain_deadline;
        // Drops the connection and waits before the next attempt (0.2 s, doubling up to 5 s).
        auto retry_later = [&](const std::string& why) {
            client.reset();
            if (!reported_outage) log << "iotwatch sensor: centre " << options_.center << " unreachable (" << why
                                      << "); batches wait in " << options_.spool_dir << "\n";
            reported_outage = true;
            // Slept in slices so that a stop request is seen within 0.1 s, not after the backoff.
            const auto wake = Clock::now() + std::chrono::milliseconds(int64_t(backoff * 1000));
            while (Clock::now() < wake && !stopping()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            backoff = std::min(5.0, backoff * 2);
        };
        for (;;) {
            {
                std::unique_lock lock(mu);
                if (!fatal.empty()) return;
                if (capture_done && spool.pending_batches() == 0) return;
                // Interrupted while the centre is unreachable: the spool is on disk and the next run
                // sends it, so waiting out the drain would only delay the operator's Ctrl-C.
                if (stopping() && !client && reported_outage) {
                    log << "iotwatch sensor: stopped with the centre unreachable; " << spool.pending_batches()
                        << " batch(es) stay in " << options_.spool_dir << " for the next run\n";
                    return;
                }
                if (capture_done || stopping()) {
                    if (!drain_deadline)
                        drain_deadline = Clock::now() + std::chrono::milliseconds(int64_t(options_.drain_seconds * 1000));
                    if (Clock::now() >= *drain_deadline) return;
                }
            }
            if (!client) {
                client = std::make_unique<httplib::SSLClient>(host, port);
                client->set_ca_cert_path(options_.ca_file.c_str());
                client->enable_server_certificate_verification(true);
                client->set_connection_timeout(5, 0);
                client->set_read_timeout(60, 0);
                client->set_write_timeout(60, 0);
                client->set_keep_alive(true);
                client->set_tcp_nodelay(true);
                client->set_bearer_token_auth(options_.token.c_str());
                auto res = client->Get("/sensor/v1/hello");
                if (!res) {
                    if (res.error() == httplib::Error::SSLServerVerification) {
                        set_fatal("the centre's certificate does not verify against " + options_.ca_file);
                        return;
                    }
                    retry_later(httplib::to_string(res.error()));
                    continue;
                }
                if (res->status == 401) {
                    set_fatal("the centre refused this sensor's token");
                    return;
                }
                if (res->status != 200) {
                    retry_later("hello answered " + std::to_string(res->status));
                    continue;
                }
                uint64_t next_seq = 1;
                try {
                    const auto j = nlohmann::json::parse(res->body);
                    if (j.at("sensor").get<std::string>() != options_.name) {
                        set_fatal("the token belongs to sensor '" + j.at("sensor").get<std::string>() + "', not '" +
                                  options_.name + "'");
                        return;
                    }
                    next_seq = j.at("next_seq").get<uint64_t>();
                } catch (const std::exception& e) {
                    retry_later(std::string("bad hello answer: ") + e.what());
                    continue;
                }
                if (next_seq > spool.next_seq()) {
                    // The centre holds batches this spool never wrote: the spool was replaced. Sending
                    // would be taken for resends and lost, so stop and say so.
                    set_fatal("the centre already has batches up to " + std::to_string(next_seq - 1) + " of sensor '" +
                              options_.name + "' but this spool numbers from " + std::to_string(spool.next_seq()) +
                              "; the spool " + options_.spool_dir + " is not the one this sensor used");
                    return;
                }
                if (next_seq > 1) spool.acknowledge_through(next_seq - 1);
                log << "iotwatch sensor: connected to centre " << options_.center << " (it expects batch " << next_seq
                    << ")\n";
                reported_outage = false;
                backoff = 0.2;
            }
            const auto pending = spool.pending();
            if (pending.empty()) {
                std::unique_lock lock(mu);
                cv.wait_for(lock, std::chrono::milliseconds(100));
                continue;
            }
            for (uint64_t seq : pending) {
                auto res = client->Post("/sensor/v1/batch", spool.read(seq), "application/octet-stream");
                if (!res) {
                    retry_later(httplib::to_string(res.error()));
                    break;
                }
                if (res->status == 200) {
                    spool.acknowledge_through(seq);
                    ++result.acked_batches;
                    continue;
                }
                if (res->status == 503) {  // the centre could not store it: try again later
                    retry_later("centre busy: " + res->body);
                    break;
                }
                set_fatal("the centre refused batch " + std::to_string(seq) + " (" + std::to_string(res->status) +
                          "): " + res->body);
                return;
            }
        }
    };
    // A spool that cannot be read or written ends the sensor with the reason (never a crash).
    std::thread sender([&] {
        try {
            send_loop();
        } catch (const std::exception& e) {
            set_fatal(std::string("sender: ") + e.what());
        }
    });

    // ---- ticker: closes batches on time so a quiet darknet still reports (and advances the merge)
    std::atomic<bool> ticking{true};
    std::thread ticker([&] {
        try {
            while (ticking.load()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                std::lock_guard lock(mu);
                if (capture_done || !fatal.empty()) return;
                if (Clock::now() - batch_opened >= std::chrono::duration<double>(options_.batch_seconds) &&
                    (!current.packets.empty() || live))
                    close_batch(false);
            }
        } catch (const std::exception& e) {
            set_fatal(std::string("spool: ") + e.what());
        }
    });

    auto wait_for_spool_room = [&] {
        while (spool.pending_bytes() > options_.max_spool_bytes && !stopping()) {
            std::unique_lock lock(mu);
            if (!fatal.empty()) return;
            cv.wait_for(lock, std::chrono::milliseconds(100));
        }
    };

    // ---- capture thread (this one)
    std::exception_ptr failure;
    try {
        DecodedPacket pkt;
        RawPacket raw;
        const auto started = Clock::now();
        uint64_t paced = 0;
        // One frame into the batch; `records` (files) moves the resume position in the same step,
        // so a batch never holds a frame its position says is still to be read.
        auto take = [&](const RawPacket& r, uint64_t records) {
            decode_packet(r.linktype, r.data, r.caplen, r.wirelen, r.ts_ns, pkt);
            std::lock_guard lock(mu);
            ++counters.captured;
            position.records = records;
            if (pkt.ip_version && darknet.lookup(pkt.dst)) {
                const uint32_t keep = std::min<uint32_t>(header_bytes(pkt, r.data, r.caplen), 65535);
                current.add(r.ts_ns, r.wirelen, r.linktype, r.data, static_cast<uint16_t>(keep));
                ++counters.darknet;
            }
            last_ts = std::max(last_ts, r.ts_ns);
            return current.packets.size() >= options_.batch_packets;
        };
        if (live) {
            auto src = open_live_capture(options_.live_interface, 65535, options_.bpf_filter);
            // next() blocks while the interface is quiet: the watcher turns a stop or a fatal error
            // into request_stop(). Joined on every way out (a capture error throws).
            StopWatcher watcher(
                [&] {
                    if (stopping()) return true;
                    std::lock_guard lock(mu);
                    return !fatal.empty();
                },
                [&] { src->request_stop(); });
            while (!stopping() && src->next(raw)) {
                if (take(raw, 0)) {
                    wait_for_spool_room();
                    std::lock_guard lock(mu);
                    const auto d = src->drop_stats();
                    counters.kernel_drops = d.dropped_kernel;
                    counters.interface_drops = d.dropped_interface;
                    close_batch(false);
                }
            }
            const auto d = src->drop_stats();
            std::lock_guard lock(mu);
            counters.kernel_drops = d.dropped_kernel;
            counters.interface_drops = d.dropped_interface;
        } else {
            for (size_t i = resume.index; i < files.size() && !stopping(); ++i) {
                const std::string identity = input_identity(files[i]);
                uint64_t records = 0;
                const uint64_t skip = (i == resume.index) ? resume.records : 0;
                {
                    std::lock_guard lock(mu);
                    position = FilePosition{i, identity, skip};
                }
                try {
                    auto src = open_capture_file(files[i]);
                    while (records < skip && src->next(raw)) ++records;
                    while (!stopping()) {
                        {
                            std::lock_guard lock(mu);
                            if (!fatal.empty()) break;
                        }
                        if (!src->next(raw)) break;
                        ++records;
                        if (take(raw, records)) {
                            wait_for_spool_room();
                            std::lock_guard lock(mu);
                            close_batch(false);
                        }
                        if (options_.rate_pps > 0 && (++paced & 255) == 0) {
                            const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                                           std::chrono::duration<double>(double(paced) / options_.rate_pps));
                            std::this_thread::sleep_until(due);
                        }
                        if (options_.progress && (records & 0xFFFFF) == 0)
                            log << "\rsensor: " << counters.captured << " frames, " << counters.darknet
                                << " to the darknet, " << spool.pending_batches() << " batches spooled\033[K" << std::flush;
                    }
                } catch (const InputError& e) {
                    // Everything before the bad record was batched; say where it broke and go on.
                    log << "iotwatch sensor: " << e.what() << "\n";
                    result.error = e.what();
                }
                std::lock_guard lock(mu);
                if (stopping() || !fatal.empty()) break;  // this input is not finished
                position = FilePosition{i + 1, "", 0};
            }
        }
    } catch (...) {
        failure = std::current_exception();
    }

    // Last batch: `final` when every input was read (the centre need not wait for this sensor).
    {
        std::lock_guard lock(mu);
        // Files: every input read. Live: stopped cleanly (no later packet will come from this run).
        const bool ended = fatal.empty() && !failure && (live || !stopping());
        if (fatal.empty() && (ended || !current.packets.empty())) {
            try {
                close_batch(ended);
            } catch (...) {
                if (!failure) failure = std::current_exception();
            }
        }
        capture_done = true;
        cv.notify_all();
    }
    ticking.store(false);
    ticker.join();
    sender.join();
    result.captured = counters.captured;
    result.darknet = counters.darknet;
    result.kernel_drops = counters.kernel_drops;
    result.interface_drops = counters.interface_drops;
    result.pending_batches = spool.pending_batches();
    result.interrupted = stopping();
    if (!fatal.empty()) result.error = fatal;
    if (failure) std::rethrow_exception(failure);
    return result;
}

}  // namespace iotwatch

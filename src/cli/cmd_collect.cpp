// `iotwatch collect`: the flow collector. Receives NetFlow v5/v9/IPFIX export datagrams on UDP
// sockets (loopback by default) or reads them from capture files, decodes them (src/flows) and
// stores the flow records and per-exporter statistics through the Store, in batches.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "capture/decoded_packet.h"
#include "capture/packet_source.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "flows/flow_collector.h"
#include "flows/receive_pacer.h"
#include "store/store.h"

namespace iotwatch::cli {
namespace {

int64_t now_utc_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// HOST:PORT, [V6]:PORT or PORT (then 127.0.0.1) as a socket address; `flag` names the option in
/// errors.
sockaddr_storage bind_address(const std::string& spec, const char* flag, socklen_t& sl) {
    std::string host = "127.0.0.1", port = spec;
    if (auto c = spec.rfind(':'); c != std::string::npos) {
        host = spec.substr(0, c);
        port = spec.substr(c + 1);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    }
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || p < 0 || p > 65535) throw ConfigError(std::string(flag) + ": bad port in '" + spec + "'");
    sockaddr_storage ss{};
    if (host.find(':') != std::string::npos) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(uint16_t(p));
        if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) throw ConfigError(std::string(flag) + ": bad address '" + spec + "'");
        sl = sizeof(*a);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(uint16_t(p));
        if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) throw ConfigError(std::string(flag) + ": bad address '" + spec + "'");
        sl = sizeof(*a);
    }
    return ss;
}

/// A bound UDP socket, closed on destruction.
class UdpSocket {
public:
    explicit UdpSocket(const std::string& spec) {
        socklen_t sl = 0;
        sockaddr_storage ss = bind_address(spec, "--listen", sl);
        fd_ = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (fd_ < 0) throw std::runtime_error("--listen " + spec + ": cannot create socket");
        // A large receive buffer absorbs exporter bursts while a batch is being written.
        int rcvbuf = 8 << 20;
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), sl) != 0) {
            ::close(fd_);
            throw std::runtime_error("--listen " + spec + ": cannot bind (" + std::string(std::strerror(errno)) + ")");
        }
    }
    ~UdpSocket() { ::close(fd_); }
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_ = -1;
};

/// A listening TCP socket for IPFIX over TCP (RFC 7011 section 10.4), closed on destruction.
class TcpListener {
public:
    explicit TcpListener(const std::string& spec) {
        socklen_t sl = 0;
        sockaddr_storage ss = bind_address(spec, "--listen-tcp", sl);
        fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("--listen-tcp " + spec + ": cannot create socket");
        int one = 1;
        setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), sl) != 0 || ::listen(fd_, 64) != 0) {
            ::close(fd_);
            throw std::runtime_error("--listen-tcp " + spec + ": cannot listen (" + std::string(std::strerror(errno)) + ")");
        }
    }
    ~TcpListener() { ::close(fd_); }
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;
    int fd() const { return fd_; }

private:
    int fd_ = -1;
};

/// One exporter's IPFIX-over-TCP session: the stream is cut into messages by their length field.
struct TcpSession {
    int fd = -1;
    IpAddress peer;
    std::string buf;       // bytes of an incomplete message
    uint64_t offset = 0;   // stream offset of buf[0], for error messages
};

IpAddress peer_address(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        IpAddress ip = IpAddress::v6(a->sin6_addr.s6_addr);
        return ip;
    }
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    return IpAddress::v4(ntohl(a->sin_addr.s_addr));
}

/// Batches records into the store with the exporters' statistics, in one transaction per batch,
/// on a writer thread: the receive loop only decodes, so a slow commit does not leave datagrams in
/// the socket buffer. At most kMaxQueued batches wait; beyond that flush() waits (the socket
/// buffer absorbs the burst). A store error stops the writer and is rethrown by the next flush()
/// or by finish(); batches already committed stay committed.
class FlowWriter {
public:
    // 128 batches of 10,000 records (about 1 MB each) absorb the writer's pauses (SQLite's WAL
    // checkpoints) at millions of flows per second; with 32 the receive loop waited and the
    // socket buffer overflowed at 2.8 M flows/s (bench/flows_nfcapd.sh, A/B in one sitting).
    static constexpr size_t kMaxQueued = 128;
    FlowWriter(Store& store, int64_t run_start_ns) : store_(store), run_start_ns_(run_start_ns), thread_([this] { run(); }) {}
    ~FlowWriter() {
        try {
            finish();
        } catch (...) {
        }
    }
    void flush(FlowCollector& c) {
        Batch b{c.take_records(), c.exporter_stats()};
        submitted_ += b.records.size();
        std::unique_lock lock(mu_);
        if (queue_.size() >= kMaxQueued) ++waits_;
        space_.wait(lock, [&] { return queue_.size() < kMaxQueued || error_; });
        if (error_) std::rethrow_exception(error_);
        queue_.push_back(std::move(b));
        max_queued_ = std::max<uint64_t>(max_queued_, queue_.size());
        ready_.notify_one();
    }
    /// Waits for every queued batch; rethrows the writer's error.
    void finish() {
        {
            std::lock_guard lock(mu_);
            if (stopping_) {
                if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
                return;
            }
            stopping_ = true;
            ready_.notify_one();
        }
        if (thread_.joinable()) thread_.join();
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }
    uint64_t stored() const { return stored_.load(); }
    /// Records handed to the writer (stored or queued).
    uint64_t submitted() const { return submitted_; }
    /// flush() calls that found the queue full and waited (the store is the bottleneck: datagrams
    /// then wait in the socket buffer and may overflow it), and the deepest the queue was.
    uint64_t waits() const { return waits_; }
    uint64_t max_queued() const { return max_queued_; }

private:
    struct Batch {
        std::vector<FlowRecord> records;
        std::vector<ExporterStats> stats;
    };
    void run() {
        for (;;) {
            Batch b;
            {
                std::unique_lock lock(mu_);
                ready_.wait(lock, [&] { return !queue_.empty() || stopping_; });
                if (queue_.empty()) return;
                b = std::move(queue_.front());
                queue_.pop_front();
                space_.notify_one();
            }
            try {
                store_.begin();
                try {
                    store_.put_flows(b.records);
                    store_.put_flow_exporters(run_start_ns_, b.stats);
                    store_.commit();
                } catch (...) {
                    store_.rollback();
                    throw;
                }
                stored_ += b.records.size();
            } catch (...) {
                std::lock_guard lock(mu_);
                error_ = std::current_exception();
                queue_.clear();
                space_.notify_all();
                return;
            }
        }
    }
    Store& store_;
    int64_t run_start_ns_;
    std::atomic<uint64_t> stored_{0};
    uint64_t submitted_ = 0;  // receive thread only
    uint64_t waits_ = 0, max_queued_ = 0;  // receive thread only (written under mu_)
    std::mutex mu_;
    std::condition_variable ready_, space_;
    std::deque<Batch> queue_;
    bool stopping_ = false;
    std::exception_ptr error_;
    std::thread thread_;  // last: starts after every member above exists
};

}  // namespace

int cmd_collect(int argc, char** argv) {
    ArgParser args("collect", "[--listen [HOST:]PORT]... [--pcap FILE]... [--db FILE] [--count N] [--duration S] [--json]",
                   "Flow collector: decodes NetFlow v5, NetFlow v9 and IPFIX (RFC 7011) export datagrams and stores\n"
                   "every flow record (exporter, observation domain, addresses, ports, protocol, TCP flags,\n"
                   "packets and bytes with the sampling interval applied, start/end UTC) in the store's `flow`\n"
                   "table, and per-exporter statistics (records, templates, options, sequence gaps and what\n"
                   "they skipped, data held for and dropped without its template, malformed messages, sampling)\n"
                   "in `flow_exporter`. Templates are kept per (exporter, observation domain, template id);\n"
                   "data before its template waits up to --hold seconds. Sources: UDP sockets (--listen,\n"
                   "default 127.0.0.1:2055; use loopback or a management network) or the UDP payloads of\n"
                   "capture files (--pcap, optionally only to --port). Stops at the end of the captures, after\n"
                   "--count records or --duration seconds, or on SIGINT/SIGTERM (records are flushed; exit 0).\n"
                   "Exit 3 when some message was corrupt or no export message (the errors name the exporter\n"
                   "and the byte offset in the message); everything decodable was stored.");
    args.option("listen", "[HOST:]PORT", "UDP address to receive on (repeatable; default 127.0.0.1:2055)", true);
    args.option("listen-tcp", "[HOST:]PORT", "also accept IPFIX over TCP here (repeatable; RFC 7011 10.4)", true);
    args.option("pcap", "FILE", "read export datagrams from a capture file instead (repeatable)", true);
    args.option("port", "N", "with --pcap: only UDP datagrams to this destination port");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.option("count", "N", "stop after N flow records");
    args.option("duration", "S", "stop after S seconds (UDP)");
    args.option("batch", "N", "flow records per store transaction (default 10000; also flushed every second)");
    args.option("hold", "S", "seconds data waits for its template before it is dropped (default 30)");
    args.option("rx-pause", "US", "after draining the sockets, wait up to US microseconds before polling again so each\n"
                "wake-up reads many datagrams; bounded so the receive buffer stays at most 1/8 full at\n"
                "the measured rate (default 1000; 0: poll at once)");
    args.flag("json", "print the summary as one JSON object");
    args.flag("quiet", "no summary");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.positional().empty()) throw ConfigError("unexpected argument '" + args.positional().front() + "'");
    const long long count = args.get_int("count", 0);
    const double duration = args.get_double("duration", 0);
    const long long batch = args.get_int("batch", 10000);
    const double hold = args.get_double("hold", 30);
    const long long port_filter = args.get_int("port", -1);
    const long long rx_pause_us = args.get_int("rx-pause", 1000);
    if (count < 0) throw ConfigError("--count must be >= 0");
    if (duration < 0) throw ConfigError("--duration must be >= 0");
    if (batch < 1) throw ConfigError("--batch must be >= 1");
    if (hold < 0) throw ConfigError("--hold must be >= 0");
    if (port_filter > 65535) throw ConfigError("--port must be 0..65535");
    if (rx_pause_us < 0 || rx_pause_us > 1000000) throw ConfigError("--rx-pause must be 0..1000000 microseconds");
    const bool from_pcap = args.has("pcap");
    if (from_pcap && (args.has("listen") || args.has("listen-tcp")))
        throw ConfigError("give --listen/--listen-tcp or --pcap, not both");

    CollectorLimits limits;
    limits.hold_ns = int64_t(hold * 1e9);
    FlowCollector collector(limits);
    auto store = open_store(args.get("db", "iotwatch.db"));
    const int64_t run_start = now_utc_ns();
    FlowWriter writer(*store, run_start);
    uint64_t datagrams = 0, skipped = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    auto done = [&] {
        return stop_requested().load() || (count > 0 && writer.submitted() + collector.buffered_records() >= uint64_t(count));
    };
    int64_t last_now = run_start;
    std::string input_error;

    if (from_pcap) {
        for (const auto& path : args.all("pcap")) {
            if (done()) break;
            auto src = open_capture_file(path);
            RawPacket raw;
            DecodedPacket pkt;
            try {
                while (!done() && src->next(raw)) {
                    decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, pkt);
                    // Only whole, unfragmented UDP datagrams carry a whole export message.
                    if (pkt.protocol != kProtoUdp || !pkt.has_l4 || pkt.is_fragment ||
                        (port_filter >= 0 && pkt.dport != port_filter)) {
                        ++skipped;
                        continue;
                    }
                    const uint32_t off = pkt.l4_offset + 8;
                    if (off > raw.caplen) {
                        ++skipped;
                        continue;
                    }
                    const uint32_t avail = raw.caplen - off;
                    const uint32_t len = pkt.payload_len < avail ? pkt.payload_len : avail;
                    ++datagrams;
                    last_now = raw.ts_ns;
                    collector.process(raw.data + off, len, pkt.src, raw.ts_ns);
                    if (collector.buffered_records() >= size_t(batch)) writer.flush(collector);
                }
            } catch (const InputError& e) {
                input_error = e.what();  // keep what was decoded; report after the summary
            }
        }
    } else {
        std::vector<std::string> specs = args.all("listen");
        const std::vector<std::string> tcp_specs = args.all("listen-tcp");
        if (specs.empty() && tcp_specs.empty()) specs.push_back("127.0.0.1:2055");
        std::vector<std::unique_ptr<UdpSocket>> sockets;
        std::vector<std::unique_ptr<TcpListener>> listeners;
        std::vector<pollfd> fds;
        for (const auto& s : specs) {
            sockets.push_back(std::make_unique<UdpSocket>(s));
            fds.push_back({sockets.back()->fd(), POLLIN, 0});
        }
        for (const auto& s : tcp_specs) listeners.push_back(std::make_unique<TcpListener>(s));
        std::vector<TcpSession> sessions;
        auto close_session = [&](size_t i) {
            collector.end_tcp_session(sessions[i].peer);
            ::close(sessions[i].fd);
            sessions.erase(sessions.begin() + std::ptrdiff_t(i));
        };
        // Reads what a session has; hands every complete IPFIX message to the collector. A header
        // that is not IPFIX (version 10, length >= 16) ends that session with an error naming the
        // exporter and the stream offset; other sessions go on.
        auto read_session = [&](size_t i) -> bool {
            TcpSession& t = sessions[i];
            char chunk[65536];
            for (;;) {
                const ssize_t n = ::recv(t.fd, chunk, sizeof chunk, MSG_DONTWAIT);
                if (n == 0) return false;  // closed by the exporter
                if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
                t.buf.append(chunk, size_t(n));
                size_t pos = 0;
                while (t.buf.size() - pos >= 4) {
                    const auto* h = reinterpret_cast<const uint8_t*>(t.buf.data() + pos);
                    const uint16_t version = uint16_t(h[0] << 8 | h[1]), length = uint16_t(h[2] << 8 | h[3]);
                    if (version != 10 || length < 16) {
                        collector.stream_error(t.peer, "IPFIX over TCP: stream offset " + std::to_string(t.offset + pos) +
                                                           ": not an IPFIX message header (version " + std::to_string(version) +
                                                           ", length " + std::to_string(length) + "); session closed");
                        return false;
                    }
                    if (t.buf.size() - pos < length) break;
                    ++datagrams;
                    last_now = now_utc_ns();
                    collector.process(h, length, t.peer, last_now);
                    if (collector.buffered_records() >= size_t(batch)) writer.flush(collector);
                    pos += length;
                }
                t.buf.erase(0, pos);
                t.offset += pos;
            }
        };
        // The wait after each drain (receive_pacer.h), against the smallest buffer the kernel gave.
        int64_t receive_buffer = INT64_MAX;
        for (const auto& s : sockets) {
            int rb = 0;
            socklen_t rl = sizeof(rb);
            if (::getsockopt(s->fd(), SOL_SOCKET, SO_RCVBUF, &rb, &rl) == 0) receive_buffer = std::min<int64_t>(receive_buffer, rb);
        }
        const ReceivePacer pacer(sockets.empty() ? 0 : rx_pause_us * 1000, sockets.empty() ? 0 : receive_buffer);
        auto last_drain = std::chrono::steady_clock::now();
        bool read_last_time = false;
        constexpr unsigned kBurst = 32;
        constexpr size_t kDatagramMax = 65536;
        std::vector<uint8_t> burst_buf(kBurst * kDatagramMax);
        std::array<mmsghdr, kBurst> msgs{};
        std::array<iovec, kBurst> iovs{};
        std::array<sockaddr_storage, kBurst> peers{};
        double last_flush = 0;
        while (!done() && !(duration > 0 && elapsed() >= duration)) {
            fds.resize(sockets.size());
            for (const auto& l : listeners) fds.push_back({l->fd(), POLLIN, 0});
            for (const auto& t : sessions) fds.push_back({t.fd, POLLIN, 0});
            const int r = ::poll(fds.data(), fds.size(), 200);  // wakes to check signals and time
            uint64_t drained_bytes = 0;
            if (!read_last_time) last_drain = std::chrono::steady_clock::now();  // rate measured from here
            if (r > 0) {
                for (size_t k = 0; k < listeners.size(); ++k) {
                    if (!(fds[sockets.size() + k].revents & POLLIN)) continue;
                    sockaddr_storage peer{};
                    socklen_t pl = sizeof(peer);
                    const int c = ::accept4(listeners[k]->fd(), reinterpret_cast<sockaddr*>(&peer), &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c >= 0) sessions.push_back({c, peer_address(peer), {}, 0});
                }
                const size_t first_session = sockets.size() + listeners.size();
                for (size_t i = fds.size(); i-- > first_session;) {
                    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                    const size_t s_index = i - first_session;
                    if (s_index < sessions.size() && !read_session(s_index)) close_session(s_index);
                }
                for (size_t k = 0; k < sockets.size(); ++k) {
                    auto& p = fds[k];
                    if (!(p.revents & POLLIN)) continue;
                    // Drain the socket: many datagrams per poll, up to kBurst per recvmmsg call
                    // (one system call per datagram was a third of the receiving thread's time
                    // at 2 M flows/s on this VM).
                    for (int round = 0; round < 1024 / int(kBurst) && !done(); ++round) {
                        for (unsigned j = 0; j < kBurst; ++j) {
                            iovs[j] = {burst_buf.data() + size_t(j) * kDatagramMax, kDatagramMax};
                            msgs[j] = {};
                            msgs[j].msg_hdr.msg_name = &peers[j];
                            msgs[j].msg_hdr.msg_namelen = sizeof(peers[j]);
                            msgs[j].msg_hdr.msg_iov = &iovs[j];
                            msgs[j].msg_hdr.msg_iovlen = 1;
                        }
                        const int got = ::recvmmsg(p.fd, msgs.data(), kBurst, MSG_DONTWAIT, nullptr);
                        if (got <= 0) break;
                        last_now = now_utc_ns();
                        for (int j = 0; j < got; ++j) {
                            ++datagrams;
                            drained_bytes += msgs[j].msg_len;
                            collector.process(burst_buf.data() + size_t(j) * kDatagramMax, msgs[j].msg_len,
                                              peer_address(peers[j]), last_now);
                            if (collector.buffered_records() >= size_t(batch)) writer.flush(collector);
                        }
                        if (unsigned(got) < kBurst) break;
                    }
                }
            }
            // Pause so the next wake-up finds many datagrams. The rate is what arrived since the
            // previous drain ended (or since poll returned, after a wake-up that read nothing).
            const auto drain_end = std::chrono::steady_clock::now();
            const int64_t pause = pacer.pause_ns(drained_bytes, std::chrono::duration_cast<std::chrono::nanoseconds>(drain_end - last_drain).count());
            if (pause > 0 && !done()) std::this_thread::sleep_for(std::chrono::nanoseconds(pause));
            last_drain = drain_end;
            read_last_time = drained_bytes > 0;
            last_now = now_utc_ns();
            collector.expire(last_now);
            if (elapsed() - last_flush >= 1.0) {
                if (collector.buffered_records()) writer.flush(collector);
                last_flush = elapsed();
            }
        }
        for (auto& t : sessions) ::close(t.fd);
    }
    collector.finish(last_now);
    writer.flush(collector);
    writer.finish();
    const double secs = elapsed();
    const auto stats = collector.exporter_stats();

    if (args.has("json")) {
        JsonWriter w(std::cout);
        w.begin_object().key("datagrams").value(datagrams).key("skipped").value(skipped).key("records")
            .value(writer.stored()).key("seconds").value(secs).key("writer_waits").value(writer.waits())
            .key("writer_max_queued").value(writer.max_queued()).key("errors").value(collector.error_count())
            .key("unknown_version").value(collector.unknown_version()).key("exporters").begin_array();
        for (const auto& e : stats) {
            w.begin_object().key("exporter").value(e.exporter.to_string()).key("domain").value(uint64_t(e.observation_domain))
                .key("version").value(int(e.version)).key("packets").value(e.packets).key("records").value(e.records)
                .key("templates").value(e.templates).key("options_templates").value(e.options_templates)
                .key("options_records").value(e.options_records).key("sequence_gaps").value(e.sequence_gaps)
                .key("missing").value(e.missing).key("reordered").value(e.reordered).key("held_sets").value(e.held_sets)
                .key("dropped_sets").value(e.dropped_sets).key("malformed").value(e.malformed)
                .key("sampling_interval").value(uint64_t(e.sampling_interval)).end_object();
        }
        w.end_array().end_object();
        std::cout << "\n";
    } else if (!args.has("quiet")) {
        std::cout << "collected " << writer.stored() << " flow records from " << datagrams << " export datagrams in "
                  << secs << " s";
        if (skipped) std::cout << " (" << skipped << " other packets skipped)";
        std::cout << "\n";
        for (const auto& e : stats) {
            std::cout << "exporter " << e.exporter.to_string() << " v" << int(e.version) << " domain "
                      << e.observation_domain << ": " << e.packets << " packets, " << e.records << " records, "
                      << e.templates << " templates, " << e.options_templates << " options templates ("
                      << e.options_records << " records), " << e.sequence_gaps << " sequence gaps (" << e.missing
                      << " missing), " << e.reordered << " reordered, " << e.held_sets << " sets held for a template, "
                      << e.dropped_sets << " dropped, " << e.malformed << " malformed, sampling 1 in "
                      << e.sampling_interval << "\n";
        }
    }
    const auto& errs = collector.errors();
    for (size_t i = 0; i < errs.size() && i < 10; ++i) std::cerr << "iotwatch collect: " << errs[i] << "\n";
    if (collector.error_count() > 10)
        std::cerr << "iotwatch collect: " << (collector.error_count() - 10) << " more errors\n";
    if (!input_error.empty()) std::cerr << "iotwatch collect: " << input_error << "\n";
    return (collector.error_count() || !input_error.empty()) ? kExitBadInput : kExitOk;
}

}  // namespace iotwatch::cli

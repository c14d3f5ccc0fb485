#include "survey/survey_engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <deque>
#include <memory>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "core/json_writer.h"

namespace iotwatch {
namespace {

int64_t mono_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
int64_t utc_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

enum class ConnState { kIdle, kConnecting, kTlsHandshake, kOpen };

/// A socket address of either family.
struct SockAddr {
    sockaddr_storage storage{};
    socklen_t len = 0;
};
SockAddr sockaddr_of(const IpAddress& a, uint16_t port) {
    SockAddr out;
    if (a.is_v4()) {
        auto& in = reinterpret_cast<sockaddr_in&>(out.storage);
        in.sin_family = AF_INET;
        in.sin_port = htons(port);
        in.sin_addr.s_addr = htonl(a.v4_value());
        out.len = sizeof in;
    } else {
        auto& in6 = reinterpret_cast<sockaddr_in6&>(out.storage);
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(port);
        const auto b = a.bytes();
        std::memcpy(in6.sin6_addr.s6_addr, b.data(), 16);
        out.len = sizeof in6;
    }
    return out;
}

}  // namespace

struct SurveyEngine::Device {
    SurveyTarget target;
    std::unique_ptr<DeviceProbe> probe;
    SurveyResult result;
    uint32_t attempts = 0;       // credentials tried (verdict known)
    size_t next_cred = 0;        // index of the credential for the next connection
    uint32_t again = 0;          // kAgain reconnections (bounded)
    bool prompt_seen = false;
    const Credential* cred = nullptr;
    // connection
    ConnState state = ConnState::kIdle;
    int fd = -1;
    SSL* ssl = nullptr;
    std::string out;
    int64_t deadline_ns = 0, conn_end_ns = 0;
    bool want_write = false;
    const char* phase = nullptr;  // socket-driving probes: the phase at the last drive()
};

struct SurveyEngine::Impl {
    const SurveyScope& scope;
    RateLimiter& limiter;
    const CredentialList& creds;
    EngineSettings s;
    int ep = -1;
    SSL_CTX* tls = nullptr;
    std::unordered_set<Device*> active;   // connection open or connecting
    std::deque<Device*> waiting;          // need a (new) connection
    std::vector<std::unique_ptr<Device>> owned;
    EngineStats stats;
    size_t live = 0;  // devices pulled and not yet finished
    const std::function<void(const SurveyResult&)>* on_result = nullptr;

    Impl(const SurveyScope& sc, RateLimiter& l, const CredentialList& c, EngineSettings st)
        : scope(sc), limiter(l), creds(c), s(std::move(st)) {}

    void close_conn(Device& d) {
        if (d.ssl) {
            SSL_free(d.ssl);  // no close_notify: we leave at once
            d.ssl = nullptr;
        }
        if (d.fd >= 0) {
            epoll_ctl(ep, EPOLL_CTL_DEL, d.fd, nullptr);
            ::close(d.fd);
            d.fd = -1;
        }
        d.state = ConnState::kIdle;
        d.out.clear();
        active.erase(&d);
    }

    void finish(Device& d, SurveyOutcome o, const std::string& error = "") {
        close_conn(d);
        // A prompt seen on an earlier connection outranks a later failure to reconnect.
        if (d.prompt_seen && (o == SurveyOutcome::kOpenNoService || o == SurveyOutcome::kError ||
                              o == SurveyOutcome::kTimeout || o == SurveyOutcome::kClosed))
            o = SurveyOutcome::kAuthPrompt;
        SurveyResult& r = d.result;
        r.outcome = o;
        r.attempts = d.attempts;
        r.ended_ns = utc_ns();
        std::ostringstream js;
        JsonWriter w(js);
        w.begin_object();
        if (d.probe)
            for (const auto& [k, v] : d.probe->fields()) w.key(k).value(v);
        if (!error.empty()) w.key("error").value(error);
        w.end_object();
        r.detail = js.str();
        ++stats.done;
        --live;
        ++stats.outcomes[static_cast<int>(o)];
        (*on_result)(r);
        // Free the device: it is owned by `owned`; release it lazily by marking.
        d.probe.reset();
        d.target.module = nullptr;
    }

    const Credential* credential_for(Device& d) {
        if (!limiter.may_attempt(d.attempts) || d.next_cred >= creds.size()) return nullptr;
        return &creds.items()[d.next_cred];
    }

    void set_events(Device& d, uint32_t ev) {
        epoll_event e{};
        e.events = ev;
        e.data.ptr = &d;
        epoll_ctl(ep, EPOLL_CTL_MOD, d.fd, &e);
    }

    /// Opens a connection; false when it failed at once (the device is finished).
    void start_conn(Device& d, int64_t now) {
        const IpAddress& a = d.target.address;
        if (!scope.permits(a)) {  // the last gate before a packet leaves
            ++stats.refused;
            finish(d, SurveyOutcome::kError, "refused: outside the survey scope");
            return;
        }
        const bool v4 = a.is_v4();
        const std::optional<IpAddress>& source = v4 ? s.source : s.source6;
        if (!v4 && !source && !scope.loopback_test()) {  // the published address is part of a campaign
            finish(d, SurveyOutcome::kError, "no IPv6 source address (--source-address6) for an IPv6 target");
            return;
        }
        d.fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (d.fd < 0) {
            finish(d, SurveyOutcome::kError, std::string("socket: ") + strerror(errno));
            return;
        }
        ++stats.connections;
        if (source) {
            const SockAddr src = sockaddr_of(*source, 0);
            if (::bind(d.fd, reinterpret_cast<const sockaddr*>(&src.storage), src.len) != 0) {
                finish(d, SurveyOutcome::kError, std::string("bind to the source address: ") + strerror(errno));
                return;
            }
        }
        const SockAddr dst = sockaddr_of(a, d.target.port);
        d.cred = credential_for(d);
        d.state = ConnState::kConnecting;
        d.deadline_ns = now + int64_t(s.connect_timeout_ms) * 1000000;
        d.conn_end_ns = now + int64_t(s.connection_max_ms) * 1000000;
        active.insert(&d);
        epoll_event e{};
        e.events = EPOLLOUT;
        e.data.ptr = &d;
        epoll_ctl(ep, EPOLL_CTL_ADD, d.fd, &e);
        if (::connect(d.fd, reinterpret_cast<const sockaddr*>(&dst.storage), dst.len) != 0 && errno != EINPROGRESS) {
            const int err = errno;
            finish(d, err == ECONNREFUSED ? SurveyOutcome::kClosed : SurveyOutcome::kError, strerror(err));
        }
    }

    void on_connected(Device& d, int64_t now) {
        if (d.result.source_address.empty()) {
            sockaddr_storage local{};
            socklen_t len = sizeof local;
            if (getsockname(d.fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
                if (local.ss_family == AF_INET)
                    d.result.source_address =
                        IpAddress::v4(ntohl(reinterpret_cast<const sockaddr_in&>(local).sin_addr.s_addr)).to_string();
                else if (local.ss_family == AF_INET6)
                    d.result.source_address =
                        IpAddress::v6(reinterpret_cast<const sockaddr_in6&>(local).sin6_addr.s6_addr).to_string();
            }
        }
        if (d.target.module->tls && !d.ssl) {
            d.ssl = SSL_new(tls);
            SSL_set_fd(d.ssl, d.fd);
            SSL_set_connect_state(d.ssl);
            d.state = ConnState::kTlsHandshake;
            d.deadline_ns = now + int64_t(s.phase_timeout_ms) * 1000000;
            handshake(d, now);
            return;
        }
        d.state = ConnState::kOpen;
        d.deadline_ns = now + int64_t(s.phase_timeout_ms) * 1000000;
        d.probe->on_connect(d.cred, d.out);
        if (d.probe->drives_socket()) {
            d.out.clear();
            d.phase = d.probe->phase();
            drive(d, now);
            return;
        }
        flush(d);
        if (d.fd >= 0) set_events(d, EPOLLIN | (d.out.empty() ? 0u : uint32_t(EPOLLOUT)));
    }

    /// A socket-driving probe's turn (probe_module.h): it does its own reads and writes.
    void drive(Device& d, int64_t now) {
        const ProbeVerdict v = d.probe->drive(d.fd);
        if (v != ProbeVerdict::kContinue) return verdict(d, v, now);
        if (d.probe->phase() != d.phase) {  // progress restarts the phase clock
            d.phase = d.probe->phase();
            d.deadline_ns = now + int64_t(s.phase_timeout_ms) * 1000000;
        }
        set_events(d, EPOLLIN | (d.probe->wants_write() ? uint32_t(EPOLLOUT) : 0u));
    }

    void handshake(Device& d, int64_t now) {
        const int rc = SSL_do_handshake(d.ssl);
        if (rc == 1) {
            d.state = ConnState::kOpen;
            d.deadline_ns = now + int64_t(s.phase_timeout_ms) * 1000000;
            d.probe->on_connect(d.cred, d.out);
            flush(d);
            if (d.fd >= 0) set_events(d, EPOLLIN | (d.out.empty() ? 0u : uint32_t(EPOLLOUT)));
            return;
        }
        const int err = SSL_get_error(d.ssl, rc);
        if (err == SSL_ERROR_WANT_READ) set_events(d, EPOLLIN);
        else if (err == SSL_ERROR_WANT_WRITE) set_events(d, EPOLLOUT);
        else {
            ERR_clear_error();
            verdict(d, ProbeVerdict::kNoService, now, "TLS handshake failed");
        }
    }

    /// Writes what is pending; on a socket error the device is finished.
    void flush(Device& d) {
        while (!d.out.empty()) {
            ssize_t n;
            if (d.ssl) {
                n = SSL_write(d.ssl, d.out.data(), int(d.out.size()));
                if (n <= 0) {
                    const int err = SSL_get_error(d.ssl, int(n));
                    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) return;
                    ERR_clear_error();
                    finish(d, SurveyOutcome::kError, "TLS write failed");
                    return;
                }
            } else {
                n = ::send(d.fd, d.out.data(), d.out.size(), MSG_NOSIGNAL);
                if (n < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                    if (errno == EPIPE || errno == ECONNRESET) {
                        verdict(d, d.probe->on_eof(), mono_ns());
                        return;
                    }
                    finish(d, SurveyOutcome::kError, std::string("send: ") + strerror(errno));
                    return;
                }
            }
            d.out.erase(0, size_t(n));
        }
    }

    void readable(Device& d, int64_t now) {
        char buf[4096];
        for (int rounds = 0; rounds < 16 && d.fd >= 0; ++rounds) {
            ssize_t n;
            bool eof = false;
            if (d.ssl) {
                n = SSL_read(d.ssl, buf, sizeof buf);
                if (n <= 0) {
                    const int err = SSL_get_error(d.ssl, int(n));
                    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
                    ERR_clear_error();
                    eof = true;
                }
            } else {
                n = ::recv(d.fd, buf, sizeof buf, 0);
                if (n < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                    eof = true;  // reset: the peer is gone
                } else if (n == 0) {
                    eof = true;
                }
            }
            if (eof) {
                verdict(d, d.probe->on_eof(), now);
                return;
            }
            d.deadline_ns = now + int64_t(s.phase_timeout_ms) * 1000000;  // progress restarts the phase clock
            const ProbeVerdict v = d.probe->on_data(std::string_view(buf, size_t(n)), d.out);
            if (v != ProbeVerdict::kContinue) {
                verdict(d, v, now);
                return;
            }
            flush(d);
            if (d.fd >= 0 && !d.out.empty()) set_events(d, EPOLLIN | EPOLLOUT);
        }
    }

    void verdict(Device& d, ProbeVerdict v, int64_t now, const std::string& error = "") {
        switch (v) {
            case ProbeVerdict::kContinue:
                return;
            case ProbeVerdict::kNoService: return finish(d, SurveyOutcome::kOpenNoService, error);
            case ProbeVerdict::kNoAuth: return finish(d, SurveyOutcome::kNoAuth, error);
            case ProbeVerdict::kPrompt:
                d.prompt_seen = true;
                return finish(d, SurveyOutcome::kAuthPrompt, error);
            case ProbeVerdict::kError: return finish(d, SurveyOutcome::kError, error.empty() ? "protocol error" : error);
            case ProbeVerdict::kLoginOk:
                // Disconnect first: nothing more is ever sent on a session that logged in.
                close_conn(d);
                ++d.attempts;
                d.result.credential_id = d.cred ? d.cred->id : "";
                return finish(d, SurveyOutcome::kLoginOk);
            case ProbeVerdict::kAgain:
                d.prompt_seen = true;
                close_conn(d);
                if (++d.again > 3 || !d.cred) return finish(d, SurveyOutcome::kAuthPrompt, "prompt repeated without a verdict");
                waiting.push_back(&d);
                return;
            case ProbeVerdict::kRejected:
                d.prompt_seen = true;
                close_conn(d);
                if (d.cred) {
                    ++d.attempts;
                    ++d.next_cred;
                }
                d.again = 0;
                if (!credential_for(d)) return finish(d, SurveyOutcome::kAuthPrompt);
                waiting.push_back(&d);
                return;
        }
    }

    void timeout(Device& d, int64_t now) {
        if (d.state == ConnState::kConnecting) return finish(d, SurveyOutcome::kTimeout, "connect timed out");
        if (d.state == ConnState::kTlsHandshake) return finish(d, SurveyOutcome::kTimeout, "TLS handshake timed out");
        const char* phase = d.probe->phase();
        const ProbeVerdict v = d.probe->on_timeout();
        if (v == ProbeVerdict::kContinue || v == ProbeVerdict::kError)
            return finish(d, SurveyOutcome::kTimeout, std::string("timed out in phase ") + phase);
        verdict(d, v, now, std::string("timed out in phase ") + phase);
    }
};

SurveyEngine::SurveyEngine(const SurveyScope& scope, RateLimiter& limiter, const CredentialList& creds,
                           EngineSettings settings) {
    if (settings.concurrency == 0) throw ConfigError("--concurrency: must be >= 1");
    if (settings.connect_timeout_ms <= 0 || settings.phase_timeout_ms <= 0 || settings.connection_max_ms <= 0)
        throw ConfigError("--timeout: must be > 0 ms");
    impl_ = new Impl(scope, limiter, creds, std::move(settings));
    impl_->ep = epoll_create1(EPOLL_CLOEXEC);
    if (impl_->ep < 0) {
        delete impl_;
        throw StoreError(std::string("epoll_create1: ") + strerror(errno));
    }
    impl_->tls = SSL_CTX_new(TLS_client_method());
    // Devices present self-signed certificates: the survey asks whether a login prompt exists, it
    // does not trust the peer with anything but the weak credential being tested.
    SSL_CTX_set_verify(impl_->tls, SSL_VERIFY_NONE, nullptr);
}

SurveyEngine::~SurveyEngine() {
    for (Device* d : std::vector<Device*>(impl_->active.begin(), impl_->active.end())) impl_->close_conn(*d);
    if (impl_->tls) SSL_CTX_free(impl_->tls);
    if (impl_->ep >= 0) ::close(impl_->ep);
    delete impl_;
}

EngineStats SurveyEngine::run(const std::function<std::optional<SurveyTarget>()>& next,
                              const std::function<void(const SurveyResult&)>& on_result, const std::atomic<bool>* stop,
                              const std::function<void(const EngineStats&)>& progress) {
    Impl& m = *impl_;
    m.on_result = &on_result;
    const int64_t t0 = mono_ns();
    int64_t last_progress = t0, last_prune = t0;
    bool exhausted = false;
    auto in_flight = [&] { return m.live; };
    std::vector<epoll_event> events(256);
    for (;;) {
        const int64_t now = mono_ns();
        // Drop finished devices so memory follows what is in flight.
        if (m.owned.size() > 2 * m.s.concurrency || exhausted)
            std::erase_if(m.owned, [](const std::unique_ptr<Device>& d) { return d->target.module == nullptr; });
        // New targets, while there is room.
        while (!exhausted && !(stop && stop->load()) && in_flight() < m.s.concurrency && m.waiting.size() < m.s.concurrency) {
            auto t = next();
            if (!t) {
                exhausted = true;
                break;
            }
            auto d = std::make_unique<Device>();
            d->target = *t;
            d->probe = t->module->make({t->address.to_string(), t->port}, m.s.contact);
            d->result.campaign = m.s.campaign;
            d->result.index = t->index;
            d->result.address = t->address;
            d->result.port = t->port;
            d->result.protocol = t->module->name;
            d->result.started_ns = utc_ns();
            const auto& src = t->address.is_v4() ? m.s.source : m.s.source6;
            if (src) d->result.source_address = src->to_string();
            m.waiting.push_back(d.get());
            m.owned.push_back(std::move(d));
            ++m.live;
            if (m.waiting.size() > 64) break;  // start some before pulling more
        }
        if (stop && stop->load()) exhausted = true;
        // Connections the rate limiter allows now.
        for (size_t n = m.waiting.size(); n > 0 && !m.waiting.empty(); --n) {
            Device* d = m.waiting.front();
            m.waiting.pop_front();
            if (m.limiter.try_connect(d->target.address, now)) m.start_conn(*d, now);
            else m.waiting.push_back(d);
        }
        if (exhausted && m.active.empty() && m.waiting.empty()) break;
        // Wait for I/O or the next deadline (bounded so the limiter and progress get their turn).
        int64_t wake = now + (m.waiting.empty() ? 200'000'000 : 2'000'000);
        for (Device* d : m.active) wake = std::min(wake, std::min(d->deadline_ns, d->conn_end_ns));
        const int timeout_ms = int(std::max<int64_t>(0, (wake - now + 999'999) / 1'000'000));
        const int n = epoll_wait(m.ep, events.data(), int(events.size()), timeout_ms);
        const int64_t after = mono_ns();
        for (int i = 0; i < n; ++i) {
            Device& d = *static_cast<Device*>(events[size_t(i)].data.ptr);
            if (d.fd < 0) continue;  // finished by an earlier event of this batch
            const uint32_t ev = events[size_t(i)].events;
            if (d.state == ConnState::kConnecting) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(d.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err == 0) m.on_connected(d, after);
                else m.finish(d, err == ECONNREFUSED ? SurveyOutcome::kClosed : SurveyOutcome::kError, strerror(err));
                continue;
            }
            if (d.state == ConnState::kTlsHandshake) {
                m.handshake(d, after);
                continue;
            }
            if (d.probe->drives_socket()) {
                m.drive(d, after);
                continue;
            }
            if (ev & EPOLLOUT) {
                m.flush(d);
                if (d.fd >= 0 && d.out.empty()) m.set_events(d, EPOLLIN);
            }
            if (d.fd >= 0 && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) m.readable(d, after);
        }
        // Deadlines.
        std::vector<Device*> expired;
        for (Device* d : m.active)
            if (after >= d->deadline_ns || after >= d->conn_end_ns) expired.push_back(d);
        for (Device* d : expired)
            if (d->fd >= 0) m.timeout(*d, after);
        if (after - last_prune > 10'000'000'000LL) {
            m.limiter.prune(after);
            last_prune = after;
        }
        if (progress && after - last_progress >= 1'000'000'000LL) {
            m.stats.in_flight = in_flight();
            m.stats.elapsed_s = double(after - t0) / 1e9;
            progress(m.stats);
            last_progress = after;
        }
    }
    m.stats.in_flight = 0;
    m.stats.elapsed_s = double(mono_ns() - t0) / 1e9;
    m.owned.clear();
    return m.stats;
}

}  // namespace iotwatch

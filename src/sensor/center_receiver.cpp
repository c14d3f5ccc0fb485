#include "sensor/center_receiver.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/error.h"

namespace iotwatch {

struct CenterReceiver::Impl {
    Impl(Options o, std::vector<SensorToken> t, CenterJournal& j, std::function<void()> r, std::function<int64_t()> c)
        : options(std::move(o)), tokens(std::move(t)), journal(j), ready(std::move(r)), clock(std::move(c)) {}
    Options options;
    std::vector<SensorToken> tokens;
    CenterJournal& journal;
    std::function<void()> ready;
    std::function<int64_t()> clock;
    std::unique_ptr<httplib::SSLServer> http;
    std::once_flag ready_once;

    /// The sensor a bearer token belongs to, or "". Every token is compared (constant time, no
    /// early exit), so timing does not tell which one matched.
    std::string sensor_of(const httplib::Request& req) const {
        const std::string digest = bearer_token_sha256(req.get_header_value("Authorization"));
        std::string found;
        for (const auto& t : tokens)
            if (same_digest(digest, t.token_sha256)) found = t.sensor;
        return found;
    }
    static void reply(httplib::Response& res, int status, const nlohmann::json& j) {
        res.status = status;
        res.set_content(j.dump() + "\n", "application/json");
    }
    static std::string remote(const httplib::Request& req) {
        return (req.remote_addr.find(':') != std::string::npos ? "[" + req.remote_addr + "]" : req.remote_addr) + ":" +
               std::to_string(req.remote_port);
    }

    void routes() {
        http->Get("/sensor/v1/hello", [this](const httplib::Request& req, httplib::Response& res) {
            const std::string sensor = sensor_of(req);
            if (sensor.empty()) return reply(res, 401, {{"error", "missing or unknown sensor token"}});
            std::call_once(ready_once, ready);
            reply(res, 200, {{"sensor", sensor}, {"next_seq", journal.next_expected(sensor)}});
        });
        http->Post("/sensor/v1/batch", [this](const httplib::Request& req, httplib::Response& res) {
            const std::string sensor = sensor_of(req);
            if (sensor.empty()) return reply(res, 401, {{"error", "missing or unknown sensor token"}});
            std::call_once(ready_once, ready);
            SensorBatch batch;
            try {
                batch = decode_sensor_batch(req.body, "batch from " + sensor);
            } catch (const InputError& e) {
                return reply(res, 400, {{"error", e.what()}});
            }
            if (batch.sensor != sensor)
                return reply(res, 403, {{"error", "the token is sensor '" + sensor + "''s; the batch says '" +
                                                      batch.sensor + "'"}});
            try {
                const auto r = journal.accept(batch, req.body, remote(req), clock());
                reply(res, 200, {{"acked", batch.seq}, {"duplicate", r == CenterJournal::Accepted::kDuplicate}});
            } catch (const std::exception& e) {
                // Not stored, not acknowledged: the sensor keeps it and retries.
                reply(res, 503, {{"error", std::string("cannot store the batch: ") + e.what()}});
            }
        });
    }
};

CenterReceiver::CenterReceiver(Options options, std::vector<SensorToken> tokens, CenterJournal& journal,
                               std::function<void()> ready, std::function<int64_t()> wall_clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(tokens), journal, std::move(ready),
                                   std::move(wall_clock))) {
    auto& o = impl_->options;
    if (o.tls_cert.empty() || o.tls_key.empty())
        throw ConfigError("the centre needs --tls-cert and --tls-key: sensors connect over TLS only");
    for (const auto& name : journal.sensors()) {
        bool has = false;
        for (const auto& t : impl_->tokens) has = has || (t.sensor == name && !t.token_sha256.empty());
        if (!has) throw ConfigError("sensor '" + name + "' has no token_sha256: it could never connect");
    }
    impl_->http = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!impl_->http->is_valid())
        throw ConfigError("cannot load the TLS certificate/key " + o.tls_cert + " / " + o.tls_key);
    const unsigned threads = std::max(2u, o.threads);
    impl_->http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    impl_->http->set_payload_max_length(SensorBatch::kMaxEncodedBytes);
    impl_->http->set_keep_alive_max_count(1u << 30);
    impl_->http->set_tcp_nodelay(true);
    impl_->http->set_read_timeout(30, 0);
    impl_->routes();
}

CenterReceiver::~CenterReceiver() = default;

int CenterReceiver::bind() {
    auto& o = impl_->options;
    int port = o.port;
    if (port == 0) port = impl_->http->bind_to_any_port(o.host);
    else if (!impl_->http->bind_to_port(o.host, port)) port = -1;
    if (port <= 0) throw ConfigError("cannot listen on " + o.host + ":" + std::to_string(o.port));
    return port;
}

void CenterReceiver::serve() { impl_->http->listen_after_bind(); }
void CenterReceiver::stop() { impl_->http->stop(); }

}  // namespace iotwatch

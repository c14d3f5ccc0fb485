#include "survey/http_probe.h"

#include <optional>

#include "survey/http_auth.h"

namespace iotwatch {
namespace {

constexpr size_t kMaxResponse = 64 * 1024;

class HttpProbe final : public DeviceProbe {
public:
    HttpProbe(const ProbeTarget& t, const std::string& contact)
        : host_((t.address.find(':') != std::string::npos ? "[" + t.address + "]" : t.address) + ":" +
                std::to_string(t.port)),
          contact_(contact) {}

    void on_connect(const Credential* cred, std::string& out) override {
        buf_.clear();
        cred_ = cred;
        authenticated_ = cred && challenge_;
        std::string req = "GET / HTTP/1.1\r\nHost: " + host_ + "\r\nUser-Agent: iotwatch-survey (opt-out: " + contact_ +
                          ")\r\nAccept: */*\r\nConnection: close\r\n";
        if (authenticated_) {
            ++nc_;  // apart from the call: argument evaluation order is unspecified
            req += "Authorization: " + HttpAuth::authorization(*challenge_, cred->user, cred->password, "GET", "/",
                                                               "iotw" + std::to_string(nc_), nc_) + "\r\n";
        }
        out += req + "\r\n";
        phase_ = authenticated_ ? "auth-response" : "response";
    }

    ProbeVerdict on_data(std::string_view in, std::string&) override {
        if (buf_.size() < kMaxResponse) buf_.append(in.substr(0, kMaxResponse - buf_.size()));
        bool not_http = false;
        auto head = HttpAuth::parse_head(buf_, &not_http);
        if (not_http) return ProbeVerdict::kNoService;
        if (!head) return buf_.size() >= kMaxResponse ? ProbeVerdict::kNoService : ProbeVerdict::kContinue;
        status_ = head->status;
        server_ = head->server;
        if (head->status == 401) {
            const HttpChallenge* c = HttpAuth::choose(head->challenges);
            if (!head->challenges.empty()) scheme_ = HttpAuth::describe(c ? *c : head->challenges.front());
            const bool stale = c && c->params.count("stale") && (c->params.at("stale") == "true" || c->params.at("stale") == "TRUE");
            if (c) challenge_ = *c;
            if (!challenge_) return ProbeVerdict::kPrompt;  // a prompt we cannot answer (unsupported scheme)
            if (!authenticated_) return cred_ ? ProbeVerdict::kAgain : ProbeVerdict::kPrompt;
            if (stale && stale_retries_++ < 1) return ProbeVerdict::kAgain;  // nonce expired: same credential again
            return ProbeVerdict::kRejected;
        }
        if (!authenticated_) return ProbeVerdict::kNoAuth;
        // RFC 7616 servers answer a malformed Authorization with 400: that is our error, not a login.
        if (head->status == 400) return ProbeVerdict::kError;
        return ProbeVerdict::kLoginOk;
    }
    ProbeVerdict on_eof() override { return ProbeVerdict::kNoService; }  // closed before a complete head
    ProbeVerdict on_timeout() override { return buf_.empty() ? ProbeVerdict::kNoService : ProbeVerdict::kError; }
    const char* phase() const override { return phase_; }
    std::vector<std::pair<std::string, std::string>> fields() const override {
        return {{"status", std::to_string(status_)}, {"server", server_}, {"scheme", scheme_}};
    }

private:
    std::string host_, contact_, buf_;
    const Credential* cred_ = nullptr;
    std::optional<HttpChallenge> challenge_;
    bool authenticated_ = false;
    uint32_t nc_ = 0;
    int stale_retries_ = 0;
    int status_ = 0;
    std::string server_, scheme_;
    const char* phase_ = "connect";
};

ProbeModule make(const char* name, std::vector<uint16_t> ports, bool tls) {
    ProbeModule m;
    m.name = name;
    m.default_ports = std::move(ports);
    m.tls = tls;
    m.fields = {"status", "server", "scheme"};
    m.help = tls ? "HTTP over TLS: 401 Basic/Digest (RFC 7616 MD5, SHA-256, qop=auth)"
                 : "HTTP: 401 Basic/Digest (RFC 7616 MD5, SHA-256, qop=auth)";
    m.make = [](const ProbeTarget& t, const std::string& contact) -> std::unique_ptr<DeviceProbe> {
        return std::make_unique<HttpProbe>(t, contact);
    };
    return m;
}

}  // namespace

ProbeModule http_probe_module() { return make("http", {80, 8080, 8000, 81}, false); }
ProbeModule https_probe_module() { return make("https", {443, 8443}, true); }

}  // namespace iotwatch

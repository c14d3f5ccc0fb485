#include "survey/telnet_probe.h"

#include <optional>

#include "survey/telnet_login.h"

namespace iotwatch {
namespace {

/// One device: a fresh TelnetLogin per connection.
class TelnetProbe final : public DeviceProbe {
public:
    void on_connect(const Credential* cred, std::string&) override {
        login_.emplace(cred ? std::optional<std::string>(cred->user) : std::nullopt,
                       cred ? std::optional<std::string>(cred->password) : std::nullopt);
    }
    ProbeVerdict on_data(std::string_view in, std::string& out) override { return map(login_->feed(in, out)); }
    ProbeVerdict on_eof() override { return map(login_->on_eof()); }
    ProbeVerdict on_timeout() override { return map(login_->on_timeout()); }
    const char* phase() const override {
        if (!login_) return "connect";
        switch (login_->phase()) {
            case TelnetLogin::Phase::kBanner: return "banner";
            case TelnetLogin::Phase::kSentUser: return "user";
            case TelnetLogin::Phase::kSentPassword: return "password";
            case TelnetLogin::Phase::kDone: break;
        }
        return "done";
    }
    std::vector<std::pair<std::string, std::string>> fields() const override {
        return {{"prompt_seen", prompt_seen_ ? "true" : "false"},
                {"banner_ends_like_shell", shell_like_ ? "true" : "false"}};
    }

private:
    ProbeVerdict map(TelnetLogin::Verdict v) {
        prompt_seen_ = prompt_seen_ || login_->prompt_seen();
        if (v != TelnetLogin::Verdict::kContinue && login_->banner_ends_like_shell()) shell_like_ = true;
        switch (v) {
            case TelnetLogin::Verdict::kContinue: return ProbeVerdict::kContinue;
            case TelnetLogin::Verdict::kPrompt: return ProbeVerdict::kPrompt;
            case TelnetLogin::Verdict::kRejected: return ProbeVerdict::kRejected;
            case TelnetLogin::Verdict::kLoginOk: return ProbeVerdict::kLoginOk;
            case TelnetLogin::Verdict::kNoService: return ProbeVerdict::kNoService;
        }
        return ProbeVerdict::kError;
    }
    std::optional<TelnetLogin> login_;
    bool prompt_seen_ = false, shell_like_ = false;
};

}  // namespace

ProbeModule telnet_probe_module() {
    ProbeModule m;
    m.name = "telnet";
    m.default_ports = {23, 2323};
    m.fields = {"prompt_seen", "banner_ends_like_shell"};
    m.help = "telnet login (RFC 854 option negotiation; one credential per connection)";
    m.make = [](const ProbeTarget&, const std::string&) -> std::unique_ptr<DeviceProbe> { return std::make_unique<TelnetProbe>(); };
    return m;
}

}  // namespace iotwatch

#include "survey/ssh_probe.h"

#include <libssh/libssh.h>
#include <unistd.h>

#include <string>

namespace iotwatch {
namespace {

// Devices run old SSH servers: offer the legacy algorithms after the modern ones. A list the
// library refuses (built without one of them) leaves its defaults.
constexpr const char* kKex =
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
    "diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,"
    "diffie-hellman-group1-sha1";
constexpr const char* kHostKeys = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,rsa-sha2-512,rsa-sha2-256,ssh-rsa";
constexpr const char* kCiphers =
    "aes128-ctr,aes256-ctr,aes192-ctr,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
    "chacha20-poly1305@openssh.com,aes128-cbc,aes256-cbc,3des-cbc";
constexpr const char* kIdentifyUser = "root";  // user name of the methods query without a credential
constexpr int kMaxKbdintRounds = 3;

class SshProbe final : public DeviceProbe {
public:
    explicit SshProbe(const ProbeTarget& t) : host_(t.address) {}
    ~SshProbe() override { release(); }

    void on_connect(const Credential* cred, std::string&) override {
        release();
        cred_ = cred;
        step_ = Step::kStart;
        phase_ = "connect";
        kbdint_rounds_ = 0;
    }
    ProbeVerdict on_data(std::string_view, std::string&) override { return ProbeVerdict::kError; }
    ProbeVerdict on_eof() override { return ProbeVerdict::kError; }
    ProbeVerdict on_timeout() override {
        release();
        return ProbeVerdict::kContinue;  // the engine reports a timeout in phase()
    }
    const char* phase() const override { return phase_; }
    bool drives_socket() const override { return true; }
    bool wants_write() const override { return s_ && (ssh_get_poll_flags(s_) & SSH_WRITE_PENDING); }

    ProbeVerdict drive(int fd) override {
        const ProbeVerdict v = step(fd);
        if (v != ProbeVerdict::kContinue) release();  // leave at once: the connection closes now
        return v;
    }

    std::vector<std::pair<std::string, std::string>> fields() const override {
        std::vector<std::pair<std::string, std::string>> f;
        if (!banner_.empty()) f.emplace_back("banner", banner_);
        if (!methods_.empty()) f.emplace_back("methods", methods_);
        if (!auth_.empty()) f.emplace_back("auth", auth_);
        if (!ssh_error_.empty()) f.emplace_back("ssh_error", ssh_error_);
        return f;
    }

private:
    enum class Step { kStart, kHandshake, kNone, kPassword, kKbdint, kDone };

    void release() {
        if (s_) {
            ssh_free(s_);  // closes its dup of the socket (it owns it once ssh_connect ran)
            s_ = nullptr;
        }
    }

    ProbeVerdict fail(ProbeVerdict v) {
        if (s_) ssh_error_ = ssh_get_error(s_);
        step_ = Step::kDone;
        return v;
    }

    ProbeVerdict step(int fd) {
        switch (step_) {
            case Step::kStart: {
                const int own = ::dup(fd);
                if (own < 0) return fail(ProbeVerdict::kError);
                s_ = ssh_new();
                if (!s_) {
                    ::close(own);
                    return fail(ProbeVerdict::kError);
                }
                socket_t sock = own;
                const int no = 0;
                ssh_options_set(s_, SSH_OPTIONS_FD, &sock);
                ssh_options_set(s_, SSH_OPTIONS_HOST, host_.c_str());
                ssh_options_set(s_, SSH_OPTIONS_PROCESS_CONFIG, &no);  // never the machine's ssh_config
                ssh_options_set(s_, SSH_OPTIONS_USER, cred_ ? cred_->user.c_str() : kIdentifyUser);
                ssh_options_set(s_, SSH_OPTIONS_KEY_EXCHANGE, kKex);
                ssh_options_set(s_, SSH_OPTIONS_HOSTKEYS, kHostKeys);
                ssh_options_set(s_, SSH_OPTIONS_CIPHERS_C_S, kCiphers);
                ssh_options_set(s_, SSH_OPTIONS_CIPHERS_S_C, kCiphers);
                ssh_set_blocking(s_, 0);
                step_ = Step::kHandshake;
                phase_ = "handshake";
                [[fallthrough]];
            }
            case Step::kHandshake: {
                const int rc = ssh_connect(s_);
                if (rc == SSH_AGAIN) return ProbeVerdict::kContinue;
                if (const char* b = ssh_get_serverbanner(s_)) banner_ = b;
                if (rc != SSH_OK) return fail(ProbeVerdict::kNoService);  // not SSH, or no common algorithm
                step_ = Step::kNone;
                phase_ = "methods";
                [[fallthrough]];
            }
            case Step::kNone: {
                const int rc = ssh_userauth_none(s_, nullptr);
                if (rc == SSH_AUTH_AGAIN) return ProbeVerdict::kContinue;
                if (rc == SSH_AUTH_SUCCESS) {
                    methods_ = "none";
                    return fail(ProbeVerdict::kNoAuth);
                }
                if (rc == SSH_AUTH_ERROR) return fail(ProbeVerdict::kError);
                const int m = ssh_userauth_list(s_, nullptr);
                methods_ = method_names(m);
                const bool password = m & SSH_AUTH_METHOD_PASSWORD, kbdint = m & SSH_AUTH_METHOD_INTERACTIVE;
                if (!password && !kbdint) return fail(ProbeVerdict::kNoService);  // keys only: no ID/password
                if (!cred_) return fail(ProbeVerdict::kPrompt);
                step_ = password ? Step::kPassword : Step::kKbdint;
                auth_ = password ? "password" : "keyboard-interactive";
                phase_ = "password";
                return step(fd);
            }
            case Step::kPassword: {
                const int rc = ssh_userauth_password(s_, nullptr, cred_->password.c_str());
                return auth_result(rc);
            }
            case Step::kKbdint: {
                int rc = ssh_userauth_kbdint(s_, nullptr, nullptr);
                while (rc == SSH_AUTH_INFO) {
                    if (++kbdint_rounds_ > kMaxKbdintRounds) return fail(ProbeVerdict::kRejected);
                    const int n = ssh_userauth_kbdint_getnprompts(s_);
                    for (int i = 0; i < n; ++i) {
                        char echo = 0;
                        ssh_userauth_kbdint_getprompt(s_, unsigned(i), &echo);
                        // A visible prompt asks for the user name, a hidden one for the password.
                        const std::string& answer = echo ? cred_->user : cred_->password;
                        if (ssh_userauth_kbdint_setanswer(s_, unsigned(i), answer.c_str()) < 0)
                            return fail(ProbeVerdict::kError);
                    }
                    rc = ssh_userauth_kbdint(s_, nullptr, nullptr);
                }
                return auth_result(rc);
            }
            case Step::kDone:
                return ProbeVerdict::kError;
        }
        return ProbeVerdict::kError;
    }

    ProbeVerdict auth_result(int rc) {
        switch (rc) {
            case SSH_AUTH_AGAIN: return ProbeVerdict::kContinue;
            case SSH_AUTH_SUCCESS: step_ = Step::kDone; return ProbeVerdict::kLoginOk;
            case SSH_AUTH_DENIED:
            case SSH_AUTH_PARTIAL:  // a second factor is required: the weak password alone does not log in
                step_ = Step::kDone;
                return ProbeVerdict::kRejected;
            default: return fail(ProbeVerdict::kError);
        }
    }

    static std::string method_names(int m) {
        std::string out;
        auto add = [&](int bit, const char* name) {
            if (!(m & bit)) return;
            if (!out.empty()) out += ',';
            out += name;
        };
        add(SSH_AUTH_METHOD_PASSWORD, "password");
        add(SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive");
        add(SSH_AUTH_METHOD_PUBLICKEY, "publickey");
        add(SSH_AUTH_METHOD_HOSTBASED, "hostbased");
        return out;
    }

    std::string host_;
    const Credential* cred_ = nullptr;
    ssh_session s_ = nullptr;
    Step step_ = Step::kStart;
    const char* phase_ = "connect";
    int kbdint_rounds_ = 0;
    std::string banner_, methods_, auth_, ssh_error_;
};

}  // namespace

ProbeModule ssh_probe_module() {
    ProbeModule m;
    m.name = "ssh";
    m.default_ports = {22};
    m.fields = {"banner", "methods", "auth", "ssh_error"};
    m.help = "SSH (libssh): 'none' auth for the methods, then password or keyboard-interactive";
    m.make = [](const ProbeTarget& t, const std::string&) -> std::unique_ptr<DeviceProbe> {
        return std::make_unique<SshProbe>(t);
    };
    return m;
}

}  // namespace iotwatch

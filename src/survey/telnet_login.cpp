#include "survey/telnet_login.h"

#include <algorithm>
#include <cctype>

namespace iotwatch {
namespace {

constexpr size_t kMaxText = 4096;  // keeps the tail: prompts are only matched at the end

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

/// The text without trailing whitespace, lower-cased.
std::string tail(const std::string& text) {
    size_t end = text.find_last_not_of(" \t\n\r");
    return end == std::string::npos ? std::string() : lower(std::string_view(text).substr(0, end + 1));
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_login_prompt(const std::string& t) {
    return ends_with(t, "login:") || ends_with(t, "username:") || ends_with(t, "user name:") || ends_with(t, "user:");
}
bool is_password_prompt(const std::string& t) { return ends_with(t, "password:") || ends_with(t, "passcode:"); }

}  // namespace

TelnetLogin::TelnetLogin(std::optional<std::string> user, std::optional<std::string> password)
    : user_(std::move(user)), password_(std::move(password)) {}

void TelnetLogin::visible(char c) {
    text_ += c;
    if (text_.size() > 2 * kMaxText) text_.erase(0, text_.size() - kMaxText);
}

void TelnetLogin::data_byte(uint8_t c) {
    // ANSI escapes: ESC [ params final (0x40..0x7E), or ESC + one character.
    if (parse_ == Parse::kEsc) {
        parse_ = c == '[' ? Parse::kCsi : Parse::kData;
        return;
    }
    if (parse_ == Parse::kCsi) {
        if (c >= 0x40 && c <= 0x7E) parse_ = Parse::kData;
        return;
    }
    if (c == 0x1B) {
        parse_ = Parse::kEsc;
        return;
    }
    if (c == '\r') {
        parse_ = Parse::kCr;
        return;
    }
    if (c == 0) return;  // NUL outside CR NUL is padding
    visible(char(c));
}

void TelnetLogin::negotiate(uint8_t cmd, uint8_t opt, std::string& reply) {
    auto send = [&](uint8_t verb) {
        reply += char(kIac);
        reply += char(verb);
        reply += char(opt);
    };
    switch (cmd) {
        case kWill:
            if (opt == kOptEcho || opt == kOptSga) {
                if (!remote_on_[opt]) {  // a real change: accept it
                    remote_on_[opt] = true;
                    send(kDo);
                }
            } else if (!remote_on_[opt]) {
                send(kDont);  // refuse; an option we never enable is always off
            }
            break;
        case kWont:
            if (remote_on_[opt]) {  // acknowledge only a change
                remote_on_[opt] = false;
                send(kDont);
            }
            break;
        case kDo:
            send(kWont);  // we enable nothing locally, so every DO is a change we refuse
            break;
        case kDont:
            break;  // our options are always off: DONT changes nothing, so it is not answered
    }
}

TelnetLogin::Verdict TelnetLogin::feed(std::string_view bytes, std::string& reply) {
    if (phase_ == Phase::kDone) return Verdict::kContinue;
    if (!bytes.empty()) received_ = true;
    for (unsigned char c : bytes) {
        switch (parse_) {
            case Parse::kIac:
                if (c == kIac) {
                    parse_ = after_esc_;
                    data_byte(0xFF);
                } else if (c == kWill) parse_ = Parse::kWill;
                else if (c == kWont) parse_ = Parse::kWont;
                else if (c == kDo) parse_ = Parse::kDo;
                else if (c == kDont) parse_ = Parse::kDont;
                else if (c == kSb) parse_ = Parse::kSb;
                else parse_ = after_esc_;  // NOP, GA, DM, ...: two-byte commands, ignored
                break;
            case Parse::kWill:
            case Parse::kWont:
            case Parse::kDo:
            case Parse::kDont: {
                const uint8_t cmd = parse_ == Parse::kWill ? kWill : parse_ == Parse::kWont ? kWont
                                  : parse_ == Parse::kDo   ? kDo
                                                           : kDont;
                parse_ = after_esc_;
                negotiate(cmd, c, reply);
                break;
            }
            case Parse::kSb:
                if (c == kIac) parse_ = Parse::kSbIac;
                break;  // subnegotiation payload is skipped (we asked for nothing)
            case Parse::kSbIac:
                parse_ = c == kSe ? after_esc_ : Parse::kSb;  // IAC IAC inside SB is payload
                break;
            case Parse::kCr:
                parse_ = Parse::kData;
                after_esc_ = Parse::kData;
                visible('\n');  // CR NUL, CR LF and a bare CR all end the line
                if (c == kIac) {
                    after_esc_ = Parse::kData;
                    parse_ = Parse::kIac;
                } else if (c != 0 && c != '\n') {
                    data_byte(c);
                }
                break;
            default:  // kData, kEsc, kCsi: IAC may interrupt an escape sequence
                if (c == kIac) {
                    after_esc_ = parse_;
                    parse_ = Parse::kIac;
                } else {
                    data_byte(c);
                }
                break;
        }
    }
    return judge(reply);
}

TelnetLogin::Verdict TelnetLogin::judge(std::string& reply) {
    const std::string t = tail(text_);
    switch (phase_) {
        case Phase::kBanner:
            if (is_login_prompt(t) || is_password_prompt(t)) {
                prompt_seen_ = true;
                if (!user_ || !password_) {
                    phase_ = Phase::kDone;
                    return Verdict::kPrompt;
                }
                if (is_password_prompt(t)) {  // password-only device
                    reply += *password_ + "\r\n";
                    phase_ = Phase::kSentPassword;
                } else {
                    reply += *user_ + "\r\n";
                    phase_ = Phase::kSentUser;
                }
                text_.clear();
            }
            return Verdict::kContinue;
        case Phase::kSentUser:
            if (is_password_prompt(t)) {
                reply += *password_ + "\r\n";
                phase_ = Phase::kSentPassword;
                text_.clear();
            } else if (is_login_prompt(t) || t.find("incorrect") != std::string::npos || t.find("invalid") != std::string::npos) {
                phase_ = Phase::kDone;
                return Verdict::kRejected;
            }
            return Verdict::kContinue;
        case Phase::kSentPassword: {
            for (const char* word : {"incorrect", "failed", "denied", "invalid", "bad password", "wrong"})
                if (t.find(word) != std::string::npos) {
                    phase_ = Phase::kDone;
                    return Verdict::kRejected;
                }
            if (is_login_prompt(t) || is_password_prompt(t)) {
                phase_ = Phase::kDone;
                return Verdict::kRejected;
            }
            if (t.find("last login") != std::string::npos ||
                (!t.empty() && (t.back() == '#' || t.back() == '$' || t.back() == '>' || t.back() == '%'))) {
                phase_ = Phase::kDone;
                return Verdict::kLoginOk;
            }
            return Verdict::kContinue;
        }
        case Phase::kDone:
            break;
    }
    return Verdict::kContinue;
}

bool TelnetLogin::banner_ends_like_shell() const {
    const std::string t = tail(text_);
    return phase_ == Phase::kBanner && !t.empty() && (t.back() == '#' || t.back() == '$' || t.back() == '>');
}

TelnetLogin::Verdict TelnetLogin::on_eof() {
    const Phase was = phase_;
    phase_ = Phase::kDone;
    if (was == Phase::kBanner) return Verdict::kNoService;
    if (was == Phase::kDone) return Verdict::kContinue;
    return Verdict::kRejected;  // closed after we typed: the credential did not open a session
}

TelnetLogin::Verdict TelnetLogin::on_timeout() {
    const Phase was = phase_;
    phase_ = Phase::kDone;
    if (was == Phase::kBanner) return Verdict::kNoService;
    if (was == Phase::kDone) return Verdict::kContinue;
    return Verdict::kRejected;  // no success sign after the password: never claim a login
}

}  // namespace iotwatch

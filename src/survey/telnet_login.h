// TelnetLogin: the telnet login state machine (no I/O). feed() takes whatever bytes a read
// returned, answers option negotiation, and says what to type next and what it concluded.
// It follows DOMAIN.md section 3 exactly:
//   - IAC parser state persists across reads (commands and SB ... IAC SE may be split anywhere);
//     IAC IAC is the data byte 0xFF; CR NUL and CR LF are one newline;
//   - WILL ECHO / WILL SGA -> DO; any other WILL -> DONT; every DO -> WONT; a request that changes
//     no state (WILL for an option already on, WONT/DONT for one already off) is not answered;
//   - ANSI escape sequences are stripped (state persists across reads too);
//   - prompts are matched only at the end of the text received (login:, username:, password:,
//     passcode:), so a prompt word in a banner does not count; password-only devices work;
//   - success is judged only after the password was sent (the text is cleared when it is sent, so
//     a `#` in a banner can never count): a failure word (incorrect, failed, denied, invalid) is a
//     rejection; a trailing prompt character # $ > % or "last login" is success.
// With no credential the machine stops at the first login/password prompt (auth-prompt).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotwatch {

class TelnetLogin {
public:
    enum class Verdict {
        kContinue,   // nothing concluded yet
        kPrompt,     // a login/password prompt was seen and no credential was given
        kRejected,   // the credential was typed and refused
        kLoginOk,    // the credential was accepted: the caller disconnects at once
        kNoService,  // the connection ended or idled without any prompt
    };
    enum class Phase { kBanner, kSentUser, kSentPassword, kDone };

    /// `user`/`password` empty optional: identify only (stop at the prompt).
    TelnetLogin(std::optional<std::string> user, std::optional<std::string> password);

    /// Consumes received bytes; appends what to send (negotiation answers, typed lines) to `reply`.
    Verdict feed(std::string_view bytes, std::string& reply);
    /// The peer closed the connection.
    Verdict on_eof();
    /// The phase timed out (no conclusive text).
    Verdict on_timeout();

    Phase phase() const { return phase_; }
    bool prompt_seen() const { return prompt_seen_; }
    /// The visible text received since the last line we typed (ANSI and IAC removed), bounded.
    const std::string& text() const { return text_; }
    /// Whether anything at all (data or negotiation) was received.
    bool received_anything() const { return received_; }
    /// True when the banner phase ended with a trailing shell prompt character (a possible
    /// no-auth shell; reported as a detail, never as success: a `#` in a banner must not count).
    bool banner_ends_like_shell() const;

    static constexpr uint8_t kIac = 255, kDont = 254, kDo = 253, kWont = 252, kWill = 251, kSb = 250, kSe = 240;
    static constexpr uint8_t kOptEcho = 1, kOptSga = 3;

private:
    enum class Parse { kData, kIac, kWill, kWont, kDo, kDont, kSb, kSbIac, kCr, kEsc, kCsi };
    void data_byte(uint8_t c);
    void visible(char c);
    void negotiate(uint8_t cmd, uint8_t opt, std::string& reply);
    Verdict judge(std::string& reply);

    std::optional<std::string> user_, password_;
    Phase phase_ = Phase::kBanner;
    Parse parse_ = Parse::kData;
    Parse after_esc_ = Parse::kData;  // parser state an escape sequence returns to
    bool remote_on_[256] = {};        // options the server has enabled (WILL acknowledged)
    std::string text_;
    bool prompt_seen_ = false, received_ = false;
};

}  // namespace iotwatch

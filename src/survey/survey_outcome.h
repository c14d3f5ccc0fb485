// SurveyOutcome and SurveyResult: what the survey concludes per (address, port, protocol), the
// vocabulary of DOMAIN.md section 3. A result names a credential only by its id.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/ip_address.h"

namespace iotwatch {

enum class SurveyOutcome : uint8_t {
    kClosed,         // connection refused
    kOpenNoService,  // connected, but no login prompt / not the protocol
    kNoAuth,         // usable without a password
    kAuthPrompt,     // an ID/password prompt is offered (no tried credential worked)
    kLoginOk,        // a tried credential was accepted (credential_id says which)
    kError,          // protocol or socket error
    kTimeout,        // connect or a phase timed out before any conclusion
};
constexpr int kSurveyOutcomeCount = 7;

const char* outcome_name(SurveyOutcome o);
std::optional<SurveyOutcome> outcome_from_name(const std::string& name);

struct SurveyResult {
    std::string campaign;
    uint64_t index = 0;          // position of the target in the campaign's target space
    IpAddress address;
    uint16_t port = 0;
    std::string protocol;        // probe module name
    SurveyOutcome outcome = SurveyOutcome::kError;
    std::string credential_id;   // login-ok only
    uint32_t attempts = 0;       // credentials tried
    int64_t started_ns = 0;      // UTC
    int64_t ended_ns = 0;
    std::string source_address;  // the scanner's address the target saw
    std::string detail;          // JSON object of the module's declared fields (+ error text)
};

}  // namespace iotwatch

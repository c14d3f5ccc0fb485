// SurveyEngine: the survey's event loop. One thread, one epoll instance, non-blocking sockets (and
// non-blocking OpenSSL for TLS modules), up to `concurrency` devices in flight. Per device it runs
// the probe module's connections in sequence: identify, then one credential per connection, until
// a verdict; it disconnects the moment a login succeeds (nothing is ever typed after the password).
//
// Safety, enforced here and not only by the caller: before every socket() the address is checked
// with SurveyScope::permits() (out of scope -> never connected, counted as refused), every new
// connection takes RateLimiter tokens, credential attempts per device are capped, and sockets are
// bound to the campaign's published source address when one is given.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/ip_address.h"
#include "survey/credential_list.h"
#include "survey/probe_module.h"
#include "survey/rate_limiter.h"
#include "survey/survey_outcome.h"
#include "survey/survey_scope.h"

namespace iotwatch {

struct SurveyTarget {
    uint64_t index = 0;
    IpAddress address;
    uint16_t port = 0;
    const ProbeModule* module = nullptr;
};

struct EngineSettings {
    size_t concurrency = 1000;
    int connect_timeout_ms = 3000;
    int phase_timeout_ms = 5000;       // silence allowed within a phase (banner, password, response)
    int connection_max_ms = 20000;     // a whole connection, however chatty the peer
    std::optional<IpAddress> source;   // bind() to it: the published scanner address
    std::optional<IpAddress> source6;  // the same for IPv6 targets (required for them, except loopback tests)
    std::string campaign;
    std::string contact;               // opt-out contact, sent where the protocol allows (HTTP UA)
};

struct EngineStats {
    uint64_t done = 0, refused = 0, in_flight = 0, connections = 0;
    uint64_t outcomes[kSurveyOutcomeCount] = {};
    double elapsed_s = 0;
};

class SurveyEngine {
public:
    /// Throws ConfigError when settings are unusable (concurrency 0, timeouts <= 0).
    SurveyEngine(const SurveyScope& scope, RateLimiter& limiter, const CredentialList& creds, EngineSettings settings);
    ~SurveyEngine();
    SurveyEngine(const SurveyEngine&) = delete;
    SurveyEngine& operator=(const SurveyEngine&) = delete;

    /// Pulls targets from `next` until it returns nullopt, reports each finished device to
    /// `on_result`, and returns when every device in flight has finished. When `*stop` becomes
    /// true no new target is pulled; devices in flight finish (their attempts are bounded).
    /// `progress` is called about once a second. Throws StoreError-free: socket errors are results.
    EngineStats run(const std::function<std::optional<SurveyTarget>()>& next,
                    const std::function<void(const SurveyResult&)>& on_result, const std::atomic<bool>* stop,
                    const std::function<void(const EngineStats&)>& progress);

private:
    struct Device;
    struct Impl;
    Impl* impl_;
};

}  // namespace iotwatch

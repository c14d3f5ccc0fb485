// ProbeModule: one application protocol the survey can check for a login prompt and try
// credentials on (telnet, http, https, ...), in the spirit of ZMap's probe modules: a named entry
// in one registry (probe_registry.h) with its default ports, whether it runs over TLS, the output
// fields it declares, and a factory for a per-device probe.
//
// Contract of DeviceProbe (one object per (address, port), used for one connection at a time):
//   - on_connect(cred) is called once per TCP (and TLS) connection; `cred` is the credential to try
//     on this connection, or nullptr to only identify the service. It appends bytes to send.
//   - on_data / on_eof / on_timeout return kContinue until the connection's verdict is known; after
//     a verdict the engine closes the connection at once (a login is never used: no command is
//     ever sent) and, for kAgain or kRejected, may open another connection.
//   - It never blocks, never does I/O, never throws on what a peer sends (bad bytes are a verdict).
//   - fields() returns the values of the module's declared output fields (never a password).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "survey/credential_list.h"

namespace iotwatch {

enum class ProbeVerdict {
    kContinue,   // not concluded: keep the connection
    kNoService,  // connected, but not this protocol / nothing offered
    kNoAuth,     // the service is usable without a password
    kPrompt,     // a login prompt was seen; no credential was used on this connection
    kAgain,      // a prompt was seen; open a new connection and try the same credential there
    kRejected,   // the credential was tried and refused
    kLoginOk,    // the credential was accepted
    kError,      // a protocol error (detail in fields())
};

struct ProbeTarget {
    std::string address;  // text, for Host: headers
    uint16_t port = 0;
};

class DeviceProbe {
public:
    virtual ~DeviceProbe() = default;
    virtual void on_connect(const Credential* cred, std::string& out) = 0;
    virtual ProbeVerdict on_data(std::string_view in, std::string& out) = 0;
    virtual ProbeVerdict on_eof() = 0;
    virtual ProbeVerdict on_timeout() = 0;
    /// Name of the current phase ("banner", "password", ...) for timeouts and progress.
    virtual const char* phase() const = 0;
    /// (field, value) pairs of the module's declared fields.
    virtual std::vector<std::pair<std::string, std::string>> fields() const = 0;

    // Socket-driving probes: a module whose protocol library reads and writes the socket itself
    // (ssh through libssh) returns true from drives_socket(). The engine then calls on_connect
    // (its `out` is ignored) and drive(fd) once the TCP connection is up, and drive(fd) again
    // whenever the socket is readable, or writable when wants_write(); on_data and on_eof are
    // not used. drive() never blocks; the probe works on its own dup() of `fd` and releases it
    // at the next on_connect or on destruction; the engine closes `fd` itself. A change of
    // phase() counts as progress (restarts the phase clock).
    virtual bool drives_socket() const { return false; }
    virtual ProbeVerdict drive(int fd) {
        (void)fd;
        return ProbeVerdict::kError;
    }
    virtual bool wants_write() const { return false; }
};

struct ProbeModule {
    std::string name;                  // "telnet", "http", "https"
    std::vector<uint16_t> default_ports;
    bool tls = false;                  // the engine wraps the connection in TLS (OpenSSL)
    std::vector<std::string> fields;   // declared output fields
    std::string help;
    /// `contact` is the campaign's opt-out contact (HTTP sends it in its User-Agent).
    std::unique_ptr<DeviceProbe> (*make)(const ProbeTarget& target, const std::string& contact) = nullptr;
};

}  // namespace iotwatch

// Errors every module shares. InputError names the input (file), the byte offset and the field, so a
// user can find the bad bytes; the program reports it and keeps what it already accepted.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace iotwatch {

/// Exit codes of the `iotwatch` command (documented in README and --help).
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,      // runtime failure (I/O, database)
    kExitUsage = 2,        // bad command line or configuration
    kExitBadInput = 3,     // input was truncated or corrupt; everything before the bad record was kept
    kExitInterrupted = 130 // SIGINT/SIGTERM: state was checkpointed
};

/// Bad or truncated input. `offset` is the byte offset in `source` of the offending record/field
/// (UINT64_MAX when not applicable).
class InputError : public std::runtime_error {
public:
    InputError(std::string source, uint64_t offset, std::string what);
    const std::string& source() const { return source_; }
    uint64_t offset() const { return offset_; }
    const std::string& detail() const { return detail_; }

private:
    std::string source_;
    uint64_t offset_;
    std::string detail_;
};

/// Bad configuration or command line; message says which key/flag.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Storage failure (database, file system).
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace iotwatch

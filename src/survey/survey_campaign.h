// SurveyCampaign: the stored record of one survey run: who scans (the source address targets see
// and the opt-out contact published with it), what (scope, ports, credential list), and where it
// stands (the target permutation's seed and position), so a stopped campaign resumes exactly.
#pragma once
#include <cstdint>
#include <string>

namespace iotwatch {

struct SurveyCampaign {
    std::string id;
    int64_t created_ns = 0;       // UTC
    std::string source_address;   // the scanner's published address
    std::string contact;          // opt-out contact
    uint64_t seed = 0;
    std::string scope;            // description: allow source, sizes, block files
    std::string ports;            // "23/telnet,80/http"
    std::string credentials;      // "builtin" or the file
    uint64_t total = 0;           // targets (addresses x ports)
    uint64_t position = 0;        // permutation steps taken (CyclicPermutation::position)
    uint64_t emitted = 0;         // targets handed out
    bool finished = false;
    bool loopback_test = false;
};

}  // namespace iotwatch

// SensorAgent: `iotwatch sensor` at a partner site. Reads its capture (files in order, or a live
// interface), keeps only packets to its own darknet prefixes, cuts each after its headers
// (header_bytes), and packs them into batches that go to the spool first and to the centre second:
//
//   capture thread:  read -> decode -> darknet? -> cut -> batch -> SensorSpool::append (fsync)
//   sender thread:   hello -> for each pending batch: POST, wait for the ack -> acknowledge_through
//
// The centre unreachable: batches wait in the spool (up to max_spool_bytes, then the capture thread
// waits; a live capture's kernel drops are counted and reported) and go out in order when it
// returns. Killed: a restart with the same inputs resumes after the last spooled batch (its
// position), and resends only what the centre does not confirm having (hello's next_seq).
#pragma once
#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/prefix.h"

namespace iotwatch {

struct SensorAgentOptions {
    std::string name;
    std::vector<Prefix> prefixes;        // this sensor's darknet
    std::vector<std::string> inputs;     // capture files / directories (in order), or
    std::string live_interface;          // live capture
    std::string bpf_filter;
    std::string spool_dir;
    std::string center;                  // HOST:PORT of `iotwatch center`
    std::string ca_file;                 // the centre's certificate (or its CA), pinned
    std::string token;                   // bearer token
    uint32_t batch_packets = 4096;
    double batch_seconds = 1.0;          // a batch closes after this long even if not full
    double rate_pps = 0;                 // replay files at this many frames/s (0: as fast as possible)
    uint64_t max_spool_bytes = 1ull << 30;
    double drain_seconds = 30;           // after the capture ends: wait this long for the centre's acks
    bool progress = false;
};

struct SensorAgentResult {
    uint64_t captured = 0, darknet = 0, batches = 0, acked_batches = 0;
    uint64_t kernel_drops = 0, interface_drops = 0;
    uint64_t pending_batches = 0;        // still in the spool at exit
    bool interrupted = false;
    bool resumed = false;
    std::string error;                   // fatal: the centre refused us (token, TLS) or bad input
};

class SensorAgent {
public:
    explicit SensorAgent(SensorAgentOptions options);
    SensorAgentResult run(const std::atomic<bool>* stop, std::ostream& log);

private:
    SensorAgentOptions options_;
};

}  // namespace iotwatch

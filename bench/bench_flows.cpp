// Flow collector benchmark: decoding (and decoding + storing) an IPFIX export stream built in
// memory the way softflowd sends it (template 256 as softflowd -v 10 -A milli, 27 records per
// message), against a baseline measured in the same run: a bare walk over the same messages that
// reads every record's fields without templates (what a hard-coded decoder costs at least).
// Prints flows/s and the ratio to the baseline. Not a test: nothing asserts a time.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "flows/flow_collector.h"
#include "ipfix_stream.h"
#include "store/store.h"
#include "bench_usage.h"

namespace {

using Clock = std::chrono::steady_clock;

using iotwatch_bench::kRecordLength;
using iotwatch_bench::kRecordsPerMessage;
std::vector<std::vector<uint8_t>> build_stream(size_t messages) { return iotwatch_bench::build_ipfix_stream(messages); }

/// Baseline: walk the sets and read each record's fields at fixed offsets (no templates).
uint64_t bare_walk(const std::vector<std::vector<uint8_t>>& stream, uint64_t& flows) {
    uint64_t sum = 0;
    for (const auto& m : stream) {
        size_t pos = 16;
        while (pos + 4 <= m.size()) {
            const uint16_t id = uint16_t(m[pos] << 8 | m[pos + 1]), len = uint16_t(m[pos + 2] << 8 | m[pos + 3]);
            if (len < 4) break;
            if (id == 256)
                for (size_t r = pos + 4; r + kRecordLength <= pos + len; r += kRecordLength, ++flows)
                    for (size_t k = 0; k < kRecordLength; k += 2) sum += m[r + k] ^ m[r + k + 1];
            pos += len;
        }
    }
    return sum;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
    handle_usage(argc, argv, "bench_flows [MESSAGES]");
    const size_t messages = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 40000;
    const auto stream = build_stream(messages);
    const iotwatch::IpAddress exporter = iotwatch::IpAddress::v4(0x7F000001);

    double best_bare = 1e9, best_decode = 1e9;
    uint64_t flows = 0, decoded = 0, sink = 0;
    for (int rep = 0; rep < 3; ++rep) {
        flows = 0;
        auto t0 = Clock::now();
        sink += bare_walk(stream, flows);
        best_bare = std::min(best_bare, seconds_since(t0));
        iotwatch::FlowCollector c;
        t0 = Clock::now();
        decoded = 0;
        for (const auto& m : stream) {
            c.process(m.data(), m.size(), exporter, 0);
            if (c.buffered_records() >= 10000) decoded += c.take_records().size();
        }
        decoded += c.take_records().size();
        best_decode = std::min(best_decode, seconds_since(t0));
    }
    // Decode + store (SQLite, 10 000-record transactions), as `iotwatch collect` does.
    const std::string db = "/tmp/iotwatch-bench-flows-" + std::to_string(::getpid()) + ".db";
    double store_s = 0;
    uint64_t stored = 0;
    {
        auto store = iotwatch::open_sqlite_store(db);
        iotwatch::FlowCollector c;
        auto t0 = Clock::now();
        for (const auto& m : stream) {
            c.process(m.data(), m.size(), exporter, 0);
            if (c.buffered_records() >= 10000) {
                auto r = c.take_records();
                store->put_flows(r);
                stored += r.size();
            }
        }
        auto r = c.take_records();
        store->put_flows(r);
        stored += r.size();
        store_s = seconds_since(t0);
    }
    for (const char* s : {"", "-wal", "-shm"}) ::unlink((db + s).c_str());
    std::printf("flows: %llu records in %zu IPFIX messages (checksum %llu)\n", (unsigned long long)flows, messages,
                (unsigned long long)(sink & 0xFF));
    std::printf("%-46s %14s %10s\n", "", "flows/s", "vs bare");
    std::printf("%-46s %14.0f %9.2fx\n", "bare fixed-offset walk (baseline)", flows / best_bare, 1.0);
    std::printf("%-46s %14.0f %9.2fx\n", "iotwatch FlowCollector decode", decoded / best_decode, best_bare / best_decode);
    std::printf("%-46s %14.0f %9.2fx\n", "iotwatch decode + SQLite store", stored / store_s, best_bare / store_s);
    return decoded == flows && stored == flows ? 0 : 1;
}

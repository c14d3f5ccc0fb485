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
#include "store/store.h"

namespace {

using Clock = std::chrono::steady_clock;

void put16(std::vector<uint8_t>& b, uint16_t v) { b.push_back(uint8_t(v >> 8)); b.push_back(uint8_t(v)); }
void put32(std::vector<uint8_t>& b, uint32_t v) { put16(b, uint16_t(v >> 16)); put16(b, uint16_t(v)); }
void put64(std::vector<uint8_t>& b, uint64_t v) { put32(b, uint32_t(v >> 32)); put32(b, uint32_t(v)); }

constexpr int kRecordsPerMessage = 27;
constexpr size_t kRecordLength = 4 + 4 + 8 + 8 + 4 + 4 + 4 + 4 + 1 + 1 + 2 + 2 + 1 + 1 + 1 + 1;  // 50

std::vector<std::vector<uint8_t>> build_stream(size_t messages) {
    // softflowd's IPv4 template: src, dst, start ms, end ms, octets, packets, in, out, direction,
    // end reason, sport, dport, proto, flags, ip version, tos.
    const uint16_t fields[][2] = {{8, 4}, {12, 4}, {152, 8}, {153, 8}, {1, 4}, {2, 4}, {10, 4}, {14, 4},
                                  {61, 1}, {136, 1}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {60, 1}, {5, 1}};
    std::vector<std::vector<uint8_t>> out;
    uint32_t seq = 0, host = 0;
    for (size_t m = 0; m < messages; ++m) {
        std::vector<uint8_t> b;
        put16(b, 10); put16(b, 0); put32(b, 1767225600 + uint32_t(m / 100)); put32(b, seq); put32(b, 0);
        if (m % 100 == 0) {  // template refresh, as exporters do
            put16(b, 2); put16(b, uint16_t(4 + 4 + 16 * 4)); put16(b, 256); put16(b, 16);
            for (auto& f : fields) { put16(b, f[0]); put16(b, f[1]); }
        }
        put16(b, 256); put16(b, uint16_t(4 + kRecordsPerMessage * kRecordLength));
        for (int r = 0; r < kRecordsPerMessage; ++r, ++host) {
            put32(b, 0x0A000000 | (host & 0xFFFFFF)); put32(b, 0xC6120000 | (host * 7 & 0xFFFF));
            put64(b, 1767225600000ull + host); put64(b, 1767225600000ull + host + 1500);
            put32(b, 40 + host % 1400); put32(b, 1 + host % 9); put32(b, 0); put32(b, 0);
            b.push_back(0); b.push_back(2); put16(b, uint16_t(1024 + host % 60000)); put16(b, 23);
            b.push_back(6); b.push_back(2); b.push_back(4); b.push_back(0);
        }
        seq += kRecordsPerMessage;
        b[2] = uint8_t(b.size() >> 8);
        b[3] = uint8_t(b.size());
        out.push_back(std::move(b));
    }
    return out;
}

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

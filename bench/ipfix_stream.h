// A softflowd-like IPFIX export stream built in memory (template 256 as `softflowd -v 10 -A milli`
// sends it, 27 IPv4 records per message, template refreshed every 100 messages): the input of the
// flow benchmarks (bench_flows, bench_flow_replay). Each flow differs (addresses, ports, sizes).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace iotwatch_bench {

inline void put16(std::vector<uint8_t>& b, uint16_t v) { b.push_back(uint8_t(v >> 8)); b.push_back(uint8_t(v)); }
inline void put32(std::vector<uint8_t>& b, uint32_t v) { put16(b, uint16_t(v >> 16)); put16(b, uint16_t(v)); }
inline void put64(std::vector<uint8_t>& b, uint64_t v) { put32(b, uint32_t(v >> 32)); put32(b, uint32_t(v)); }

constexpr int kRecordsPerMessage = 27;
constexpr size_t kRecordLength = 4 + 4 + 8 + 8 + 4 + 4 + 4 + 4 + 1 + 1 + 2 + 2 + 1 + 1 + 1 + 1;  // 50

/// `messages` IPFIX messages, sequence numbers continuous from `first_seq`.
inline std::vector<std::vector<uint8_t>> build_ipfix_stream(size_t messages, uint32_t first_seq = 0) {

    // softflowd's IPv4 template: src, dst, start ms, end ms, octets, packets, in, out, direction,
    // end reason, sport, dport, proto, flags, ip version, tos.
    const uint16_t fields[][2] = {{8, 4}, {12, 4}, {152, 8}, {153, 8}, {1, 4}, {2, 4}, {10, 4}, {14, 4},
                                  {61, 1}, {136, 1}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {60, 1}, {5, 1}};
    std::vector<std::vector<uint8_t>> out;
    uint32_t seq = first_seq, host = 0;
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

}  // namespace iotwatch_bench

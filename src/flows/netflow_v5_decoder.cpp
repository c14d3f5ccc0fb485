#include "flows/netflow_v5_decoder.h"

#include "flows/wire.h"

namespace iotwatch {

using wire::be16;
using wire::be32;

void NetflowV5Decoder::decode(CollectorState& state, const uint8_t* d, size_t len, const IpAddress& exporter,
                              int64_t now_ns) {
    if (len < kHeaderLength) {
        state.error(ExporterKey{exporter, 0, 5}, len, "NetFlow v5 header cut short (" + std::to_string(len) + " bytes)");
        return;
    }
    const ExporterKey key{exporter, uint32_t(d[20]) << 8 | d[21], 5};
    ExporterState& st = state.exporters.get(key, now_ns);
    ++st.stats.packets;
    const uint16_t count = be16(d + 2);
    const uint32_t uptime = be32(d + 4);
    // Export time in ms as the header gives it (seconds + nanoseconds, truncated to ms).
    const int64_t export_ms = int64_t(be32(d + 8)) * 1000 + be32(d + 12) / 1'000'000;
    const uint32_t sequence = be32(d + 16);
    // Sampling: top 2 bits mode, low 14 bits interval (0: not sampled).
    const uint16_t interval = be16(d + 22) & 0x3FFF;
    if (interval > 1) st.sampling_interval = interval;
    const uint32_t sampling = interval > 1 ? interval : st.sampling_interval;
    track_sequence(st, sequence, count);
    size_t fit = (len - kHeaderLength) / kRecordLength;
    if (fit < count) {
        ++st.stats.malformed;
        state.error(key, kHeaderLength + fit * kRecordLength,
                    "NetFlow v5 message cut short: header says " + std::to_string(count) + " records, " +
                        std::to_string(fit) + " fit in " + std::to_string(len) + " bytes");
    }
    const size_t n = fit < count ? fit : count;
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* r = d + kHeaderLength + i * kRecordLength;
        FlowRecord f;
        f.exporter = exporter;
        f.observation_domain = key.domain;
        f.version = 5;
        f.src = IpAddress::v4_bytes(r);
        f.dst = IpAddress::v4_bytes(r + 4);
        f.sampling_interval = sampling;
        f.packets = uint64_t(be32(r + 16)) * sampling;
        f.octets = uint64_t(be32(r + 20)) * sampling;
        f.start_ns = uptime_to_utc_ms(export_ms, uptime, be32(r + 24)) * 1'000'000;
        f.end_ns = uptime_to_utc_ms(export_ms, uptime, be32(r + 28)) * 1'000'000;
        f.sport = be16(r + 32);
        f.dport = be16(r + 34);
        f.tcp_flags = r[37];
        f.protocol = r[38];
        state.records.push_back(f);
    }
    st.stats.records += n;
}

}  // namespace iotwatch

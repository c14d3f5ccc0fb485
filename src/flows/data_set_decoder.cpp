#include "flows/data_set_decoder.h"

#include <climits>

#include "flows/wire.h"

namespace iotwatch {
namespace {

using wire::be_uint;

// Information element ids (IANA IPFIX registry; v9 uses the same numbers for these).
enum : uint16_t {
    kOctetDelta = 1, kPacketDelta = 2, kProtocol = 4, kTcpFlags = 6, kSrcPort = 7, kSrcV4 = 8,
    kDstPort = 11, kDstV4 = 12, kLastUptime = 21, kFirstUptime = 22, kSrcV6 = 27, kDstV6 = 28,
    kIcmpTypeCodeV4 = 32, kSamplingInterval = 34, kSamplerRandomInterval = 50, kOctetTotal = 85,
    kPacketTotal = 86, kIcmpTypeCodeV6 = 139, kStartSeconds = 150, kEndSeconds = 151, kStartMillis = 152,
    kEndMillis = 153, kStartMicros = 154, kEndMicros = 155, kStartNanos = 156, kEndNanos = 157,
    kStartDeltaMicros = 158, kEndDeltaMicros = 159, kSystemInitMillis = 160, kIcmpTypeV4 = 176,
    kIcmpCodeV4 = 177, kIcmpTypeV6 = 178, kIcmpCodeV6 = 179, kSamplingPacketInterval = 305,
    kSamplingPacketSpace = 306,
};

/// dateTimeMicroseconds/Nanoseconds are NTP timestamps (RFC 7011 6.1.9): seconds since 1900 and a
/// binary fraction.
int64_t ntp_to_ms(uint64_t ntp) {
    constexpr int64_t kNtpToUnix = 2208988800LL;
    const int64_t secs = int64_t(ntp >> 32) - kNtpToUnix;
    return secs * 1000 + int64_t(((ntp & 0xFFFFFFFFull) * 1000) >> 32);
}

/// Everything one record said about time, resolved after all its fields are read.
struct RecordTimes {
    int64_t start_ms = 0, end_ms = 0;
    bool abs_start = false, abs_end = false;
    bool rel_start = false, rel_end = false;  // sysUpTime-relative 22/21
    uint32_t first_uptime = 0, last_uptime = 0;
    int64_t system_init_ms = -1;
};

/// Corrupt input can carry any 64-bit time: saturate instead of overflowing.
int64_t clamp_ms(uint64_t v) { return v > uint64_t(INT64_MAX / 1'000'000) ? INT64_MAX / 1'000'000 : int64_t(v); }
int64_t ms_to_ns(int64_t ms) {
    constexpr int64_t kMax = INT64_MAX / 1'000'000;
    return (ms > kMax ? kMax : ms < -kMax ? -kMax : ms) * 1'000'000;
}

int64_t resolve(const RecordTimes& t, const ExportClock& c, bool start) {
    if (start ? t.abs_start : t.abs_end) return start ? t.start_ms : t.end_ms;
    if (start ? t.rel_start : t.rel_end) {
        const uint32_t ev = start ? t.first_uptime : t.last_uptime;
        if (c.has_uptime) return uptime_to_utc_ms(c.export_ms, c.sys_uptime_ms, ev);
        const int64_t init = t.system_init_ms >= 0 ? t.system_init_ms : c.system_init_ms;
        // IPFIX: the uptime counter is export time minus init time, 32 bits wide like v9's.
        if (init >= 0) return uptime_to_utc_ms(c.export_ms, uint32_t(c.export_ms - init), ev);
    }
    // Only one end given: a flow of one instant. Neither: the export time is the best we know.
    if (start ? (t.abs_end || t.rel_end) : (t.abs_start || t.rel_start)) return resolve(t, c, !start);
    return c.export_ms;
}

/// One record's fields as they are read (in template order), then turned into a FlowRecord.
struct RecordReader {
    explicit RecordReader(const FlowRecord& proto) : r(proto) {}
    FlowRecord r;
    RecordTimes times;
    uint64_t octets_total = 0, packets_total = 0;
    bool has_octets = false, has_packets = false;
    bool has_icmp = false;
    uint16_t icmp = 0;
    uint32_t sampling = 0;
    uint64_t pkt_interval = 0, pkt_space = 0;
    bool has_pkt_interval = false;

    /// Field `id` (an IANA element) of `flen` > 0 bytes at `p`.
    void take(uint16_t id, const uint8_t* p, size_t flen, const ExportClock& clock) {
        const bool num = flen <= 8;
        switch (id) {
        case kOctetDelta: if (num) r.octets = be_uint(p, flen), has_octets = true; break;
        case kPacketDelta: if (num) r.packets = be_uint(p, flen), has_packets = true; break;
        case kOctetTotal: if (num) octets_total = be_uint(p, flen); break;
        case kPacketTotal: if (num) packets_total = be_uint(p, flen); break;
        case kProtocol: r.protocol = p[flen - 1]; break;
        case kTcpFlags: r.tcp_flags = p[flen - 1]; break;  // 2-byte form: flags in the low byte
        case kSrcPort: if (num) r.sport = uint16_t(be_uint(p, flen)); break;
        case kDstPort: if (num) r.dport = uint16_t(be_uint(p, flen)); break;
        case kSrcV4: if (flen == 4) r.src = IpAddress::v4_bytes(p); break;
        case kDstV4: if (flen == 4) r.dst = IpAddress::v4_bytes(p); break;
        case kSrcV6: if (flen == 16) r.src = IpAddress::v6(p); break;
        case kDstV6: if (flen == 16) r.dst = IpAddress::v6(p); break;
        case kIcmpTypeCodeV4:
        case kIcmpTypeCodeV6: if (num) icmp = uint16_t(be_uint(p, flen)), has_icmp = true; break;
        case kIcmpTypeV4:
        case kIcmpTypeV6: icmp = uint16_t((icmp & 0x00FF) | p[flen - 1] << 8), has_icmp = true; break;
        case kIcmpCodeV4:
        case kIcmpCodeV6: icmp = uint16_t((icmp & 0xFF00) | p[flen - 1]), has_icmp = true; break;
        case kLastUptime: if (num) times.last_uptime = uint32_t(be_uint(p, flen)), times.rel_end = true; break;
        case kFirstUptime: if (num) times.first_uptime = uint32_t(be_uint(p, flen)), times.rel_start = true; break;
        case kStartSeconds: if (num) times.start_ms = clamp_ms(be_uint(p, flen) > UINT64_MAX / 1000 ? UINT64_MAX : be_uint(p, flen) * 1000), times.abs_start = true; break;
        case kEndSeconds: if (num) times.end_ms = clamp_ms(be_uint(p, flen) > UINT64_MAX / 1000 ? UINT64_MAX : be_uint(p, flen) * 1000), times.abs_end = true; break;
        case kStartMillis: if (num) times.start_ms = clamp_ms(be_uint(p, flen)), times.abs_start = true; break;
        case kEndMillis: if (num) times.end_ms = clamp_ms(be_uint(p, flen)), times.abs_end = true; break;
        case kStartMicros:
        case kStartNanos: if (flen == 8) times.start_ms = ntp_to_ms(be_uint(p, 8)), times.abs_start = true; break;
        case kEndMicros:
        case kEndNanos: if (flen == 8) times.end_ms = ntp_to_ms(be_uint(p, 8)), times.abs_end = true; break;
        case kStartDeltaMicros:
            if (num) times.start_ms = clock.export_ms - int64_t(be_uint(p, flen) / 1000), times.abs_start = true;
            break;
        case kEndDeltaMicros:
            if (num) times.end_ms = clock.export_ms - int64_t(be_uint(p, flen) / 1000), times.abs_end = true;
            break;
        case kSystemInitMillis: if (num) times.system_init_ms = clamp_ms(be_uint(p, flen)); break;
        case kSamplingInterval:
        case kSamplerRandomInterval: if (num) sampling = uint32_t(be_uint(p, flen)); break;
        case kSamplingPacketInterval: if (num) pkt_interval = be_uint(p, flen), has_pkt_interval = true; break;
        case kSamplingPacketSpace: if (num) pkt_space = be_uint(p, flen); break;
        default: break;
        }
    }

    /// The record is complete: an options record updates `announced`, a flow record goes to `out`.
    void finish(const FlowTemplate& t, const ExportClock& clock, uint32_t default_sampling,
                std::vector<FlowRecord>& out, OptionsAnnouncement& announced) {
        // 305/306: `interval` packets selected, then `space` skipped: 1 in (interval+space)/interval.
        if (has_pkt_interval && pkt_interval > 0) {
            const uint64_t rate = (pkt_interval + pkt_space) / pkt_interval;
            sampling = uint32_t(rate > 0xFFFFFFFFull ? 0xFFFFFFFFull : rate);
        }
        if (t.options) {
            ++announced.records;
            if (sampling > 0 || has_pkt_interval) {
                announced.has_sampling = true;
                announced.sampling_interval = sampling > 0 ? sampling : 1;
            }
            if (times.system_init_ms >= 0) {
                announced.has_system_init = true;
                announced.system_init_ms = times.system_init_ms;
            }
            return;
        }
        if (!has_octets) r.octets = octets_total;
        if (!has_packets) r.packets = packets_total;
        if ((r.protocol == 1 || r.protocol == 58) && has_icmp) {
            r.sport = 0;
            r.dport = icmp;
        }
        r.sampling_interval = sampling > 0 ? sampling : (default_sampling > 0 ? default_sampling : 1);
        r.packets *= r.sampling_interval;
        r.octets *= r.sampling_interval;
        r.start_ns = ms_to_ns(resolve(times, clock, true));
        r.end_ns = ms_to_ns(resolve(times, clock, false));
        out.push_back(r);
    }
};

/// The element ids RecordReader::take reads; the plan keeps only these.
bool read_by_decoder(uint16_t id) {
    switch (id) {
    case kOctetDelta: case kPacketDelta: case kOctetTotal: case kPacketTotal: case kProtocol: case kTcpFlags:
    case kSrcPort: case kDstPort: case kSrcV4: case kDstV4: case kSrcV6: case kDstV6: case kIcmpTypeCodeV4:
    case kIcmpTypeCodeV6: case kIcmpTypeV4: case kIcmpTypeV6: case kIcmpCodeV4: case kIcmpCodeV6: case kLastUptime:
    case kFirstUptime: case kStartSeconds: case kEndSeconds: case kStartMillis: case kEndMillis: case kStartMicros:
    case kStartNanos: case kEndMicros: case kEndNanos: case kStartDeltaMicros: case kEndDeltaMicros:
    case kSystemInitMillis: case kSamplingInterval: case kSamplerRandomInterval: case kSamplingPacketInterval:
    case kSamplingPacketSpace:
        return true;
    default:
        return false;
    }
}

}  // namespace

void DataSetDecoder::compile(FlowTemplate& t) {
    t.plan.clear();
    t.fixed_length = 0;
    uint32_t offset = 0;
    std::vector<FlowTemplate::PlanStep> plan;
    for (const TemplateField& f : t.fields) {
        if (f.length == kVariableLength || offset > 0xFFFF) return;  // no fast path
        if (f.enterprise == 0 && f.length > 0 && read_by_decoder(f.id))
            plan.push_back({uint16_t(offset), f.length, f.id});
        offset += f.length;
    }
    if (offset == 0) return;
    t.plan = std::move(plan);
    t.fixed_length = offset;
}

bool DataSetDecoder::decode(const FlowTemplate& t, const uint8_t* data, size_t len, const ExportClock& clock,
                            const FlowRecord& proto, uint32_t default_sampling, std::vector<FlowRecord>& out,
                            OptionsAnnouncement& announced, size_t& records, size_t& error_offset,
                            std::string& error) {
    records = 0;
    if (t.fixed_length) {
        // Fixed-length records (the common case, e.g. every softflowd and nprobe template): the
        // fields at their compiled offsets, one bounds check a record.
        for (size_t pos = 0; len - pos >= t.fixed_length; pos += t.fixed_length) {
            RecordReader rec(proto);
            for (const auto& step : t.plan) rec.take(step.id, data + pos + step.offset, step.length, clock);
            ++records;
            rec.finish(t, clock, default_sampling, out, announced);
        }
        return true;
    }
    size_t pos = 0;
    while (len - pos >= t.min_record_length) {
        RecordReader rec(proto);
        for (const TemplateField& f : t.fields) {
            size_t flen = f.length;
            if (flen == kVariableLength) {
                // RFC 7011 7: one length byte, or 255 and a 2-byte length.
                if (pos >= len) return error_offset = pos, error = "variable-length field ends the set early", false;
                flen = data[pos++];
                if (flen == 255) {
                    if (len - pos < 2) return error_offset = pos, error = "variable-length field ends the set early", false;
                    flen = wire::be16(data + pos);
                    pos += 2;
                }
            }
            if (len - pos < flen)
                return error_offset = pos, error = "field " + std::to_string(f.id) + " of " + std::to_string(flen) +
                                                   " bytes overruns the set", false;
            const uint8_t* p = data + pos;
            pos += flen;
            if (f.enterprise != 0 || flen == 0) continue;
            rec.take(f.id, p, flen, clock);
        }
        ++records;
        rec.finish(t, clock, default_sampling, out, announced);
    }
    return true;
}

}  // namespace iotwatch

#include "flows/ipfix_decoder.h"

#include "flows/wire.h"

namespace iotwatch {

using wire::be16;
using wire::be32;

namespace {

/// Template (set 2) or options template (set 3) records. Returns false on a record that does not
/// fit (error reported); padding (fewer bytes than a record header) ends the set.
bool template_set(CollectorState& state, const ExporterKey& key, ExporterState& st, bool options,
                  const uint8_t* p, size_t len, size_t base, int64_t now_ns) {
    const size_t header = options ? 6 : 4;
    size_t pos = 0;
    while (len - pos >= header) {
        const uint16_t id = be16(p + pos), count = be16(p + pos + 2);
        const uint16_t scope = options ? be16(p + pos + 4) : 0;
        if (count == 0) {  // withdrawal (RFC 7011 8.1): header only
            if (id >= 256) state.templates.withdraw({key.address, key.domain, id, 10});
            pos += 4;
            continue;
        }
        if (id < 256 || (options && (scope == 0 || scope > count))) {
            state.error(key, base + pos, std::string(options ? "options " : "") + "template " + std::to_string(id) +
                                             " is not valid");
            return false;
        }
        size_t q = pos + header;
        FlowTemplate t;
        t.options = options;
        t.scope_fields = scope;
        t.fields.reserve(count);
        for (size_t i = 0; i < count; ++i) {
            if (len - q < 4) {
                state.error(key, base + q, "template " + std::to_string(id) + " overruns its set");
                return false;
            }
            TemplateField f{uint16_t(be16(p + q) & 0x7FFF), be16(p + q + 2), 0};
            const bool enterprise = be16(p + q) & 0x8000;
            q += 4;
            if (enterprise) {
                if (len - q < 4) {
                    state.error(key, base + q, "template " + std::to_string(id) + " overruns its set");
                    return false;
                }
                f.enterprise = be32(p + q);
                q += 4;
            }
            // Scope fields describe what the options apply to, never a value to read as data.
            if (i < scope && f.enterprise == 0) f.enterprise = 0xFFFFFFFFu;
            t.min_record_length += f.length == kVariableLength ? 1u : f.length;
            t.fields.push_back(f);
        }
        pos = q;
        if (t.min_record_length == 0) {
            state.error(key, base + pos, "template " + std::to_string(id) + " has records of 0 bytes");
            continue;
        }
        ++(options ? st.stats.options_templates : st.stats.templates);
        if (!state.add_template({key.address, key.domain, id, 10}, std::move(t), now_ns))
            state.error(key, base + pos, "template cache full: template " + std::to_string(id) + " ignored");
    }
    return true;
}

}  // namespace

void IpfixDecoder::decode(CollectorState& state, const uint8_t* d, size_t len, const IpAddress& exporter,
                          int64_t now_ns) {
    if (len < kHeaderLength) {
        state.error(ExporterKey{exporter, 0, 10}, len, "IPFIX header cut short (" + std::to_string(len) + " bytes)");
        return;
    }
    const ExporterKey key{exporter, be32(d + 12), 10};
    ExporterState& st = state.exporters.get(key, now_ns);
    ++st.stats.packets;
    const size_t declared = be16(d + 2);
    if (declared < kHeaderLength || declared > len) {
        ++st.stats.malformed;
        state.error(key, 2, "message length " + std::to_string(declared) + " does not match the " +
                                std::to_string(len) + " bytes received");
        if (declared < kHeaderLength) return;
    }
    const size_t end = declared < len ? declared : len;
    ExportClock clock;
    clock.export_ms = int64_t(be32(d + 4)) * 1000;
    const uint32_t sequence = be32(d + 8);
    size_t data_records = 0;
    bool count_known = true;
    size_t pos = kHeaderLength;
    while (end - pos >= 4) {
        const uint16_t id = be16(d + pos), set_len = be16(d + pos + 2);
        if (set_len < 4 || set_len > end - pos) {
            ++st.stats.malformed;
            state.error(key, pos, "set " + std::to_string(id) + " length " + std::to_string(set_len) +
                                      (set_len < 4 ? " is below 4" : " overruns the message (" + std::to_string(end) + " bytes)"));
            count_known = false;
            break;
        }
        const uint8_t* content = d + pos + 4;
        const size_t clen = set_len - 4u;
        if (id == 2 || id == 3) {
            if (!template_set(state, key, st, id == 3, content, clen, pos + 4, now_ns)) ++st.stats.malformed;
        } else if (id >= 256) {
            const size_t n = state.data_set(key, st, id, content, clen, clock, pos + 4, now_ns);
            if (n == SIZE_MAX) count_known = false;
            else data_records += n;
        }
        pos += set_len;
    }
    // The sequence counts data records before this message: the next one should carry
    // sequence + records here. When some set waits for its template the count is unknown, so the
    // next message resynchronises instead of reporting a false gap.
    track_sequence(st, sequence, uint32_t(data_records));
    if (!count_known) st.have_sequence = false;
}

}  // namespace iotwatch

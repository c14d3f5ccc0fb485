#include "flows/netflow_v9_decoder.h"

#include "flows/wire.h"

namespace iotwatch {

using wire::be16;
using wire::be32;

namespace {

/// Flowset 0: template records {id, count, (type, length) * count}. Returns false on a record
/// that does not fit (error reported).
bool templates(CollectorState& state, const ExporterKey& key, ExporterState& st, const uint8_t* p, size_t len,
               size_t base, int64_t now_ns) {
    size_t pos = 0;
    while (len - pos >= 4) {
        const uint16_t id = be16(p + pos), count = be16(p + pos + 2);
        if (id < 256 || count == 0) {
            if (id == 0 && count == 0) return true;  // padding
            state.error(key, base + pos, "template id " + std::to_string(id) + " with " + std::to_string(count) +
                                             " fields is not valid");
            return false;
        }
        if ((len - pos - 4) / 4 < count) {
            state.error(key, base + pos, "template " + std::to_string(id) + " overruns its flowset");
            return false;
        }
        FlowTemplate t;
        t.fields.reserve(count);
        for (size_t i = 0; i < count; ++i) {
            const uint8_t* f = p + pos + 4 + i * 4;
            t.fields.push_back({be16(f), be16(f + 2), 0});
            t.min_record_length += be16(f + 2);
        }
        pos += 4 + size_t(count) * 4;
        if (t.min_record_length == 0) {
            state.error(key, base + pos, "template " + std::to_string(id) + " has records of 0 bytes");
            continue;
        }
        ++st.stats.templates;
        if (!state.add_template({key.address, key.domain, id, 9}, std::move(t), now_ns))
            state.error(key, base + pos, "template cache full: template " + std::to_string(id) + " ignored");
    }
    return true;
}

/// Flowset 1: options templates {id, scope length, options length, scope fields, option fields}.
bool options_templates(CollectorState& state, const ExporterKey& key, ExporterState& st, const uint8_t* p,
                       size_t len, size_t base, int64_t now_ns) {
    size_t pos = 0;
    while (len - pos >= 6) {
        const uint16_t id = be16(p + pos), scope_len = be16(p + pos + 2), opt_len = be16(p + pos + 4);
        if (id < 256 || scope_len % 4 || opt_len % 4 || (scope_len == 0 && opt_len == 0)) {
            if (id == 0) return true;  // padding
            state.error(key, base + pos, "options template " + std::to_string(id) + " is not valid");
            return false;
        }
        if (len - pos - 6 < size_t(scope_len) + opt_len) {
            state.error(key, base + pos, "options template " + std::to_string(id) + " overruns its flowset");
            return false;
        }
        FlowTemplate t;
        t.options = true;
        t.scope_fields = scope_len / 4;
        for (size_t i = 0; i < size_t(scope_len + opt_len) / 4; ++i) {
            const uint8_t* f = p + pos + 6 + i * 4;
            // Scope field types (1 system, 2 interface ...) are not element ids: keep them out of
            // the element namespace so scope "2" is never read as packetDeltaCount.
            const uint16_t type = be16(f);
            t.fields.push_back({type, be16(f + 2), i < t.scope_fields ? 1u : 0u});
            t.min_record_length += be16(f + 2);
        }
        pos += 6 + size_t(scope_len) + opt_len;
        if (t.min_record_length == 0) continue;
        ++st.stats.options_templates;
        if (!state.add_template({key.address, key.domain, id, 9}, std::move(t), now_ns))
            state.error(key, base + pos, "template cache full: options template " + std::to_string(id) + " ignored");
    }
    return true;
}

}  // namespace

void NetflowV9Decoder::decode(CollectorState& state, const uint8_t* d, size_t len, const IpAddress& exporter,
                              int64_t now_ns) {
    if (len < kHeaderLength) {
        state.error(ExporterKey{exporter, 0, 9}, len, "NetFlow v9 header cut short (" + std::to_string(len) + " bytes)");
        return;
    }
    const ExporterKey key{exporter, be32(d + 16), 9};
    ExporterState& st = state.exporters.get(key, now_ns);
    ++st.stats.packets;
    ExportClock clock;
    clock.has_uptime = true;
    clock.sys_uptime_ms = be32(d + 4);
    clock.export_ms = int64_t(be32(d + 8)) * 1000;
    track_sequence(st, be32(d + 12), 1);  // v9 counts export packets
    size_t pos = kHeaderLength;
    while (len - pos >= 4) {
        const uint16_t id = be16(d + pos), set_len = be16(d + pos + 2);
        if (set_len < 4 || set_len > len - pos) {
            ++st.stats.malformed;
            state.error(key, pos, "flowset " + std::to_string(id) + " length " + std::to_string(set_len) +
                                      (set_len < 4 ? " is below 4" : " overruns the message (" + std::to_string(len) + " bytes)"));
            return;
        }
        const uint8_t* content = d + pos + 4;
        const size_t clen = set_len - 4u;
        bool ok = true;
        if (id == 0) ok = templates(state, key, st, content, clen, pos + 4, now_ns);
        else if (id == 1) ok = options_templates(state, key, st, content, clen, pos + 4, now_ns);
        else if (id >= 256) state.data_set(key, st, id, content, clen, clock, pos + 4, now_ns);
        // 2..255 are reserved: skipped.
        if (!ok) ++st.stats.malformed;
        pos += set_len;
    }
}

}  // namespace iotwatch

#include "flows/collector_state.h"

namespace iotwatch {

void CollectorState::error(const ExporterKey& exporter, size_t offset, const std::string& what) {
    ++error_count;
    if (errors.size() >= limits.max_errors_kept) return;
    errors.push_back("exporter " + exporter.address.to_string() + " (v" + std::to_string(exporter.version) +
                     " domain " + std::to_string(exporter.domain) + "): offset " + std::to_string(offset) + ": " + what);
}

size_t CollectorState::decode_known(const ExporterKey& exporter, ExporterState& state, const FlowTemplate& t,
                                    const uint8_t* content, size_t len, const ExportClock& clock,
                                    size_t message_offset) {
    FlowRecord proto;
    proto.exporter = exporter.address;
    proto.observation_domain = exporter.domain;
    proto.version = exporter.version;
    OptionsAnnouncement announced;
    size_t n = 0, bad_offset = 0;
    std::string why;
    ExportClock c = clock;
    if (c.system_init_ms < 0) c.system_init_ms = state.system_init_ms;
    const size_t before = records.size();
    if (!DataSetDecoder::decode(t, content, len, c, proto, state.sampling_interval, records, announced, n, bad_offset,
                                why)) {
        ++state.stats.malformed;
        error(exporter, message_offset + bad_offset, why);
    }
    state.stats.records += records.size() - before;
    state.stats.options_records += announced.records;
    if (announced.has_sampling) state.sampling_interval = announced.sampling_interval;
    if (announced.has_system_init) state.system_init_ms = announced.system_init_ms;
    return n;
}

size_t CollectorState::data_set(const ExporterKey& exporter, ExporterState& state, uint16_t set_id,
                                const uint8_t* content, size_t len, const ExportClock& clock,
                                size_t message_offset, int64_t now_ns) {
    const TemplateKey key{exporter.address, exporter.domain, set_id, exporter.version};
    if (const FlowTemplate* t = templates.find(key))
        return decode_known(exporter, state, *t, content, len, clock, message_offset);
    ++state.stats.held_sets;
    std::vector<PendingSet> dropped;
    pending.hold(PendingSet{key, exporter, clock, now_ns, std::string(reinterpret_cast<const char*>(content), len)},
                 dropped);
    count_dropped(dropped, now_ns);
    return SIZE_MAX;
}

bool CollectorState::add_template(const TemplateKey& key, FlowTemplate t, int64_t now_ns) {
    if (templates.size() >= limits.max_templates && !templates.find(key)) return false;
    DataSetDecoder::compile(t);
    templates.put(key, std::move(t));
    if (pending.empty()) return true;
    auto waiting = pending.take(key);
    if (waiting.empty()) return true;
    const FlowTemplate& stored = *templates.find(key);
    for (auto& s : waiting) {
        ExporterState& st = exporters.get(s.exporter, now_ns);
        // Offsets of held sets are unknown relative to a message now: report 0 (the set's start).
        decode_known(s.exporter, st, stored, reinterpret_cast<const uint8_t*>(s.bytes.data()), s.bytes.size(), s.clock, 0);
    }
    return true;
}

void CollectorState::count_dropped(std::vector<PendingSet>& dropped, int64_t now_ns) {
    for (const auto& s : dropped) {
        ExporterState& st = exporters.get(s.exporter, now_ns);
        ++st.stats.dropped_sets;
    }
    dropped.clear();
}

}  // namespace iotwatch

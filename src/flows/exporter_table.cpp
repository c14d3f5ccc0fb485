#include "flows/exporter_table.h"

namespace iotwatch {

ExporterState& ExporterTable::get(const ExporterKey& key, int64_t now_ns) {
    bool inserted = false;
    uint32_t& pos = index_.find_or_insert(key, inserted);
    if (inserted) {
        pos = uint32_t(states_.size()) + 1;
        ExporterState s;
        s.stats.exporter = key.address;
        s.stats.observation_domain = key.domain;
        s.stats.version = key.version;
        s.stats.first_seen_ns = now_ns;
        states_.push_back(s);
    }
    ExporterState& s = states_[pos - 1];
    s.stats.last_seen_ns = now_ns;
    return s;
}

std::vector<ExporterStats> ExporterTable::stats() const {
    std::vector<ExporterStats> out;
    out.reserve(states_.size());
    for (const auto& s : states_) {
        ExporterStats st = s.stats;
        st.sampling_interval = s.sampling_interval;
        out.push_back(st);
    }
    return out;
}

void track_sequence(ExporterState& s, uint32_t sequence, uint32_t units) {
    if (s.have_sequence && sequence != s.next_sequence) {
        // Modular distance: ahead by less than 2^31 is a gap (lost datagrams); otherwise the
        // datagram is late or the exporter restarted its counter.
        const uint32_t ahead = sequence - s.next_sequence;
        if (ahead < 0x80000000u) {
            ++s.stats.sequence_gaps;
            s.stats.missing += ahead;
        } else {
            ++s.stats.reordered;
        }
    }
    s.have_sequence = true;
    s.next_sequence = sequence + units;
}

}  // namespace iotwatch

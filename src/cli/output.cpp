#include "cli/output.h"

#include <cstdio>
#include <ostream>

#include "core/json_writer.h"
#include "telescope/telescope_aggregator.h"

namespace iotwatch::cli {

void print_ingest_summary_text(const IngestResult& r, const Darknet& dn, const std::string& db, std::ostream& out) {
    char buf[256];
    const double rate = r.seconds > 0 ? double(r.frames) / r.seconds : 0;
    std::snprintf(buf, sizeof buf, "ingested %llu packets (%.1f MB on the wire) in %.2f s, %.2f M packets/s\n",
                  static_cast<unsigned long long>(r.frames), double(r.wire_bytes) / 1e6, r.seconds, rate / 1e6);
    out << buf;
    out << "  darknet: " << dn.describe() << "\n  store:   " << db << (r.resumed ? " (resumed from checkpoint)" : "")
        << "\n";
    const auto& m = r.memory;
    std::snprintf(buf, sizeof buf,
                  "  state:   %llu active sources, %llu B per source record, %.1f MB per-source state in all "
                  "(%.0f B per source incl. destination sets and ports)\n",
                  static_cast<unsigned long long>(m.active_sources),
                  static_cast<unsigned long long>(TelescopeAggregator::bytes_per_source_record()),
                  double(m.source_state_bytes + m.destination_set_bytes + m.port_table_bytes) / 1e6,
                  m.active_sources ? double(m.source_state_bytes + m.destination_set_bytes + m.port_table_bytes) /
                                         double(m.active_sources)
                                   : 0.0);
    out << buf;
    if (r.drops.received || r.drops.dropped_kernel || r.drops.dropped_interface)
        out << "  live:    received " << r.drops.received << ", dropped by kernel " << r.drops.dropped_kernel
            << ", dropped by interface " << r.drops.dropped_interface << "\n";
    for (const auto& in : r.inputs) {
        out << "  input:   " << in.name << ": ";
        if (in.skipped) out << "skipped (already ingested)";
        else out << in.frames << " packets";
        if (in.error) out << " (stopped at a bad record: see error)";
        out << "\n";
    }
}

void print_ingest_summary_json(const IngestResult& r, const Darknet& dn, const std::string& db, std::ostream& out) {
    JsonWriter w(out);
    w.begin_object();
    w.key("packets").value(r.frames);
    w.key("wire_bytes").value(r.wire_bytes);
    w.key("seconds").value(r.seconds);
    w.key("checkpoint_seconds").value(r.checkpoint_seconds);
    w.key("threads").value(r.threads);
    w.key("decode_thread").value(r.decode_thread);
    w.key("packets_per_second").value(r.seconds > 0 ? double(r.frames) / r.seconds : 0.0);
    w.key("db").value(db);
    w.key("darknet").value(dn.describe());
    w.key("resumed").value(r.resumed);
    w.key("interrupted").value(r.interrupted);
    w.key("active_sources").value(r.memory.active_sources);
    w.key("bytes_per_source_record").value(TelescopeAggregator::bytes_per_source_record());
    w.key("state_bytes").value(r.memory.total());
    if (r.drops.received || r.drops.dropped_kernel) {
        w.key("capture").begin_object();
        w.key("received").value(r.drops.received);
        w.key("dropped_kernel").value(r.drops.dropped_kernel);
        w.key("dropped_interface").value(r.drops.dropped_interface);
        w.end_object();
    }
    w.key("inputs").begin_array();
    for (const auto& in : r.inputs) {
        w.begin_object();
        w.key("name").value(in.name);
        w.key("packets").value(in.frames);
        w.key("skipped").value(in.skipped);
        if (in.error) w.key("error").value(*in.error);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    out << "\n";
}

}  // namespace iotwatch::cli

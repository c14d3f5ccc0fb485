// JSON lines alert file: one object per (address, evidence kind), every field of the row plus the
// advice text, UTC ISO 8601 times. The documented machine-readable interface (README).
#include <sstream>

#include "core/json_writer.h"
#include "core/timestamp.h"
#include "notify/alert_format.h"
#include "notify/daily_alerts.h"

namespace iotwatch {

std::string render_alert_jsonl(const AlertFileContext& ctx, const std::vector<AlertRow>& rows) {
    std::ostringstream out;
    for (const auto& r : rows) {
        JsonWriter w(out);
        w.begin_object();
        w.key("org").value(r.org);
        w.key("day").value(format_utc_day(r.day * kNanosPerSecond));
        w.key("address").value(r.address.to_string());
        w.key("kind").value(r.kind);
        w.key("family").value(r.family);
        w.key("confidence").value(r.confidence);
        w.key("first_seen").value(format_utc(r.first_seen_ns));
        w.key("last_seen").value(format_utc(r.last_seen_ns));
        w.key("ports").value(r.ports);
        w.key("packets").value(r.packets);
        w.key("mirai_fraction").value(r.mirai_fraction);
        w.key("source").value(r.source);
        w.key("sensors").value(r.sensors);
        w.key("asn").value(uint64_t(r.asn));
        w.key("country").value(r.country);
        w.key("region").value(r.region);
        w.key("city").value(r.city);
        w.key("event_id").value(alert_event_id(r));
        w.key("advice").value(alert_advice(r));
        w.end_object();
        out << '\n';
    }
    return out.str();
}

}  // namespace iotwatch

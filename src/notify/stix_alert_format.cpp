// STIX 2.1 bundle of one organisation's day: the producer's identity, then per alert row an
// `indicator` (pattern [ipv4-addr:value = '...'], indicator_types "compromised", the advice as
// description) and a `sighting` of it (first/last seen, count). Every object is marked TLP:AMBER
// (the recipient may share it within its organisation and with its subscriber). Ids are UUIDv5 of
// the content and times come from the evidence, so the bundle is byte-identical on a re-run.
#include <sstream>

#include "core/digest.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "notify/alert_format.h"
#include "notify/daily_alerts.h"

namespace iotwatch {
namespace {

constexpr const char* kTlpAmber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
constexpr const char* kStixNamespace = "6f1f7d2e-3c4b-4d8a-9a51-2b7c0e9d4f63";

std::string stix_time(int64_t ns) { return format_utc(ns, 3); }

}  // namespace

const char* stix_namespace() { return kStixNamespace; }
std::string stix_producer_identity() { return "identity--" + uuid5(kStixNamespace, "iotwatch producer"); }

std::string render_stix_bundle(const AlertFileContext& ctx, const std::vector<AlertRow>& rows) {
    const std::string day = format_utc_day(ctx.day_s * kNanosPerSecond);
    const std::string identity = stix_producer_identity();
    std::ostringstream out;
    JsonWriter w(out);
    w.begin_object();
    w.key("type").value("bundle");
    w.key("id").value("bundle--" + uuid5(kStixNamespace, "bundle|" + ctx.org->id + "|" + day));
    w.key("objects").begin_array();
    w.begin_object();
    w.key("type").value("identity");
    w.key("spec_version").value("2.1");
    w.key("id").value(identity);
    w.key("created").value("2026-01-01T00:00:00.000Z");
    w.key("modified").value("2026-01-01T00:00:00.000Z");
    w.key("name").value("iotwatch");
    w.key("identity_class").value("system");
    w.key("description").value("iotwatch darknet telescope and alert service");
    w.end_object();
    for (const auto& r : rows) {
        const std::string id = alert_event_id(r);
        const std::string indicator = "indicator--" + id;
        const std::string value_type = r.address.is_v4() ? "ipv4-addr" : "ipv6-addr";
        w.begin_object();
        w.key("type").value("indicator");
        w.key("spec_version").value("2.1");
        w.key("id").value(indicator);
        w.key("created_by_ref").value(identity);
        w.key("created").value(stix_time(r.last_seen_ns));
        w.key("modified").value(stix_time(r.last_seen_ns));
        w.key("name").value("Infected host " + r.address.to_string() + " (" + r.kind + ")");
        w.key("description").value(alert_advice(r));
        w.key("indicator_types").begin_array().value("compromised").end_array();
        w.key("pattern").value("[" + value_type + ":value = '" + r.address.to_string() + "']");
        w.key("pattern_type").value("stix");
        w.key("pattern_version").value("2.1");
        w.key("valid_from").value(stix_time(r.first_seen_ns));
        w.key("confidence").value(r.confidence == "high" ? 85 : r.confidence == "medium" ? 50 : 15);
        w.key("labels").begin_array().value(r.kind);
        if (!r.family.empty()) w.value(r.family);
        w.end_array();
        w.key("object_marking_refs").begin_array().value(kTlpAmber).end_array();
        w.end_object();

        w.begin_object();
        w.key("type").value("sighting");
        w.key("spec_version").value("2.1");
        w.key("id").value("sighting--" + uuid5(kStixNamespace, "sighting|" + id));
        w.key("created_by_ref").value(identity);
        w.key("created").value(stix_time(r.last_seen_ns));
        w.key("modified").value(stix_time(r.last_seen_ns));
        w.key("first_seen").value(stix_time(r.first_seen_ns));
        w.key("last_seen").value(stix_time(r.last_seen_ns));
        w.key("count").value(std::min<uint64_t>(r.packets, 999999999));
        w.key("sighting_of_ref").value(indicator);
        w.key("where_sighted_refs").begin_array().value(identity).end_array();
        w.key("description").value("Seen by " + (r.source == "telescope" ? "the darknet telescope" +
                                                     (r.sensors.empty() ? "" : " (sensors: " + r.sensors + ")")
                                                                         : "partner feed " + r.source) +
                                   (r.ports.empty() ? "" : "; ports " + r.ports) + ".");
        w.key("object_marking_refs").begin_array().value(kTlpAmber).end_array();
        w.end_object();
    }
    w.end_array();
    w.end_object();
    out << '\n';
    return out.str();
}

}  // namespace iotwatch

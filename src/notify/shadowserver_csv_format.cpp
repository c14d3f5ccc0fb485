// The Shadowserver "Honeypot-Darknet" event CSV (event4_honeypot_darknet in Shadowserver's report
// schema, 2026-03-24): the exact columns and order, every value double-quoted as Shadowserver
// writes them, timestamps "YYYY-MM-DD HH:MM:SS" UTC. Data minimisation: dst_ip and the other
// destination fields stay empty (the darknet's own addresses tell the subscriber nothing and
// reveal the sensor), src_port is not kept by the telescope.
#include "core/timestamp.h"
#include "notify/alert_format.h"
#include "notify/daily_alerts.h"

namespace iotwatch {

const std::vector<std::string>& shadowserver_darknet_fields() {
    static const std::vector<std::string> kFields = {
        "timestamp",     "protocol",     "src_ip",      "src_port",    "src_asn",      "src_geo",
        "src_region",    "src_city",     "src_hostname", "src_naics",  "src_sector",   "device_vendor",
        "device_type",   "device_model", "severity",    "dst_ip",      "dst_port",     "dst_asn",
        "dst_geo",       "dst_region",   "dst_city",    "dst_hostname", "dst_naics",   "dst_sector",
        "public_source", "infection",    "family",      "tag",         "application",  "version",
        "event_id",      "count"};
    return kFields;
}

namespace {

void quoted(std::string& out, const std::string& v) {
    out += '"';
    for (char c : v) {
        if (c == '"') out += '"';
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    out += '"';
}

std::string space_time(int64_t ns) {
    std::string t = format_utc(ns);  // 2026-11-24T15:05:36Z
    t[10] = ' ';
    t.pop_back();
    return t;
}

/// "tcp/23(telnet) tcp/2323" -> "telnet" (the first port's category).
std::string application(const std::string& ports) {
    const size_t open = ports.find('(');
    const size_t space = ports.find(' ');
    if (open == std::string::npos || (space != std::string::npos && space < open)) return "";
    const size_t close = ports.find(')', open);
    return close == std::string::npos ? "" : ports.substr(open + 1, close - open - 1);
}

}  // namespace

std::string render_shadowserver_csv(const AlertFileContext&, const std::vector<AlertRow>& rows) {
    std::string out;
    const auto& fields = shadowserver_darknet_fields();
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        quoted(out, fields[i]);
    }
    out += '\n';
    for (const auto& r : rows) {
        const std::string proto = r.protocol == 6 ? "tcp" : r.protocol == 17 ? "udp" : r.protocol == 1 ? "icmp" : "";
        const std::string infection = r.kind == "external" ? r.family
                                      : r.family == "mirai" ? "mirai"
                                                            : "iot-scanner";
        const std::string values[] = {
            space_time(r.first_seen_ns), proto, r.address.to_string(), "", r.asn ? std::to_string(r.asn) : "",
            r.country, r.region, r.city, "", "", "", "", "", "",
            r.confidence, "", r.protocol ? std::to_string(r.port) : "", "", "", "", "", "", "", "",
            r.source == "telescope" ? "iotwatch-telescope" : r.source, infection, r.family,
            r.kind + (r.ports.empty() ? "" : ";" + r.ports), application(r.ports), "", alert_event_id(r),
            std::to_string(r.packets)};
        static_assert(sizeof(values) / sizeof(values[0]) == 32);
        for (size_t i = 0; i < 32; ++i) {
            if (i) out += ',';
            quoted(out, values[i]);
        }
        out += '\n';
    }
    return out;
}

}  // namespace iotwatch

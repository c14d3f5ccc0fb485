#include "notify/daily_alerts.h"

#include <algorithm>
#include <map>
#include <set>

namespace iotwatch {
namespace {

/// "tcp/23(telnet) tcp/2323" -> protocol 6, port 23 (the first listed port).
void primary_port(const std::string& ports, AlertRow& row) {
    const size_t slash = ports.find('/');
    if (slash == std::string::npos) return;
    const std::string proto = ports.substr(0, slash);
    row.protocol = proto == "tcp" ? 6 : proto == "udp" ? 17 : proto == "icmp" ? 1 : 0;
    row.port = static_cast<uint16_t>(std::strtoul(ports.c_str() + slash + 1, nullptr, 10));
}

std::string join(const std::set<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

}  // namespace

DailyAlertsResult build_daily_alerts(Store& store, int64_t day_s, const DailyAlertsInput& in) {
    DailyAlertsResult result;
    const TimeRange range{day_s, day_s + 86400};

    // Which sensors saw each source that day (DAEDALUS: which member's darknet was hit).
    std::vector<std::pair<IpAddress, uint64_t>> seen_by;
    for (const auto& r : store.source_days(range)) seen_by.push_back({r.src, r.sensors});
    std::sort(seen_by.begin(), seen_by.end());
    auto sensors_of = [&](const IpAddress& a) {
        auto it = std::lower_bound(seen_by.begin(), seen_by.end(), std::make_pair(a, uint64_t(0)));
        std::string out;
        if (it == seen_by.end() || it->first != a) return out;
        for (size_t i = 0; i < 16 && i < in.sensor_names.size(); ++i)
            if (it->second >> i & 1) out += (out.empty() ? "" : ",") + in.sensor_names[i];
        if ((it->second >> 15 & 1) && in.sensor_names.size() > 16) out += "+others";
        return out;
    };

    auto attribute = [&](AlertRow& row) {
        GeoInfo geo = in.geo ? in.geo(row.address) : GeoInfo{};
        const uint32_t org = in.registry->owner(row.address, geo.asn);
        if (org == OrganisationRegistry::kNone) {
            ++result.unattributed;
            return false;
        }
        row.org = in.registry->organisations()[org].id;
        row.asn = geo.asn;
        row.country = geo.country;
        row.region = geo.region;
        row.city = geo.city;
        return true;
    };

    // Telescope judgements.
    const auto events = store.scan_events(range, SIZE_MAX);
    const auto fingerprinted = store.mirai_sources(range);
    const auto hosts =
        judge_infected_hosts(events, *in.iot_ports, *in.research, &result.research_excluded, fingerprinted,
                             in.geo ? std::function<uint32_t(const IpAddress&)>([&](const IpAddress& a) { return in.geo(a).asn; })
                                    : std::function<uint32_t(const IpAddress&)>());
    result.judged = hosts.size();
    for (const auto& h : hosts) {
        AlertRow row;
        row.day = day_s;
        row.address = h.src;
        row.kind = h.evidence;
        row.family = (h.evidence == "mirai-fingerprint" || h.mirai_fraction >= 0.5) ? "mirai" : "";
        row.confidence = h.confidence;
        row.first_seen_ns = h.first_seen_ns;
        row.last_seen_ns = h.last_seen_ns;
        row.ports = h.ports;
        primary_port(h.ports, row);
        row.packets = h.packets;
        row.mirai_fraction = h.mirai_fraction;
        row.source = "telescope";
        row.sensors = sensors_of(h.src);
        if (attribute(row)) result.rows.push_back(std::move(row));
    }

    // Partner evidence: every record of one address that day becomes one row, whatever the feed.
    const auto evidence = store.external_evidence(range);
    result.external = evidence.size();
    for (size_t i = 0; i < evidence.size();) {
        size_t j = i;
        std::set<std::string> families, feeds;
        AlertRow row;
        row.day = day_s;
        row.address = evidence[i].address;
        row.kind = "external";
        row.confidence = "high";
        row.first_seen_ns = evidence[i].ts_ns;
        row.last_seen_ns = evidence[i].ts_ns;
        for (; j < evidence.size() && evidence[j].address == evidence[i].address; ++j) {
            row.first_seen_ns = std::min(row.first_seen_ns, evidence[j].ts_ns);
            row.last_seen_ns = std::max(row.last_seen_ns, evidence[j].ts_ns);
            ++row.packets;
            if (!evidence[j].family.empty()) families.insert(evidence[j].family);
            feeds.insert(evidence[j].feed);
        }
        row.family = join(families);
        row.source = join(feeds);
        // iotwatch's own C&C scoring (iotwatch cnc --record): a server, judged statistically.
        if (row.source == "cnc-scoring") {
            row.kind = "cnc-server";
            row.confidence = "medium";
        }
        i = j;
        if (attribute(row)) result.rows.push_back(std::move(row));
    }

    // Survey findings (NOTICE): a device whose login accepted a weak ID/password, or that needed
    // none. One row per (address, kind), its ports merged; the credential itself is never sent.
    const auto findings = store.survey_findings(range);
    result.survey = findings.size();
    std::map<std::pair<IpAddress, std::string>, AlertRow> by_device;
    for (const SurveyResult& f : findings) {
        const std::string kind = f.outcome == SurveyOutcome::kLoginOk ? "weak-credential" : "no-auth";
        AlertRow& row = by_device[{f.address, kind}];
        if (row.packets == 0) {
            row.day = day_s;
            row.address = f.address;
            row.kind = kind;
            row.confidence = "high";
            row.first_seen_ns = f.started_ns;
            row.last_seen_ns = f.ended_ns;
            row.protocol = 6;
            row.port = f.port;
            row.source = "survey:" + f.campaign;
        }
        const std::string port = "tcp/" + std::to_string(f.port) + "(" + f.protocol + ")";
        if ((" " + row.ports + " ").find(" " + port + " ") == std::string::npos)
            row.ports += (row.ports.empty() ? "" : " ") + port;
        row.first_seen_ns = std::min(row.first_seen_ns, f.started_ns);
        row.last_seen_ns = std::max(row.last_seen_ns, f.ended_ns);
        ++row.packets;  // (address, port) findings behind the row
    }
    for (auto& [key, row] : by_device)
        if (attribute(row)) result.rows.push_back(std::move(row));

    std::sort(result.rows.begin(), result.rows.end(), [](const AlertRow& a, const AlertRow& b) {
        if (a.org != b.org) return a.org < b.org;
        if (a.address != b.address) return a.address < b.address;
        return a.kind < b.kind;
    });
    return result;
}

std::string alert_advice(const AlertRow& row) {
    std::string what;
    if (row.kind == "mirai-fingerprint")
        what = "A device at this address sent scanning traffic carrying the Mirai botnet's fingerprint to "
               "unused (darknet) address space: it is very likely infected.";
    else if (row.kind == "iot-port-scan")
        what = "A device at this address scanned the Internet for IoT login services (" + row.ports +
               "), which infected devices do to spread.";
    else if (row.kind == "weak-credential")
        what = "The device's remote login (" + row.ports + ") accepted an easily guessed ID/password in an authorised "
               "survey (NOTICE); anyone on the Internet can take it over.";
    else if (row.kind == "no-auth")
        what = "The device's remote login (" + row.ports + ") can be used without any password (authorised survey).";
    else
        what = "A partner's sinkhole or takedown log recorded this address contacting malware infrastructure" +
               (row.family.empty() ? std::string(".") : " (" + row.family + ").");
    return what +
           " Please ask the subscriber to: change the device's default or weak passwords; update its firmware; "
           "reboot it (Mirai-family malware lives in memory); and disable remote administration (telnet, ssh, "
           "web admin) from the Internet if it is not needed.";
}

}  // namespace iotwatch

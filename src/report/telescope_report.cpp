#include <functional>
#include <set>
#include <map>
#include "report/telescope_report.h"

// GCC 12 reports a false -Wrestrict inside std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <cstdio>
#include <ostream>
#include <vector>

#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "detect/host_judgement.h"

namespace iotwatch {
namespace {

std::string thousands(uint64_t v) {
    std::string s = std::to_string(v), out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i && (s.size() - i) % 3 == 0) out += ',';
        out += s[i];
    }
    return out;
}

std::string classes_text(uint16_t mask) {
    std::string out;
    for (uint8_t c = 0; c < kClassCount; ++c)
        if (mask >> c & 1) {
            if (!out.empty()) out += '|';
            out += packet_class_name(c);
        }
    return out;
}

std::string day_or_null(int64_t s) { return format_utc_day(s * kNanosPerSecond); }

/// A CSV field, quoted when it needs to be (RFC 4180).
std::string csv(const std::string& v) {
    if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> right;  // right-align numeric columns

    void print(std::ostream& out, const std::string& title) const {
        std::vector<size_t> w(header.size(), 0);
        for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
        out << title << "\n";
        // Numbers are stored plain (CSV and JSON want them so); people get thousands separators.
        auto shown = [&](const std::vector<std::string>& r) {
            std::vector<std::string> out = r;
            for (size_t i = 0; i < out.size(); ++i)
                if (right[i] && !out[i].empty() && out[i].find_first_not_of("0123456789") == std::string::npos)
                    out[i] = thousands(std::stoull(out[i]));
            return out;
        };
        std::vector<std::vector<std::string>> cells;
        for (auto& r : rows) cells.push_back(shown(r));
        for (auto& r : cells)
            for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
        auto line = [&](const std::vector<std::string>& r) {
            std::string s = " ";
            for (size_t i = 0; i < r.size(); ++i) {
                std::string cell = r[i];
                std::string pad(w[i] - cell.size(), ' ');
                s += " " + (right[i] ? pad + cell : cell + pad);
            }
            while (!s.empty() && s.back() == ' ') s.pop_back();
            out << s << "\n";
        };
        line(header);
        if (rows.empty()) out << "  (none)\n";
        for (auto& r : cells) line(r);
    }
    void csv_out(std::ostream& out) const {
        for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv(header[i]);
        out << "\n";
        for (auto& r : rows) {
            for (size_t i = 0; i < r.size(); ++i) out << (i ? "," : "") << csv(r[i]);
            out << "\n";
        }
    }
};

Table classes_table(const TelescopeTotals& t) {
    Table tb{{"class", "packets", "share", "bytes"}, {}, {false, true, true, true}};
    for (uint8_t c = 0; c < kClassCount; ++c) {
        char share[16];
        std::snprintf(share, sizeof share, "%.2f%%", t.packets ? 100.0 * double(t.class_packets[c]) / double(t.packets) : 0.0);
        tb.rows.push_back({packet_class_name(c), std::to_string(t.class_packets[c]), share, std::to_string(t.class_bytes[c])});
    }
    return tb;
}

Table ports_table(const std::vector<PortRank>& ports) {
    Table tb{{"rank", "port", "service", "unique_hosts", "packets"}, {}, {true, true, false, true, true}};
    size_t rank = 0;
    for (auto& p : ports)
        tb.rows.push_back({std::to_string(++rank), std::string(p.protocol == 6 ? "tcp/" : "udp/") + std::to_string(p.port),
                           port_service(p.protocol, p.port), std::to_string(p.sources), std::to_string(p.packets)});
    return tb;
}

Table sources_table(const std::vector<SourceRank>& srcs) {
    Table tb{{"rank", "source", "packets", "destinations", "ports", "first_seen", "last_seen", "classes", "top_ports"},
             {},
             {true, false, true, true, true, false, false, false, false}};
    size_t rank = 0;
    for (auto& s : srcs)
        tb.rows.push_back({std::to_string(++rank), s.src.to_string(), std::to_string(s.packets), std::to_string(s.destinations),
                           std::to_string(s.ports), format_utc(s.first_seen_ns), format_utc(s.last_seen_ns),
                           classes_text(s.classes), s.top_ports});
    return tb;
}

/// The sources view: the summary's columns plus per-tool fingerprint packets and whether the
/// infected-host judgement names the source (the documented scripting keys of issue 3).
Table sources_view_table(const std::vector<SourceRank>& srcs, const std::set<IpAddress>& infected) {
    Table tb{{"rank", "src", "packets", "mirai_packets", "zmap_packets", "masscan_packets", "infected", "destinations",
              "ports", "first_seen", "last_seen", "classes", "top_ports"},
             {},
             {true, false, true, true, true, true, false, true, true, false, false, false, false}};
    size_t rank = 0;
    for (auto& s : srcs)
        tb.rows.push_back({std::to_string(++rank), s.src.to_string(), std::to_string(s.packets),
                           std::to_string(s.fingerprints[kFpMirai]), std::to_string(s.fingerprints[kFpZmap]),
                           std::to_string(s.fingerprints[kFpMasscan]), infected.count(s.src) ? "true" : "false",
                           std::to_string(s.destinations), std::to_string(s.ports), format_utc(s.first_seen_ns),
                           format_utc(s.last_seen_ns), classes_text(s.classes), s.top_ports});
    return tb;
}

void port_json(JsonWriter& w, const PortRank& p) {
    w.begin_object();
    w.key("port").value(p.port);
    w.key("service").value(port_service(p.protocol, p.port));
    w.key("sources").value(p.sources);
    w.key("packets").value(p.packets);
    w.end_object();
}

void source_json(JsonWriter& w, const SourceRank& s) {
    w.begin_object();
    w.key("src").value(s.src.to_string());
    w.key("packets").value(s.packets);
    w.key("bytes").value(s.bytes);
    w.key("destinations").value(s.destinations);
    w.key("ports").value(s.ports);
    w.key("mirai_packets").value(s.fingerprints[kFpMirai]);
    w.key("zmap_packets").value(s.fingerprints[kFpZmap]);
    w.key("masscan_packets").value(s.fingerprints[kFpMasscan]);
    w.key("classes").begin_array();
    for (uint8_t c = 0; c < kClassCount; ++c)
        if (s.classes >> c & 1) w.value(packet_class_name(c));
    w.end_array();
    w.key("first_seen").value(format_utc(s.first_seen_ns, 6));
    w.key("last_seen").value(format_utc(s.last_seen_ns, 6));
    w.key("top_ports").value(s.top_ports);
    w.end_object();
}

/// Unique sources and packets per country or per AS over the range (each source counted once).
struct GeoRank {
    std::string key;     // country code, or AS number
    std::string as_org;  // for ASNs
    uint64_t sources = 0;
    uint64_t packets = 0;
};
std::vector<GeoRank> geo_ranks(Store& store, const ReportOptions& o, bool by_asn) {
    std::vector<std::pair<IpAddress, uint64_t>> per_source;  // (source, packets) over the range
    for (const auto& r : store.source_days(o.range)) per_source.push_back({r.src, r.packets});
    std::sort(per_source.begin(), per_source.end());
    std::map<std::string, GeoRank> ranks;
    for (size_t i = 0; i < per_source.size();) {
        size_t j = i;
        uint64_t packets = 0;
        for (; j < per_source.size() && per_source[j].first == per_source[i].first; ++j) packets += per_source[j].second;
        const GeoInfo g = o.geo(per_source[i].first);
        std::string key = by_asn ? (g.asn ? std::to_string(g.asn) : "unknown") : (g.country.empty() ? "unknown" : g.country);
        GeoRank& r = ranks[key];
        r.key = key;
        if (by_asn && r.as_org.empty()) r.as_org = g.as_org;
        ++r.sources;
        r.packets += packets;
        i = j;
    }
    std::vector<GeoRank> out;
    for (auto& [k, r] : ranks) out.push_back(r);
    std::sort(out.begin(), out.end(), [](const GeoRank& a, const GeoRank& b) {
        return a.sources != b.sources ? a.sources > b.sources : a.key < b.key;
    });
    return out;
}

Table geo_table(const std::vector<GeoRank>& ranks, size_t top, bool by_asn, uint64_t total_sources) {
    Table tb{by_asn ? std::vector<std::string>{"rank", "asn", "as_org", "unique_hosts", "share", "packets"}
                    : std::vector<std::string>{"rank", "country", "unique_hosts", "share", "packets"},
             {},
             by_asn ? std::vector<bool>{true, false, false, true, true, true} : std::vector<bool>{true, false, true, true, true}};
    size_t rank = 0;
    for (const auto& r : ranks) {
        if (rank == top) break;
        char share[16];
        std::snprintf(share, sizeof share, "%.2f%%", total_sources ? 100.0 * double(r.sources) / double(total_sources) : 0.0);
        if (by_asn)
            tb.rows.push_back({std::to_string(++rank), r.key, r.as_org, std::to_string(r.sources), share, std::to_string(r.packets)});
        else
            tb.rows.push_back({std::to_string(++rank), r.key, std::to_string(r.sources), share, std::to_string(r.packets)});
    }
    return tb;
}

void summary_json(Store& store, const ReportOptions& o, std::ostream& out) {
    const TelescopeTotals t = store.totals(o.range);
    JsonWriter w(out);
    w.begin_object();
    w.key("classes").begin_object();
    for (uint8_t c = 0; c < kClassCount; ++c) w.key(packet_class_name(c)).value(t.class_packets[c]);
    w.end_object();
    w.key("packets").value(t.packets);
    w.key("bytes").value(t.bytes);
    w.key("outside").value(t.outside);
    w.key("not_ip").value(t.not_ip);
    w.key("truncated").value(t.truncated);
    w.key("undecodable").value(t.undecodable);
    w.key("late").value(t.late);
    w.key("sources").value(t.sources);
    w.key("max_daily_destinations").value(t.destinations);
    if (t.packets + t.outside + t.not_ip + t.undecodable) {
        w.key("first_day").value(day_or_null(t.first_bin));
        w.key("last_day").value(day_or_null(t.last_bin));
    } else {
        w.key("first_day").null();
        w.key("last_day").null();
    }
    w.key("port_sources_are_daily_sums").value(t.first_bin != t.last_bin);
    w.key("top_tcp_ports").begin_array();
    for (auto& p : store.top_ports(6, o.top, o.range)) port_json(w, p);
    w.end_array();
    w.key("top_udp_ports").begin_array();
    for (auto& p : store.top_ports(17, o.top, o.range)) port_json(w, p);
    w.end_array();
    w.key("top_sources").begin_array();
    for (auto& s : store.top_sources(o.top, o.range)) source_json(w, s);
    w.end_array();
    if (o.geo) {
        w.key("top_countries").begin_array();
        size_t n = 0;
        for (const auto& r : geo_ranks(store, o, false)) {
            if (n++ == o.top) break;
            w.begin_object();
            w.key("country").value(r.key);
            w.key("unique_hosts").value(r.sources);
            w.key("packets").value(r.packets);
            w.end_object();
        }
        w.end_array();
    }
    w.key("sensors").begin_array();
    for (auto& s : store.sensor_totals(o.range)) {
        w.begin_object();
        w.key("sensor").value(s.sensor);
        w.key("packets").value(s.packets);
        w.key("bytes").value(s.bytes);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    out << "\n";
}

}  // namespace

const char* port_service(uint8_t protocol, uint16_t port) {
    struct Entry {
        uint8_t proto;
        uint16_t port;
        const char* name;
    };
    static const Entry kKnown[] = {
        {6, 21, "ftp"},         {6, 22, "ssh"},           {6, 23, "telnet"},       {6, 25, "smtp"},
        {6, 80, "http"},        {6, 81, "http-alt"},      {6, 443, "https"},       {6, 445, "microsoft-ds"},
        {6, 1433, "mssql"},     {6, 2323, "telnet-alt"},  {6, 3306, "mysql"},      {6, 3389, "rdp"},
        {6, 5555, "adb"},       {6, 6379, "redis"},       {6, 7547, "tr-069"},     {6, 8000, "http-alt"},
        {6, 8080, "http-alt"},  {6, 8081, "http-alt"},    {6, 8291, "mikrotik"},   {6, 8443, "https-alt"},
        {6, 9200, "elasticsearch"}, {6, 9527, "dvr"},     {6, 34567, "dvr"},       {6, 37215, "huawei-hg532"},
        {6, 52869, "realtek-sdk"}, {6, 60001, "dvr"},     {6, 5358, "wsd"},        {6, 49152, "upnp"},
        {17, 53, "dns"},        {17, 123, "ntp"},         {17, 161, "snmp"},       {17, 389, "cldap"},
        {17, 1900, "ssdp"},     {17, 3702, "ws-discovery"}, {17, 5060, "sip"},     {17, 5353, "mdns"},
        {17, 11211, "memcached"}, {17, 37810, "dvr"},
    };
    for (const auto& e : kKnown)
        if (e.proto == protocol && e.port == port) return e.name;
    return "";
}

/// The infected-host judgement over the range (every event, not only the top N).
std::vector<InfectedHost> judge_range(Store& store, const ReportOptions& o) {
    const PortTaxonomy ports = o.iot_ports_file.empty() ? PortTaxonomy::builtin() : PortTaxonomy::load(o.iot_ports_file);
    const ResearchScannerList research =
        o.research_scanners_file.empty() ? ResearchScannerList::builtin() : ResearchScannerList::load(o.research_scanners_file);
    std::function<uint32_t(const IpAddress&)> asn_of;
    if (o.geo) asn_of = [&](const IpAddress& a) { return o.geo(a).asn; };
    return judge_infected_hosts(store.scan_events(o.range, SIZE_MAX >> 1), ports, research, nullptr,
                                store.mirai_sources(o.range), asn_of);
}

const char* report_views() { return "summary, classes, ports, sources, countries, asns, series, scans, dos, labels, infected"; }

void write_report(Store& store, const ReportOptions& o, std::ostream& out) {
    const std::string& v = o.view;
    if (v != "summary" && v != "classes" && v != "ports" && v != "sources" && v != "series" && v != "scans" &&
        v != "dos" && v != "infected" && v != "countries" && v != "asns" && v != "labels")
        throw ConfigError(std::string("--view must be one of ") + report_views() + ", not '" + v + "'");
    if ((v == "countries" || v == "asns") && !o.geo)
        throw ConfigError("--view " + v + " needs a GeoIP/ASN database (--city-db / --asn-db, [geo] in the config, or "
                          "IOTWATCH_GEO_DIR; scripts/install-geo-data.sh installs open defaults)");

    if (o.format == ReportFormat::kJson && v == "summary") return summary_json(store, o, out);

    // Every other combination is built from the same tables.
    std::vector<std::pair<std::string, Table>> tables;
    const TelescopeTotals t = store.totals(o.range);
    if (v == "summary" || v == "classes") tables.push_back({"classes", classes_table(t)});
    if (v == "summary" || v == "ports") {
        tables.push_back({"top_tcp_ports", ports_table(store.top_ports(6, o.top, o.range))});
        tables.push_back({"top_udp_ports", ports_table(store.top_ports(17, o.top, o.range))});
    }
    if (v == "summary") tables.push_back({"top_sources", sources_table(store.top_sources(o.top, o.range))});
    if (v == "sources") {
        std::set<IpAddress> infected;
        for (const auto& h : judge_range(store, o)) infected.insert(h.src);
        tables.push_back({"top_sources", sources_view_table(store.top_sources(o.top, o.range), infected)});
    }
    if ((v == "summary" && o.geo) || v == "countries")
        tables.push_back({"countries", geo_table(geo_ranks(store, o, false), o.top, false, t.sources)});
    if (v == "asns") tables.push_back({"asns", geo_table(geo_ranks(store, o, true), o.top, true, t.sources)});
    if (v == "labels") {
        Table tb{{"source", "window_start", "detector", "label", "score", "packets"}, {}, {false, false, false, false, true, true}};
        for (const auto& l : store.source_labels(o.range)) {
            char score[32];
            std::snprintf(score, sizeof score, "%.4f", l.score);
            tb.rows.push_back({l.src.to_string(), format_utc(l.window_start_s * kNanosPerSecond), l.detector, l.label, score,
                               std::to_string(l.packets)});
        }
        tables.push_back({"labels", tb});
    }
    if (v == "scans") {
        // Each event is tagged with the IoT taxonomy's category of its port ("" when not an IoT port).
        const PortTaxonomy taxonomy =
            o.iot_ports_file.empty() ? PortTaxonomy::builtin() : PortTaxonomy::load(o.iot_ports_file);
        Table tb{{"rank", "src", "proto", "dport", "start", "end", "packets", "unique_dsts", "est_rate", "mirai", "zmap",
                  "masscan", "large_scanner", "tool", "iot_category"},
                 {},
                 {true, false, false, true, false, false, true, true, true, true, true, true, true, false, false}};
        size_t rank = 0;
        for (const auto& e : store.scan_events(o.range, o.top)) {
            auto frac = [&](Fingerprint f) {
                char b[16];
                std::snprintf(b, sizeof b, "%.2f", e.fraction(f));
                return std::string(b);
            };
            // The tool whose fingerprint most probes carry (at least half); ties go to the more
            // specific fingerprint (listed first: mirai, zmap, masscan, then the scanner hint).
            std::string tool = "-";
            double best = 0;
            for (uint8_t f = 0; f < kFingerprintCount; ++f) {
                const double fr = e.fraction(Fingerprint(f));
                if (fr >= 0.5 && fr > best) best = fr, tool = fingerprint_name(f);
            }
            const std::string proto = e.protocol == 6 ? "tcp" : e.protocol == 17 ? "udp" : e.protocol == 58 ? "icmp6" : "icmp";
            tb.rows.push_back({std::to_string(++rank), e.src.to_string(), proto, std::to_string(e.port),
                               format_utc(e.start_ns), format_utc(e.end_ns), std::to_string(e.packets),
                               std::to_string(e.destinations), std::to_string(uint64_t(e.rate_pps)), frac(kFpMirai),
                               frac(kFpZmap), frac(kFpMasscan), frac(kFpLargeScanner), tool,
                               e.protocol == 6 || e.protocol == 17 ? taxonomy.category(e.protocol, e.port) : std::string()});
        }
        tables.push_back({"scans", tb});
    }
    if (v == "dos") {
        Table tb{{"rank", "victim", "proto", "start", "end", "packets", "max_ppm", "est_rate", "attackers",
                  "attacker_ports", "victim_ports"},
                 {},
                 {true, false, false, false, false, true, true, true, true, true, false}};
        size_t rank = 0;
        for (const auto& a : store.dos_attacks(o.range, o.top)) {
            std::string ports;
            for (const auto& [port, n] : a.victim_ports) {
                if (!ports.empty()) ports += ' ';
                ports += std::to_string(port) + ":" + std::to_string(n);
            }
            tb.rows.push_back({std::to_string(++rank), a.victim.to_string(),
                               a.protocol == 6 ? "tcp" : a.protocol == 17 ? "udp" : "icmp", format_utc(a.start_ns),
                               format_utc(a.end_ns), std::to_string(a.packets), std::to_string(a.max_window_packets),
                               std::to_string(uint64_t(a.rate_pps)), std::to_string(a.attackers),
                               std::to_string(a.attacker_ports), ports});
        }
        tables.push_back({"dos", tb});
    }
    if (v == "infected") {
        auto hosts = judge_range(store, o);
        Table tb{{"src", "evidence", "confidence", "first_seen", "last_seen", "probes", "mirai_fraction", "ports"},
                 {},
                 {false, false, false, false, false, true, true, false}};
        for (const auto& h : hosts) {
            char frac[16];
            std::snprintf(frac, sizeof frac, "%.2f", h.mirai_fraction);
            tb.rows.push_back({h.src.to_string(), h.evidence, h.confidence, format_utc(h.first_seen_ns),
                               format_utc(h.last_seen_ns), std::to_string(h.packets), frac, h.ports});
        }
        tables.push_back({"infected", tb});
    }
    if (v == "series") {
        Table tb{{"bin_start", "width", "class", "packets", "bytes", "sources", "destinations"}, {}, {false, true, false, true, true, true, true}};
        for (auto& r : store.class_series(o.width, o.range))
            tb.rows.push_back({format_utc(r.bin_start * kNanosPerSecond), std::to_string(r.width), packet_class_name(r.cls),
                               std::to_string(r.packets), std::to_string(r.bytes), std::to_string(r.sources),
                               std::to_string(r.destinations)});
        tables.push_back({"series", tb});
    }

    switch (o.format) {
    case ReportFormat::kTable: {
        if (v == "summary") {
            out << "iotwatch telescope report";
            if (t.first_bin || t.last_bin)
                out << ": " << day_or_null(t.first_bin) << (t.first_bin != t.last_bin ? " .. " + day_or_null(t.last_bin) : "");
            out << "\n  packets " << thousands(t.packets) << " to the darknet from " << thousands(t.sources)
                << " unique sources; outside " << thousands(t.outside) << ", not IP " << thousands(t.not_ip)
                << ", undecodable " << thousands(t.undecodable) << ", truncated " << thousands(t.truncated)
                << ", late " << thousands(t.late) << "\n\n";
        }
        for (size_t i = 0; i < tables.size(); ++i) {
            std::string title = tables[i].first;
            if (title == "top_tcp_ports") title = "top " + std::to_string(o.top) + " TCP destination ports by unique hosts";
            if (title == "top_udp_ports") title = "top " + std::to_string(o.top) + " UDP destination ports by unique hosts";
            if (title == "top_sources") title = "top " + std::to_string(o.top) + " sources by packets";
            if (title == "classes") title = "packets per class (NICTER)";
            if (title == "countries") title = "top " + std::to_string(o.top) + " countries by unique hosts";
            if (title == "asns") title = "top " + std::to_string(o.top) + " autonomous systems by unique hosts";
            if (title == "labels") title = "per-source classifier verdicts (SVM DDoS backscatter, per window)";
            if (title == "infected")
                title = "sources judged infected (Mirai fingerprint: high; scan on an IoT port: medium; research scanners excluded)";
            if (title == "scans") title = "scan events (Durumeric: >= 100 destinations, >= 10 pps Internet-wide, 480 s idle ends)";
            if (title == "dos") title = "DoS victims from backscatter (Moore: >= 25 packets, >= 60 s, >= 30 in the busiest 60 s)";
            tables[i].second.print(out, title);
            if (i + 1 < tables.size()) out << "\n";
        }
        return;
    }
    case ReportFormat::kCsv:
        // One table per view; the summary prints its sections one after another, each introduced
        // by a "# name" line so a reader can split them.
        for (auto& [name, tb] : tables) {
            if (tables.size() > 1) out << "# " << name << "\n";
            tb.csv_out(out);
        }
        return;
    case ReportFormat::kJsonLines:
    case ReportFormat::kJson:
        for (auto& [name, tb] : tables) {
            for (auto& r : tb.rows) {
                JsonWriter w(out);
                w.begin_object();
                w.key("view").value(name);
                for (size_t i = 0; i < r.size(); ++i) {
                    const std::string& cell = r[i];
                    // Numeric cells (with thousands separators stripped) as numbers.
                    std::string digits;
                    bool numeric = !cell.empty();
                    int dots = 0;
                    for (char c : cell) {
                        if (c == '.') ++dots;
                        else if (c < '0' || c > '9') numeric = false;
                        digits += c;
                    }
                    if (!tb.right[i] && (cell == "true" || cell == "false"))
                        w.key(tb.header[i]).value(cell == "true");
                    else if (numeric && tb.right[i] && dots == 0)
                        w.key(tb.header[i]).value(static_cast<uint64_t>(std::stoull(digits)));
                    else if (numeric && tb.right[i] && dots == 1)
                        w.key(tb.header[i]).value(std::stod(digits));
                    else
                        w.key(tb.header[i]).value(cell);
                }
                w.end_object();
                out << "\n";
            }
        }
        return;
    }
}

}  // namespace iotwatch

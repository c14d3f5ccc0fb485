#include "detect/host_judgement.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "detect/embedded_data.h"

namespace iotwatch {
namespace {

/// Non-comment, non-empty lines split on tabs, with their line numbers.
std::vector<std::pair<int, std::vector<std::string>>> tsv_rows(const std::string& text) {
    std::vector<std::pair<int, std::vector<std::string>>> rows;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> cols;
        std::stringstream ls(line);
        for (std::string c; std::getline(ls, c, '\t');) cols.push_back(c);
        rows.emplace_back(n, cols);
    }
    return rows;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw ConfigError(path + ": cannot read");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

PortTaxonomy PortTaxonomy::parse(const std::string& text, const std::string& name) {
    PortTaxonomy t;
    for (auto& [line, cols] : tsv_rows(text)) {
        const std::string where = name + ":" + std::to_string(line);
        if (cols.size() < 3) throw ConfigError(where + ": expected protocol<TAB>port<TAB>category");
        uint8_t proto = cols[0] == "tcp" ? 6 : cols[0] == "udp" ? 17 : 0;
        if (!proto) throw ConfigError(where + ": protocol must be tcp or udp, not '" + cols[0] + "'");
        char* end = nullptr;
        long port = std::strtol(cols[1].c_str(), &end, 10);
        if (cols[1].empty() || *end || port < 0 || port > 65535) throw ConfigError(where + ": bad port '" + cols[1] + "'");
        if (cols[2].empty()) throw ConfigError(where + ": empty category");
        t.entries_.push_back({proto, uint16_t(port), cols[2]});
    }
    return t;
}
PortTaxonomy PortTaxonomy::load(const std::string& path) { return parse(read_file(path), path); }
PortTaxonomy PortTaxonomy::builtin() { return parse(kDefaultIotPortsTsv, "data/iot-ports.tsv"); }

const std::string& PortTaxonomy::category(uint8_t protocol, uint16_t port) const {
    static const std::string kNone;
    for (const auto& e : entries_)
        if (e.protocol == protocol && e.port == port) return e.category;
    return kNone;
}

ResearchScannerList ResearchScannerList::parse(const std::string& text, const std::string& name) {
    ResearchScannerList r;
    for (auto& [line, cols] : tsv_rows(text)) {
        const std::string where = name + ":" + std::to_string(line);
        if (cols.size() < 3 || cols[2].empty())
            throw ConfigError(where + ": expected prefix-or-ASN<TAB>name<TAB>source (every entry needs its source)");
        if (cols[0].size() > 2 && (cols[0][0] == 'A' || cols[0][0] == 'a') && (cols[0][1] == 'S' || cols[0][1] == 's')) {
            const std::string digits = cols[0].substr(2);
            char* end = nullptr;
            const unsigned long long asn = std::strtoull(digits.c_str(), &end, 10);
            if (digits.empty() || *end || asn == 0 || asn > 4294967295ULL)
                throw ConfigError(where + ": '" + cols[0] + "' is not an AS number (AS1..AS4294967295)");
            r.entries_.push_back({Prefix(), static_cast<uint32_t>(asn), cols[1], cols[2]});
            continue;
        }
        std::string err;
        auto p = Prefix::parse(cols[0], &err);
        if (!p) throw ConfigError(where + ": " + err);
        r.entries_.push_back({*p, 0, cols[1], cols[2]});
    }
    return r;
}
ResearchScannerList ResearchScannerList::load(const std::string& path) { return parse(read_file(path), path); }
ResearchScannerList ResearchScannerList::builtin() {
    return parse(kDefaultResearchScannersTsv, "data/research-scanners.tsv");
}

const std::string* ResearchScannerList::match(const IpAddress& a, uint32_t asn) const {
    for (const auto& e : entries_)
        if (e.asn ? (asn != 0 && e.asn == asn) : e.prefix.contains(a)) return &e.name;
    return nullptr;
}

std::vector<InfectedHost> judge_infected_hosts(const std::vector<ScanEvent>& events, const PortTaxonomy& iot_ports,
                                               const ResearchScannerList& research, uint64_t* excluded,
                                               const std::vector<SourceDayRow>& fingerprinted,
                                               const std::function<uint32_t(const IpAddress&)>& asn_of) {
    // Research-list ASN entries need the source's origin AS; without a lookup they never match.
    auto is_research = [&](const IpAddress& a) { return research.match(a, asn_of ? asn_of(a) : 0) != nullptr; };
    std::map<std::pair<IpAddress, std::string>, InfectedHost> hosts;
    std::map<std::pair<IpAddress, std::string>, uint64_t> mirai_probes;
    std::map<IpAddress, bool> dropped;
    for (const ScanEvent& e : events) {
        if (is_research(e.src)) {
            dropped[e.src] = true;
            continue;
        }
        const bool mirai = e.fraction(kFpMirai) >= 0.5;
        const std::string& category = (e.protocol == 6 || e.protocol == 17) ? iot_ports.category(e.protocol, e.port)
                                                                              : iot_ports.category(0, 0);
        if (!mirai && category.empty()) continue;
        const std::string kind = mirai ? "mirai-fingerprint" : "iot-port-scan";
        InfectedHost& h = hosts[{e.src, kind}];
        if (h.packets == 0) {
            h.src = e.src;
            h.evidence = kind;
            h.confidence = mirai ? "high" : "medium";
            h.first_seen_ns = e.start_ns;
            h.last_seen_ns = e.end_ns;
        }
        h.first_seen_ns = std::min(h.first_seen_ns, e.start_ns);
        h.last_seen_ns = std::max(h.last_seen_ns, e.end_ns);
        h.packets += e.packets;
        mirai_probes[{e.src, kind}] += e.fingerprint_packets[kFpMirai];
        std::string port = std::string(e.protocol == 6 ? "tcp/" : "udp/") + std::to_string(e.port);
        if (!category.empty()) port += "(" + category + ")";
        if ((" " + h.ports + " ").find(" " + port + " ") == std::string::npos)
            h.ports += (h.ports.empty() ? "" : " ") + port;
    }
    // Mirai-fingerprinted SYNs below the scan thresholds still identify a Mirai bot.
    for (const SourceDayRow& r : fingerprinted) {
        const uint64_t mirai = r.fingerprints[kFpMirai];
        if (mirai < 2 || mirai * 10 < r.packets) continue;
        if (is_research(r.src)) {
            dropped[r.src] = true;
            continue;
        }
        const std::pair<IpAddress, std::string> key{r.src, "mirai-fingerprint"};
        auto it = hosts.find(key);
        if (it != hosts.end()) {  // already judged from its scan events: widen the time span only
            it->second.first_seen_ns = std::min(it->second.first_seen_ns, r.first_seen_ns);
            it->second.last_seen_ns = std::max(it->second.last_seen_ns, r.last_seen_ns);
            continue;
        }
        InfectedHost& h = hosts[key];
        h.src = r.src;
        h.evidence = "mirai-fingerprint";
        h.confidence = "high";
        h.first_seen_ns = r.first_seen_ns;
        h.last_seen_ns = r.last_seen_ns;
        h.packets = r.packets;
        mirai_probes[key] += mirai;
        // top_ports "tcp/23:9 tcp/2323:1" -> "tcp/23(telnet) tcp/2323(telnet)"
        std::istringstream in(r.top_ports);
        for (std::string tok; in >> tok;) {
            const std::string port = tok.substr(0, tok.find(':'));
            const auto slash = port.find('/');
            if (slash == std::string::npos) continue;
            const uint8_t proto = port.compare(0, slash, "udp") == 0 ? 17 : 6;
            const std::string& cat = iot_ports.category(proto, uint16_t(std::strtoul(port.c_str() + slash + 1, nullptr, 10)));
            h.ports += (h.ports.empty() ? "" : " ") + port + (cat.empty() ? "" : "(" + cat + ")");
        }
    }
    std::vector<InfectedHost> out;
    for (auto& [k, h] : hosts) {
        h.mirai_fraction = h.packets ? double(mirai_probes[k]) / double(h.packets) : 0;
        out.push_back(h);
    }
    if (excluded) *excluded = dropped.size();
    return out;
}

}  // namespace iotwatch

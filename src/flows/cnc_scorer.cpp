#include "flows/cnc_scorer.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "core/error.h"
#include "flows/beacon_signal.h"
#include "flows/co_occurrence_signal.h"
#include "flows/server_profile_signal.h"

namespace iotwatch {
namespace {

/// A flow seen from the conversation's side: which end is the server, and which way it went.
struct Oriented {
    IpAddress client, server;
    uint8_t protocol;
    uint16_t port;        // the server's
    bool to_server;       // client -> server
    size_t flow;          // index into the input
};

bool server_is_dst(const FlowRecord& f) {
    const bool s_low = f.sport < 1024, d_low = f.dport < 1024;
    if (d_low != s_low) return d_low;
    if (f.dport != f.sport) return f.dport < f.sport;
    return true;
}

}  // namespace

double CncCandidate::signal_score(const std::string& signal) const {
    for (const auto& s : signals)
        if (s.name == signal) return s.score;
    return 0;
}

double CncCandidate::field(const std::string& signal, const std::string& name) const {
    for (const auto& s : signals)
        if (s.name == signal)
            for (const auto& [k, v] : s.fields)
                if (k == name) return v;
    return 0;
}

CncScorer::CncScorer(CncSettings settings, PopularDestinations popular)
    : settings_(settings), popular_(std::move(popular)) {
    if (!(settings_.popular_share > 0 && settings_.popular_share <= 1)) throw ConfigError("--popular-share: must be in (0, 1]");
    signals_.push_back(std::make_unique<CoOccurrenceSignal>(settings_.min_seed_clients));
    signals_.push_back(std::make_unique<BeaconSignal>(settings_.beacon_threshold));
    signals_.push_back(std::make_unique<ServerProfileSignal>());
    weights_ = {settings_.w_co_occurrence, settings_.w_beacon, settings_.w_profile};
    double sum = 0;
    for (double w : weights_) {
        if (w < 0) throw ConfigError("C&C signal weights must be >= 0");
        sum += w;
    }
    if (sum <= 0) throw ConfigError("C&C signal weights must not all be 0");
    for (double& w : weights_) w /= sum;
}

CncResult CncScorer::score(const std::vector<FlowRecord>& flows, const std::set<IpAddress>& seeds) const {
    CncResult result;
    result.flows = flows.size();
    std::vector<Oriented> v;
    v.reserve(flows.size());
    for (size_t i = 0; i < flows.size(); ++i) {
        const FlowRecord& f = flows[i];
        if (f.protocol != 6 && f.protocol != 17) continue;
        const bool dst_server = server_is_dst(f);
        v.push_back(dst_server ? Oriented{f.src, f.dst, f.protocol, f.dport, true, i}
                               : Oriented{f.dst, f.src, f.protocol, f.sport, false, i});
    }
    result.oriented = v.size();
    // Group by server, then client, then time: one sort, no hash tables.
    std::sort(v.begin(), v.end(), [&](const Oriented& a, const Oriented& b) {
        return std::tie(a.server, a.protocol, a.port, a.client, flows[a.flow].start_ns, a.flow) <
               std::tie(b.server, b.protocol, b.port, b.client, flows[b.flow].start_ns, b.flow);
    });

    // Build the server days.
    std::vector<ServerDay> servers;
    std::vector<std::pair<int64_t, int64_t>> seen;  // first/last per server
    for (size_t i = 0; i < v.size();) {
        ServerDay s;
        s.server = v[i].server;
        s.protocol = v[i].protocol;
        s.port = v[i].port;
        int64_t first = INT64_MAX, last = INT64_MIN;
        size_t j = i;
        while (j < v.size() && v[j].server == s.server && v[j].protocol == s.protocol && v[j].port == s.port) {
            ClientConversation c;
            c.client = v[j].client;
            c.seed = seeds.count(c.client) > 0;
            bool ack = false;
            for (; j < v.size() && v[j].server == s.server && v[j].protocol == s.protocol && v[j].port == s.port &&
                   v[j].client == c.client;
                 ++j) {
                const FlowRecord& f = flows[v[j].flow];
                first = std::min(first, f.start_ns);
                last = std::max(last, f.end_ns);
                if (v[j].to_server) {
                    c.starts_ns.push_back(f.start_ns);
                    c.octets.push_back(f.octets);
                    if (f.tcp_flags & 0x10) ack = true;
                } else {
                    ++c.reverse_flows;
                }
            }
            c.completed = c.reverse_flows > 0 && !c.starts_ns.empty() && (s.protocol != 6 || ack);
            s.clients.push_back(std::move(c));
        }
        servers.push_back(std::move(s));
        seen.emplace_back(first, last);
        i = j;
    }
    result.servers = servers.size();

    // Popular servers: listed, or reached by too large a share of the day's clients.
    std::vector<IpAddress> all_clients;
    for (const auto& s : servers)
        for (const auto& c : s.clients) all_clients.push_back(c.client);
    std::sort(all_clients.begin(), all_clients.end());
    const uint64_t distinct_clients = uint64_t(std::unique(all_clients.begin(), all_clients.end()) - all_clients.begin());
    std::vector<bool> popular(servers.size(), false);
    for (size_t i = 0; i < servers.size(); ++i) {
        const auto& s = servers[i];
        popular[i] = popular_.match(s.server, s.protocol, s.port) != nullptr ||
                     (s.clients.size() >= 20 && double(s.clients.size()) > settings_.popular_share * double(distinct_clients));
        if (popular[i]) ++result.popular_excluded;
    }
    // Totals for co-occurrence: distinct clients (and seeds) with a completed session to a
    // server that is not popular.
    std::vector<std::pair<IpAddress, bool>> completed;
    for (size_t i = 0; i < servers.size(); ++i)
        if (!popular[i])
            for (const auto& c : servers[i].clients)
                if (c.completed) completed.emplace_back(c.client, c.seed);
    std::sort(completed.begin(), completed.end());
    completed.erase(std::unique(completed.begin(), completed.end()), completed.end());
    result.totals.clients = completed.size();
    for (const auto& [a, seed] : completed) result.totals.seed_clients += seed;

    for (size_t i = 0; i < servers.size(); ++i) {
        if (popular[i]) continue;
        const ServerDay& s = servers[i];
        CncCandidate cand;
        cand.server = s.server;
        cand.protocol = s.protocol;
        cand.port = s.port;
        cand.clients = s.clients.size();
        for (const auto& c : s.clients) cand.seed_clients += c.seed;
        cand.first_seen_ns = seen[i].first;
        cand.last_seen_ns = seen[i].second;
        for (size_t k = 0; k < signals_.size(); ++k) {
            SignalScore sc = signals_[k]->score(s, result.totals);
            cand.score += weights_[k] * sc.score;
            cand.signals.push_back({signals_[k]->name(), sc.score, std::move(sc.fields)});
        }
        if (cand.score > 0) result.candidates.push_back(std::move(cand));
    }
    std::sort(result.candidates.begin(), result.candidates.end(), [](const CncCandidate& a, const CncCandidate& b) {
        if (a.score != b.score) return a.score > b.score;
        return std::tie(a.server, a.protocol, a.port) < std::tie(b.server, b.protocol, b.port);
    });
    return result;
}

std::string format_cnc_evidence(const CncCandidate& c) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s/%u score %.2f clients %llu seeds %llu", c.protocol == 6 ? "tcp" : "udp",
                  unsigned(c.port), c.score, (unsigned long long)c.clients, (unsigned long long)c.seed_clients);
    return buf;
}

std::optional<CncEvidenceDetail> parse_cnc_evidence(const std::string& detail) {
    char proto[4] = {};
    unsigned port = 0;
    unsigned long long clients = 0, seeds = 0;
    double score = 0;
    if (std::sscanf(detail.c_str(), "%3[a-z]/%u score %lf clients %llu seeds %llu", proto, &port, &score, &clients, &seeds) != 5)
        return std::nullopt;
    const std::string p = proto;
    if ((p != "tcp" && p != "udp") || port > 65535 || !(score >= 0 && score <= 1)) return std::nullopt;
    return CncEvidenceDetail{uint8_t(p == "tcp" ? 6 : 17), uint16_t(port), score, clients, seeds};
}

}  // namespace iotwatch

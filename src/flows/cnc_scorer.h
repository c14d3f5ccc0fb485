// CncScorer: ranks a day's likely C&C servers from flow records (headers only) and the day's seed
// hosts (known infected: telescope judgements, survey findings, partner feeds). Each flow is
// oriented client -> server (the server is the side with a port below 1024 when the other is not,
// else the lower port; ICMP is left out); conversations are grouped per server (address, protocol,
// port) and client; popular servers are excluded (PopularDestinations, and any server reached by
// more than `popular_share` of the day's clients, with at least 20 clients); each CncSignal
// scores every remaining server and the weighted sum ranks them. Every signal's score and fields
// travel with the candidate as its evidence.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <set>
#include <vector>

#include "flows/cnc_signal.h"
#include "flows/flow_record.h"
#include "flows/popular_destinations.h"

namespace iotwatch {

struct CncSettings {
    double popular_share = 0.2;    // a server with more of the day's clients than this is popular
    uint32_t min_seed_clients = 2; // co-occurrence needs at least this many seed clients
    double beacon_threshold = 0.8; // a client pair at or above this is "beaconing"
    // Weights of the signals (co_occurrence, beacon, server_profile): the combined score.
    double w_co_occurrence = 0.5, w_beacon = 0.3, w_profile = 0.2;
};

struct CncCandidate {
    IpAddress server;
    uint8_t protocol = 0;
    uint16_t port = 0;
    double score = 0;          // weighted sum of the signals, [0, 1]
    uint64_t clients = 0;      // distinct clients
    uint64_t seed_clients = 0; // ... known infected
    int64_t first_seen_ns = 0, last_seen_ns = 0;
    struct Signal {
        std::string name;
        double score = 0;
        std::vector<std::pair<std::string, double>> fields;
    };
    std::vector<Signal> signals;

    /// A signal's score, or one of its fields by name; 0 when absent.
    double signal_score(const std::string& signal) const;
    double field(const std::string& signal, const std::string& name) const;
};

struct CncResult {
    std::vector<CncCandidate> candidates;  // by score, descending (then server, port)
    uint64_t flows = 0, oriented = 0;      // flows read, flows used (TCP/UDP)
    uint64_t servers = 0, popular_excluded = 0;
    DayTotals totals;
};

/// How a recorded candidate travels as partner-style evidence (feed "cnc-scoring"): the detail
/// text "tcp/6667 score 0.85 clients 40 seeds 30", written and read only here.
struct CncEvidenceDetail {
    uint8_t protocol = 0;
    uint16_t port = 0;
    double score = 0;
    uint64_t clients = 0, seed_clients = 0;
};
std::string format_cnc_evidence(const CncCandidate& c);
std::optional<CncEvidenceDetail> parse_cnc_evidence(const std::string& detail);
inline constexpr const char* kCncEvidenceFeed = "cnc-scoring";

class CncScorer {
public:
    CncScorer(CncSettings settings, PopularDestinations popular);
    /// Scores every non-popular server; `seeds` are the known infected hosts.
    CncResult score(const std::vector<FlowRecord>& flows, const std::set<IpAddress>& seeds) const;
    const std::vector<std::unique_ptr<CncSignal>>& signals() const { return signals_; }

private:
    CncSettings settings_;
    PopularDestinations popular_;
    std::vector<std::unique_ptr<CncSignal>> signals_;
    std::vector<double> weights_;
};

}  // namespace iotwatch

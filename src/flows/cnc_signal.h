// CncSignal: one statistical signal of C&C scoring (DOMAIN.md section 4), computed from flow
// headers only (addresses, ports, times, counts; never payload). Like ZMap's modules: a named
// entry with its declared evidence fields and one function; the scorer (cnc_scorer.h) holds the
// list, runs each signal on every server of the day and combines the scores.
//
// Contract: score() sees one server's day (ServerDay) and the day's totals (DayTotals); it returns
// a score in [0, 1] (0: no sign of C&C) and a value for each of its declared fields. It never
// throws on odd data (empty vectors, equal timestamps); it has no state between calls.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/ip_address.h"

namespace iotwatch {

/// One client's conversation with one server over the day.
struct ClientConversation {
    IpAddress client;
    bool seed = false;                 // the client is a known infected host (telescope, survey, feeds)
    std::vector<int64_t> starts_ns;    // client->server flow starts, ascending
    std::vector<uint64_t> octets;      // client->server flow sizes, in the same order
    uint32_t reverse_flows = 0;        // server->client flows seen
    bool completed = false;            // flows both ways (TCP: and the client's flow carried an ACK)
};

/// One server (address, protocol, port) and every client that talked to it that day.
struct ServerDay {
    IpAddress server;
    uint8_t protocol = 0;
    uint16_t port = 0;
    std::vector<ClientConversation> clients;
};

/// The day's totals the co-occurrence test needs (over servers that are not popular).
struct DayTotals {
    uint64_t clients = 0;       // distinct clients with a completed session
    uint64_t seed_clients = 0;  // ... of which seeds
};

struct SignalScore {
    double score = 0;                                     // [0, 1]
    std::vector<std::pair<std::string, double>> fields;   // the signal's declared fields, in order
};

class CncSignal {
public:
    virtual ~CncSignal() = default;
    virtual const char* name() const = 0;
    virtual std::vector<std::string> fields() const = 0;
    virtual SignalScore score(const ServerDay& server, const DayTotals& day) const = 0;
};

/// Robust statistics the signals share.
double median(std::vector<double> v);
/// Bowley (quartile) skewness in [-1, 1]; 0 for fewer than 3 values or no spread.
double bowley_skew(std::vector<double> v);
/// Median absolute deviation from the median.
double median_abs_deviation(const std::vector<double>& v);

}  // namespace iotwatch

// BeaconSignal: periodic client->server connections, scored as RITA v5 does (DOMAIN.md 4) from
// headers only: per client with >= 4 connections, the inter-arrival times' Bowley skew and
// median absolute deviation, the share of the day's hours with a connection, and the same skew and
// MAD over the flow sizes plus their smallness. Timing and size scores are averaged; the server's
// score is its best client's.
#pragma once
#include "flows/cnc_signal.h"

namespace iotwatch {

class BeaconSignal final : public CncSignal {
public:
    explicit BeaconSignal(double beacon_threshold = 0.8) : threshold_(beacon_threshold) {}
    const char* name() const override { return "beacon"; }
    std::vector<std::string> fields() const override {
        return {"best_pair_score", "beaconing_clients", "best_interval_s", "best_connections"};
    }
    SignalScore score(const ServerDay& server, const DayTotals& day) const override;

    /// One client's beacon score in [0, 1] (0 with fewer than 4 connections).
    static double pair_score(const ClientConversation& c, double* interval_s = nullptr);

private:
    double threshold_;
};

}  // namespace iotwatch

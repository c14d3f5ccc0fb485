// ServerProfileSignal: server-side flow statistics in the spirit of DISCLOSURE (Bilge et al.,
// ACSAC 2012), without its trained classifier (no labelled flows here): C&C servers answer many
// clients with small, similar messages at regular times, and dead or sinkholed ones leave client
// flows unanswered. Scored as the mean of: 1 - min(1, flow-size coefficient of variation), the
// lag-1 autocorrelation of sizes in arrival order (>= 0), 1 - min(1, coefficient of variation of
// the server's inter-arrival times over all clients), and the share of unmatched client flows.
// Needs >= 4 flows.
#pragma once
#include "flows/cnc_signal.h"

namespace iotwatch {

class ServerProfileSignal final : public CncSignal {
public:
    const char* name() const override { return "server_profile"; }
    std::vector<std::string> fields() const override {
        return {"flows", "size_mean", "size_cv", "size_autocorr", "interarrival_cv", "unmatched_share"};
    }
    SignalScore score(const ServerDay& server, const DayTotals& day) const override;
};

}  // namespace iotwatch

// CoOccurrenceSignal: a server that completed sessions with many seed hosts (known infected)
// relative to its other clients. Among the day's N clients with a completed session, K are seeds;
// the server has n such clients, k of them seeds. Under "clients pick servers independently of
// being infected", k follows a hypergeometric law: the signal is its upper tail P(X >= k), scored
// min(1, -log10(p) / 6) (p = 1e-6 scores 1), and 0 below `min_seed_clients` seeds.
#pragma once
#include "flows/cnc_signal.h"

namespace iotwatch {

class CoOccurrenceSignal final : public CncSignal {
public:
    explicit CoOccurrenceSignal(uint32_t min_seed_clients = 2) : min_seed_clients_(min_seed_clients) {}
    const char* name() const override { return "co_occurrence"; }
    std::vector<std::string> fields() const override { return {"seed_clients", "clients", "p_value"}; }
    SignalScore score(const ServerDay& server, const DayTotals& day) const override;

    /// P(X >= k) for X ~ Hypergeometric(N population, K successes, n draws).
    static double upper_tail(uint64_t N, uint64_t K, uint64_t n, uint64_t k);

private:
    uint32_t min_seed_clients_;
};

}  // namespace iotwatch

#include "flows/beacon_signal.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace iotwatch {

double BeaconSignal::pair_score(const ClientConversation& c, double* interval_s) {
    if (c.starts_ns.size() < 4) return 0;
    std::vector<double> deltas;
    for (size_t i = 1; i < c.starts_ns.size(); ++i) deltas.push_back(double(c.starts_ns[i] - c.starts_ns[i - 1]) / 1e9);
    const double mid = median(deltas);
    if (interval_s) *interval_s = mid;
    if (mid <= 0) return 0;  // bursts in the same instant are not beacons
    const double ts_skew = 1 - std::fabs(bowley_skew(deltas));
    const double ts_mad = std::max(0.0, 1 - median_abs_deviation(deltas) / mid);
    std::set<int64_t> hours;
    for (int64_t t : c.starts_ns) hours.insert(t / 3'600'000'000'000LL);
    // Hours covered, relative to the hours the conversation could cover at its interval.
    const double span_hours = std::max(1.0, double(c.starts_ns.back() - c.starts_ns.front()) / 3.6e12 + 1);
    const double ts_hours = std::min(1.0, double(hours.size()) / std::min(24.0, span_hours));
    const double ts_score = (ts_skew + ts_mad + ts_hours) / 3;

    std::vector<double> sizes(c.octets.begin(), c.octets.end());
    const double size_mid = median(sizes);
    const double ds_skew = 1 - std::fabs(bowley_skew(sizes));
    const double ds_mad = size_mid > 0 ? std::max(0.0, 1 - median_abs_deviation(sizes) / size_mid) : 0;
    const double ds_small = std::max(0.0, 1 - size_mid / 65535.0);
    const double ds_score = (ds_skew + ds_mad + ds_small) / 3;
    return (ts_score + ds_score) / 2;
}

SignalScore BeaconSignal::score(const ServerDay& server, const DayTotals&) const {
    double best = 0, best_interval = 0;
    size_t best_n = 0, beaconing = 0;
    for (const auto& c : server.clients) {
        double interval = 0;
        const double s = pair_score(c, &interval);
        if (s >= threshold_) ++beaconing;
        if (s > best) {
            best = s;
            best_interval = interval;
            best_n = c.starts_ns.size();
        }
    }
    SignalScore out;
    out.score = best;
    out.fields = {{"best_pair_score", best}, {"beaconing_clients", double(beaconing)},
                  {"best_interval_s", best_interval}, {"best_connections", double(best_n)}};
    return out;
}

}  // namespace iotwatch

#include "flows/server_profile_signal.h"

#include <algorithm>
#include <cmath>

namespace iotwatch {
namespace {

void mean_sd(const std::vector<double>& v, double& mean, double& sd) {
    mean = sd = 0;
    if (v.empty()) return;
    for (double x : v) mean += x;
    mean /= double(v.size());
    for (double x : v) sd += (x - mean) * (x - mean);
    sd = std::sqrt(sd / double(v.size()));
}

}  // namespace

SignalScore ServerProfileSignal::score(const ServerDay& server, const DayTotals&) const {
    std::vector<std::pair<int64_t, double>> flows;  // (start, size) over every client
    uint64_t unmatched = 0, total = 0;
    for (const auto& c : server.clients) {
        for (size_t i = 0; i < c.starts_ns.size(); ++i) flows.emplace_back(c.starts_ns[i], double(c.octets[i]));
        total += c.starts_ns.size();
        if (c.starts_ns.size() > c.reverse_flows) unmatched += c.starts_ns.size() - c.reverse_flows;
    }
    SignalScore s;
    std::sort(flows.begin(), flows.end());
    std::vector<double> sizes, gaps;
    for (size_t i = 0; i < flows.size(); ++i) {
        sizes.push_back(flows[i].second);
        if (i) gaps.push_back(double(flows[i].first - flows[i - 1].first) / 1e9);
    }
    double size_mean, size_sd, gap_mean, gap_sd;
    mean_sd(sizes, size_mean, size_sd);
    mean_sd(gaps, gap_mean, gap_sd);
    const double size_cv = size_mean > 0 ? size_sd / size_mean : 0;
    const double gap_cv = gap_mean > 0 ? gap_sd / gap_mean : 1;
    double autocorr = 0;
    if (sizes.size() >= 3 && size_sd > 0) {
        double num = 0;
        for (size_t i = 1; i < sizes.size(); ++i) num += (sizes[i] - size_mean) * (sizes[i - 1] - size_mean);
        autocorr = num / (double(sizes.size() - 1) * size_sd * size_sd);
    } else if (sizes.size() >= 3) {
        autocorr = 1;  // every message the same size
    }
    const double unmatched_share = total ? double(unmatched) / double(total) : 0;
    if (flows.size() >= 4)
        s.score = (1 - std::min(1.0, size_cv) + std::clamp(autocorr, 0.0, 1.0) + 1 - std::min(1.0, gap_cv) + unmatched_share) / 4;
    s.fields = {{"flows", double(flows.size())}, {"size_mean", size_mean}, {"size_cv", size_cv},
                {"size_autocorr", autocorr}, {"interarrival_cv", gap_cv}, {"unmatched_share", unmatched_share}};
    return s;
}

}  // namespace iotwatch

#include "flows/co_occurrence_signal.h"

#include <algorithm>
#include <cmath>

namespace iotwatch {
namespace {

double log_choose(uint64_t n, uint64_t k) {
    return std::lgamma(double(n) + 1) - std::lgamma(double(k) + 1) - std::lgamma(double(n - k) + 1);
}

}  // namespace

double CoOccurrenceSignal::upper_tail(uint64_t N, uint64_t K, uint64_t n, uint64_t k) {
    if (N == 0 || n > N || K > N) return 1;
    const uint64_t lo = std::max<uint64_t>(k, n + K > N ? n + K - N : 0), hi = std::min(n, K);
    if (lo > hi) return k == 0 ? 1 : 0;
    const double denom = log_choose(N, n);
    // log-sum-exp over the tail terms
    double top = -INFINITY;
    std::vector<double> terms;
    for (uint64_t i = lo; i <= hi; ++i) {
        terms.push_back(log_choose(K, i) + log_choose(N - K, n - i) - denom);
        top = std::max(top, terms.back());
    }
    double sum = 0;
    for (double t : terms) sum += std::exp(t - top);
    return std::min(1.0, std::exp(top) * sum);
}

SignalScore CoOccurrenceSignal::score(const ServerDay& server, const DayTotals& day) const {
    uint64_t n = 0, k = 0;
    for (const auto& c : server.clients) {
        if (!c.completed) continue;
        ++n;
        if (c.seed) ++k;
    }
    const double p = k == 0 ? 1.0 : upper_tail(day.clients, day.seed_clients, n, k);
    SignalScore s;
    if (k >= min_seed_clients_ && p > 0) s.score = std::clamp(-std::log10(p) / 6.0, 0.0, 1.0);
    else if (k >= min_seed_clients_) s.score = 1;
    s.fields = {{"seed_clients", double(k)}, {"clients", double(n)}, {"p_value", p}};
    return s;
}

}  // namespace iotwatch

#include <algorithm>
#include <cmath>

#include "flows/cnc_signal.h"

namespace iotwatch {
namespace {

/// Linear-interpolated quantile of a sorted vector.
double quantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0;
    const double pos = q * double(sorted.size() - 1);
    const size_t i = size_t(pos);
    const double frac = pos - double(i);
    return i + 1 < sorted.size() ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[i];
}

}  // namespace

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return quantile(v, 0.5);
}

double bowley_skew(std::vector<double> v) {
    if (v.size() < 3) return 0;
    std::sort(v.begin(), v.end());
    const double q1 = quantile(v, 0.25), q2 = quantile(v, 0.5), q3 = quantile(v, 0.75);
    // No spread (or a median on a quartile) is no skew: a perfectly regular series.
    if (q3 - q1 <= 0 || q2 == q1 || q2 == q3) return 0;
    return std::clamp((q1 + q3 - 2 * q2) / (q3 - q1), -1.0, 1.0);
}

double median_abs_deviation(const std::vector<double>& v) {
    if (v.empty()) return 0;
    const double m = median(v);
    std::vector<double> d;
    d.reserve(v.size());
    for (double x : v) d.push_back(std::fabs(x - m));
    return median(std::move(d));
}

}  // namespace iotwatch

#include "detect/ddos_features.h"

#include <algorithm>
#include <cmath>

#include "core/byte_buffer.h"
#include "core/timestamp.h"

namespace iotwatch {
namespace {

struct Stats {
    double mean = 0, sd = 0;
};
Stats stats(const std::vector<double>& v) {
    Stats s;
    if (v.empty()) return s;
    for (double x : v) s.mean += x;
    s.mean /= double(v.size());
    for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(s.sd / double(v.size()));
    return s;
}
/// Counts per key as doubles (the "packets per X" distributions).
template <typename K>
std::vector<double> per_key(const std::vector<K>& keys) {
    std::map<K, double> m;
    for (const K& k : keys) m[k] += 1;
    std::vector<double> out;
    for (auto& [k, n] : m) out.push_back(n);
    return out;
}

}  // namespace

const char* DdosFeatureExtractor::feature_name(size_t i) {
    static const char* const kNames[kDdosFeatureCount] = {
        "packets",          "ipt_mean",          "ipt_sd",           "src_ports",       "pkts_per_sport_mean",
        "pkts_per_sport_sd", "dst_ips",          "pkts_per_dst_mean", "pkts_per_dst_sd", "dst_ports",
        "pkts_per_dport_mean", "pkts_per_dport_sd", "protocols",      "payload_mean",    "payload_sd",
        "dst_gap_mean",     "dst_gap_sd"};
    return i < kDdosFeatureCount ? kNames[i] : "?";
}

void DdosFeatureExtractor::add(const DecodedPacket& p, const std::function<void(const SourceWindow&)>& out) {
    const int64_t w = bin_start_seconds(p.ts_ns, window_s_);
    if (window_start_ == INT64_MIN) window_start_ = w;
    if (w > window_start_) {
        emit(out);
        window_start_ = w;
    }
    by_source_[p.src].push_back({p.ts_ns, p.dst.is_v4() ? p.dst.v4_value() : uint32_t(p.dst.hash()), p.sport, p.dport,
                                 uint16_t(std::min<uint32_t>(p.payload_len, 65535)), p.protocol});
}

void DdosFeatureExtractor::finish(const std::function<void(const SourceWindow&)>& out) { emit(out); }

void DdosFeatureExtractor::expire(int64_t now_ns, const std::function<void(const SourceWindow&)>& out) {
    if (window_start_ == INT64_MIN || bin_start_seconds(now_ns, window_s_) <= window_start_) return;
    emit(out);
    window_start_ = INT64_MIN;
}

void DdosFeatureExtractor::serialize(ByteWriter& w) const {
    w.put(window_start_);
    w.put<uint64_t>(by_source_.size());
    for (const auto& [src, pkts] : by_source_) {
        w.put(src.hi());
        w.put(src.lo());
        w.put_vector(pkts);
    }
}

void DdosFeatureExtractor::restore(ByteReader& r) {
    by_source_.clear();
    window_start_ = r.get<int64_t>();
    const uint64_t n = r.get<uint64_t>();
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t hi = r.get<uint64_t>(), lo = r.get<uint64_t>();
        auto pkts = r.get_vector<Pkt>();
        if (pkts.empty()) r.fail("feature window holds a source without packets");
        by_source_[IpAddress::from_halves(hi, lo)] = std::move(pkts);
    }
}

void DdosFeatureExtractor::emit(const std::function<void(const SourceWindow&)>& out) {
    for (auto& [src, pkts] : by_source_) {
        if (pkts.size() < min_packets_) continue;
        std::sort(pkts.begin(), pkts.end(), [](const Pkt& a, const Pkt& b) { return a.ts_ns < b.ts_ns; });
        SourceWindow sw;
        sw.src = src;
        sw.window_start_s = window_start_;
        auto& f = sw.features;
        std::vector<double> ipt, payload;
        std::vector<uint16_t> sports, dports;
        std::vector<uint32_t> dsts;
        std::vector<uint8_t> protos;
        for (size_t i = 0; i < pkts.size(); ++i) {
            if (i) ipt.push_back(double(pkts[i].ts_ns - pkts[i - 1].ts_ns) / 1e9);
            payload.push_back(pkts[i].payload);
            sports.push_back(pkts[i].sport);
            dports.push_back(pkts[i].dport);
            dsts.push_back(pkts[i].dst);
            protos.push_back(pkts[i].proto);
        }
        const auto ps = per_key(sports), pd = per_key(dsts), pp = per_key(dports), pr = per_key(protos);
        std::vector<uint32_t> udst = dsts;
        std::sort(udst.begin(), udst.end());
        udst.erase(std::unique(udst.begin(), udst.end()), udst.end());
        std::vector<double> gaps;
        for (size_t i = 1; i < udst.size(); ++i) gaps.push_back(double(udst[i] - udst[i - 1]));
        const Stats si = stats(ipt), sps = stats(ps), spd = stats(pd), spp = stats(pp), spl = stats(payload),
                    sg = stats(gaps);
        f = {double(pkts.size()), si.mean,  si.sd,      double(ps.size()), sps.mean, sps.sd,
             double(pd.size()),   spd.mean, spd.sd,     double(pp.size()), spp.mean, spp.sd,
             double(pr.size()),   spl.mean, spl.sd,     sg.mean,           sg.sd};
        out(sw);
    }
    by_source_.clear();
}

}  // namespace iotwatch

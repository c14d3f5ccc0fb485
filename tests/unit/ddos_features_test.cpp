#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "core/byte_buffer.h"
#include "core/error.h"
#include "detect/ddos_features.h"

using namespace iotwatch;

TEST(DdosFeatures, SeventeenFeaturesOfOneWindow) {
    DdosFeatureExtractor fx(600, 1);
    std::vector<SourceWindow> out;
    auto keep = [&](const SourceWindow& w) { out.push_back(w); };
    auto pkt = [](int64_t s, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto, uint32_t payload) {
        DecodedPacket p;
        p.ts_ns = s * 1000000000LL;
        p.src = IpAddress::v4(0x05060708);
        p.dst = IpAddress::v4(dst);
        p.sport = sport;
        p.dport = dport;
        p.protocol = proto;
        p.payload_len = payload;
        return p;
    };
    // Times 0, 2, 4, 6: inter-packet 2 s; dsts 10, 10, 14, 20 -> unique 10, 14, 20, gaps 4, 6.
    fx.add(pkt(0, 10, 80, 1000, 6, 0), keep);
    fx.add(pkt(2, 10, 80, 1001, 6, 0), keep);
    fx.add(pkt(4, 14, 443, 1002, 6, 10), keep);
    fx.add(pkt(6, 20, 80, 1003, 17, 10), keep);
    EXPECT_TRUE(out.empty());
    fx.add(pkt(700, 99, 1, 1, 6, 0), keep);  // next window: the first is emitted
    ASSERT_EQ(out.size(), 1u);
    const auto& f = out[0].features;
    EXPECT_EQ(f[0], 4);                        // packets
    EXPECT_DOUBLE_EQ(f[1], 2.0);               // inter-packet mean
    EXPECT_DOUBLE_EQ(f[2], 0.0);               // inter-packet sd
    EXPECT_EQ(f[3], 2);                        // source ports 80, 443
    EXPECT_DOUBLE_EQ(f[4], 2.0);               // packets per source port: 3, 1
    EXPECT_DOUBLE_EQ(f[5], 1.0);
    EXPECT_EQ(f[6], 3);                        // destination IPs
    EXPECT_NEAR(f[7], 4.0 / 3.0, 1e-12);
    EXPECT_EQ(f[9], 4);                        // destination ports
    EXPECT_DOUBLE_EQ(f[10], 1.0);
    EXPECT_EQ(f[12], 2);                       // protocols
    EXPECT_DOUBLE_EQ(f[13], 5.0);              // payload mean
    EXPECT_DOUBLE_EQ(f[14], 5.0);              // payload sd
    EXPECT_DOUBLE_EQ(f[15], 5.0);              // destination gaps 4, 6
    EXPECT_DOUBLE_EQ(f[16], 1.0);
    EXPECT_STREQ(DdosFeatureExtractor::feature_name(16), "dst_gap_sd");
}

namespace {

DecodedPacket random_packet(std::mt19937_64& rng, int64_t window_start_s, uint32_t dst_range = 300) {
    DecodedPacket p;
    // 40 sources, a few of them busy; timestamps somewhat out of order; repeated keys.
    const uint32_t source = (rng() % 4 == 0) ? uint32_t(rng() % 3) : uint32_t(rng() % 40);
    p.src = IpAddress::v4(0x0A000000u + source * 7919u);
    p.ts_ns = window_start_s * 1000000000LL + int64_t(rng() % 600000) * 1000000LL;
    p.dst = IpAddress::v4(0xC6120000u + uint32_t(rng() % dst_range));
    p.sport = uint16_t(1024 + rng() % 20);
    p.dport = uint16_t(rng() % 3 == 0 ? 23 : rng() % 50);
    p.protocol = rng() % 5 == 0 ? 17 : 6;
    p.payload_len = uint32_t(rng() % 3 == 0 ? 0 : rng() % 1500);
    return p;
}

/// The features as the first, plain implementation computed them (std::map per source and per
/// key, packets sorted by time): the reference the flat-table version must match.
std::map<IpAddress, DdosFeatureVector> reference_features(const std::vector<DecodedPacket>& pkts, size_t min_packets) {
    std::map<IpAddress, std::vector<DecodedPacket>> by_source;
    for (const auto& p : pkts) by_source[p.src].push_back(p);
    auto stats = [](const std::vector<double>& v) {
        double mean = 0, sd = 0;
        if (v.empty()) return std::pair{0.0, 0.0};
        for (double x : v) mean += x;
        mean /= double(v.size());
        for (double x : v) sd += (x - mean) * (x - mean);
        return std::pair{mean, std::sqrt(sd / double(v.size()))};
    };
    auto per_key = [](auto key, const std::vector<DecodedPacket>& v) {
        std::map<uint32_t, double> m;
        for (const auto& p : v) m[key(p)] += 1;
        std::vector<double> out;
        for (auto& [k, n] : m) out.push_back(n);
        return out;
    };
    std::map<IpAddress, DdosFeatureVector> out;
    for (auto& [src, v] : by_source) {
        if (v.size() < min_packets) continue;
        std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.ts_ns < b.ts_ns; });
        std::vector<double> ipt, payload;
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) ipt.push_back(double(v[i].ts_ns - v[i - 1].ts_ns) / 1e9);
            payload.push_back(double(v[i].payload_len));
        }
        const auto ps = per_key([](const DecodedPacket& p) { return uint32_t(p.sport); }, v);
        const auto pd = per_key([](const DecodedPacket& p) { return p.dst.v4_value(); }, v);
        const auto pp = per_key([](const DecodedPacket& p) { return uint32_t(p.dport); }, v);
        const auto pr = per_key([](const DecodedPacket& p) { return uint32_t(p.protocol); }, v);
        std::set<uint32_t> dsts;
        for (const auto& p : v) dsts.insert(p.dst.v4_value());
        std::vector<double> gaps;
        for (auto it = dsts.begin(); it != dsts.end() && std::next(it) != dsts.end(); ++it)
            gaps.push_back(double(*std::next(it) - *it));
        const auto si = stats(ipt), sps = stats(ps), spd = stats(pd), spp = stats(pp), spl = stats(payload), sg = stats(gaps);
        out[src] = {double(v.size()), si.first,  si.second, double(ps.size()), sps.first, sps.second,
                    double(pd.size()), spd.first, spd.second, double(pp.size()), spp.first, spp.second,
                    double(pr.size()), spl.first, spl.second, sg.first,          sg.second};
    }
    return out;
}

}  // namespace

// The same bits, not only close values: the extractor computes each mean and sd with the same
// operations in the same order (or, for sums of whole numbers, a sum that is exact either way).
// Destinations from 300 addresses (repeats) and from 2^24 (almost all distinct, as a scanner's).
TEST(DdosFeatures, MatchTheStraightforwardComputationOnRandomWindows) {
    std::mt19937_64 rng(7);
    DdosFeatureExtractor fx(600, 5);
    std::vector<SourceWindow> out;
    auto keep = [&](const SourceWindow& w) { out.push_back(w); };
    for (int64_t window : {0, 600, 1800, 3000}) {
        std::vector<DecodedPacket> pkts;
        for (int i = 0; i < 3000; ++i) pkts.push_back(random_packet(rng, window, window == 3000 ? 1u << 24 : 300));
        out.clear();
        for (const auto& p : pkts) fx.add(p, keep);
        fx.finish(keep);
        const auto want = reference_features(pkts, 5);
        ASSERT_EQ(out.size(), want.size());
        auto it = want.begin();
        for (const auto& w : out) {  // emitted in address order, as the map iterates
            EXPECT_EQ(w.src, it->first);
            EXPECT_EQ(w.window_start_s, window);
            for (size_t f = 0; f < kDdosFeatureCount; ++f)
                EXPECT_EQ(w.features[f], it->second[f])
                    << DdosFeatureExtractor::feature_name(f) << " of " << w.src.to_string();
            ++it;
        }
    }
}

TEST(DdosFeatures, CheckpointInsideAWindowChangesNothing) {
    std::mt19937_64 rng(11);
    std::vector<DecodedPacket> pkts;
    for (int i = 0; i < 2000; ++i) pkts.push_back(random_packet(rng, 0));
    for (int i = 0; i < 2000; ++i) pkts.push_back(random_packet(rng, 600));
    auto run = [&](size_t cut) {
        std::vector<SourceWindow> out;
        auto keep = [&](const SourceWindow& w) { out.push_back(w); };
        DdosFeatureExtractor first(600, 5);
        for (size_t i = 0; i < cut; ++i) first.add(pkts[i], keep);
        ByteWriter w;
        first.serialize(w);
        DdosFeatureExtractor second(600, 5);
        ByteReader r(w.data(), "test state");
        second.restore(r);
        for (size_t i = cut; i < pkts.size(); ++i) second.add(pkts[i], keep);
        second.finish(keep);
        return out;
    };
    const auto whole = run(0);
    ASSERT_GT(whole.size(), 10u);
    for (size_t cut : {size_t(1), size_t(999), size_t(2000), size_t(3500)}) {
        const auto resumed = run(cut);
        ASSERT_EQ(resumed.size(), whole.size()) << "cut at " << cut;
        for (size_t i = 0; i < whole.size(); ++i) {
            EXPECT_EQ(resumed[i].src, whole[i].src);
            EXPECT_EQ(resumed[i].window_start_s, whole[i].window_start_s);
            EXPECT_EQ(resumed[i].features, whole[i].features) << "cut at " << cut << ", window " << i;
        }
    }
}

TEST(DdosFeatures, DamagedCheckpointIsRefused) {
    DdosFeatureExtractor fx(600, 1);
    ByteWriter w;
    w.put<int64_t>(0);
    w.put<uint64_t>(1);  // one source ...
    w.put<uint64_t>(0);
    w.put<uint64_t>(0x0A000001);
    w.put<uint64_t>(0);  // ... without packets
    ByteReader r(w.data(), "test state");
    EXPECT_THROW(fx.restore(r), InputError);
}

TEST(DdosFeatures, TheAllOnesAddressIsASourceLikeAnyOther) {
    // The flat table reserves ffff:...:ffff as its empty key; that source is kept apart.
    DdosFeatureExtractor fx(600, 2);
    std::vector<SourceWindow> out;
    auto keep = [&](const SourceWindow& w) { out.push_back(w); };
    for (uint64_t hi : {~0ULL, 0x20010db800000000ULL})
        for (int i = 0; i < 3; ++i) {
            DecodedPacket p;
            p.ts_ns = int64_t(i) * 1000000000LL;
            p.src = IpAddress::from_halves(hi, ~0ULL);
            p.dst = IpAddress::v4(0xC6120001u + uint32_t(i));
            p.protocol = 6;
            fx.add(p, keep);
        }
    fx.finish(keep);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].src, IpAddress::from_halves(~0ULL, ~0ULL));  // address order: 2001:db8:: first
    EXPECT_EQ(out[0].features[0], 3);
    EXPECT_EQ(out[1].features[0], 3);
    EXPECT_EQ(out[1].features[6], 3);  // three destinations
}

TEST(DdosFeatures, RestoredWindowsAtTheEndsOfTheTimestampRangeWork) {
    // A checkpoint may hold any window start (found by the checkpoint fuzzer: the window's end in
    // nanoseconds overflowed). Far past: every packet opens a new window; far future: the window
    // stays open.
    for (int64_t start : {INT64_MIN + 1, -(INT64_MAX / 1000000000) - 10, INT64_MAX / 1000000000 - 10, INT64_MAX}) {
        ByteWriter w;
        w.put<int64_t>(start);
        w.put<uint64_t>(0);
        DdosFeatureExtractor fx(600, 1);
        ByteReader r(w.data(), "test state");
        fx.restore(r);
        std::vector<SourceWindow> out;
        DecodedPacket p;
        p.ts_ns = 1767225600LL * 1000000000LL;
        p.src = IpAddress::v4(0x01020304);
        p.dst = IpAddress::v4(0xC6120001);
        fx.add(p, [&](const SourceWindow& sw) { out.push_back(sw); });
        fx.finish([&](const SourceWindow& sw) { out.push_back(sw); });
        ASSERT_EQ(out.size(), 1u) << start;
        EXPECT_EQ(out[0].window_start_s, start < 0 ? 1767225600 : start) << start;
    }
    EXPECT_THROW(DdosFeatureExtractor(0), ConfigError);
    EXPECT_THROW(DdosFeatureExtractor(DdosFeatureExtractor::kMaxWindowSeconds + 1), ConfigError);
}

TEST(DdosFeatures, SourceNumbersGiveTheWindowsThatAddressesGive) {
    // kSourceIds as the aggregator drives it: a number for each source at its first packet, the
    // numbers started again from 0 (a new day) inside windows, checkpoints inside windows after
    // which every source is announced again. The windows must be exactly those of kAddresses,
    // though after a renumbering a source has packets under two numbers and another source may
    // have its old number. One source is the all-ones address (the table's empty key).
    std::mt19937_64 rng(23);
    std::vector<DecodedPacket> pkts;
    for (int64_t window : {0, 600, 1800})
        for (int i = 0; i < 3000; ++i) {
            DecodedPacket p = random_packet(rng, window);
            if (rng() % 50 == 0) p.src = IpAddress::from_halves(~0ULL, ~0ULL);
            pkts.push_back(p);
        }
    std::sort(pkts.begin(), pkts.end(), [](const auto& a, const auto& b) { return a.ts_ns / 600000000000LL < b.ts_ns / 600000000000LL; });
    std::vector<SourceWindow> want, got;
    DdosFeatureExtractor by_address(600, 5);
    for (const auto& p : pkts) by_address.add(p, [&](const SourceWindow& w) { want.push_back(w); });
    by_address.finish([&](const SourceWindow& w) { want.push_back(w); });
    ASSERT_GT(want.size(), 30u);

    const std::set<size_t> renumber_at = {700, 1500, 3000, 3001, 7000};
    const std::set<size_t> checkpoint_at = {1000, 1600, 3001, 5000};
    auto fx = std::make_unique<DdosFeatureExtractor>(600, 5, DdosFeatureExtractor::SourceKeys::kSourceIds);
    std::map<IpAddress, uint32_t> numbers;  // the aggregator's numbering
    auto keep = [&](const SourceWindow& w) { got.push_back(w); };
    for (size_t i = 0; i < pkts.size(); ++i) {
        if (renumber_at.count(i)) {
            numbers.clear();
            fx->reset_source_ids();
        }
        if (checkpoint_at.count(i)) {
            ByteWriter w;
            fx->serialize(w);
            fx = std::make_unique<DdosFeatureExtractor>(600, 5, DdosFeatureExtractor::SourceKeys::kSourceIds);
            ByteReader r(w.data(), "test state");
            fx->restore(r);
            for (const auto& [address, id] : numbers) fx->add_source(id, address);
        }
        auto [it, added] = numbers.emplace(pkts[i].src, uint32_t(numbers.size()));
        if (added) fx->add_source(it->second, it->first);
        fx->add(PacketDigest::of(pkts[i], it->second), keep);
    }
    fx->finish(keep);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].src, want[i].src) << i;
        EXPECT_EQ(got[i].window_start_s, want[i].window_start_s) << i;
        EXPECT_EQ(got[i].features, want[i].features) << "window " << i << " of " << want[i].src.to_string();
    }
}

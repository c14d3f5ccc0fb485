// C&C scoring: the statistics the signals share, the hypergeometric tail, each signal on
// hand-made conversations, and the scorer's orientation and popularity exclusion.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "flows/beacon_signal.h"
#include "flows/cnc_scorer.h"
#include "flows/co_occurrence_signal.h"
#include "flows/server_profile_signal.h"

namespace iotwatch {
namespace {

IpAddress A(const char* s) { return *IpAddress::parse(s); }

TEST(CncStatistics, MedianSkewMad) {
    EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
    EXPECT_DOUBLE_EQ(median({4, 1, 2, 3}), 2.5);
    EXPECT_DOUBLE_EQ(bowley_skew({1, 1, 1, 1}), 0);          // no spread: no skew
    EXPECT_GT(bowley_skew({1, 2, 3, 4, 100, 200, 300}), 0);  // long right tail
    EXPECT_LT(bowley_skew({-300, -200, -100, 1, 2, 3, 4}), 0);
    EXPECT_DOUBLE_EQ(median_abs_deviation({1, 2, 3, 4, 100}), 1);
}

TEST(CncStatistics, HypergeometricUpperTail) {
    // N=10, K=4, n=3: P(X >= 3) = C(4,3)/C(10,3) = 4/120.
    EXPECT_NEAR(CoOccurrenceSignal::upper_tail(10, 4, 3, 3), 4.0 / 120, 1e-12);
    EXPECT_NEAR(CoOccurrenceSignal::upper_tail(10, 4, 3, 0), 1, 1e-12);
    // P(X >= 1) = 1 - C(6,3)/C(10,3) = 1 - 20/120.
    EXPECT_NEAR(CoOccurrenceSignal::upper_tail(10, 4, 3, 1), 100.0 / 120, 1e-12);
    EXPECT_DOUBLE_EQ(CoOccurrenceSignal::upper_tail(10, 4, 3, 4), 0);  // impossible
    EXPECT_LT(CoOccurrenceSignal::upper_tail(100000, 100, 40, 30), 1e-60);
}

ClientConversation periodic(const char* client, int n, double period_s, double jitter_s, uint64_t size, bool seed) {
    ClientConversation c;
    c.client = A(client);
    c.seed = seed;
    for (int i = 0; i < n; ++i) {
        const double j = (i % 2 ? 1 : -1) * jitter_s * ((i * 7) % 5) / 4.0;
        c.starts_ns.push_back(int64_t((1000 + i * period_s + j) * 1e9));
        c.octets.push_back(size + uint64_t(i % 3));
    }
    c.reverse_flows = uint32_t(n);
    c.completed = true;
    return c;
}

TEST(CncSignals, BeaconScoresRegularAboveIrregular) {
    const auto regular = periodic("10.0.0.1", 48, 300, 3, 120, false);
    // Poisson arrivals (exponential gaps, mean 300 s) and sizes spread over 100..30000 bytes.
    ClientConversation irregular = regular;
    uint64_t x = 12345;
    auto uniform = [&] {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        return double((x >> 11) + 1) / 9007199254740993.0;
    };
    double t = 1000;
    for (size_t i = 0; i < irregular.starts_ns.size(); ++i) {
        t += -300 * std::log(uniform());
        irregular.starts_ns[i] = int64_t(t * 1e9);
        irregular.octets[i] = 100 + uint64_t(uniform() * 29900);
    }
    double interval = 0;
    const double r = BeaconSignal::pair_score(regular, &interval);
    EXPECT_GT(r, 0.9);
    EXPECT_NEAR(interval, 300, 5);
    EXPECT_LT(BeaconSignal::pair_score(irregular), r - 0.2);
    ClientConversation three = regular;
    three.starts_ns.resize(3);
    three.octets.resize(3);
    EXPECT_EQ(BeaconSignal::pair_score(three), 0);  // RITA needs >= 4 connections
}

TEST(CncSignals, CoOccurrenceNeedsSeedsAboveChance) {
    ServerDay s;
    for (int i = 0; i < 10; ++i) s.clients.push_back(periodic(("10.0.1." + std::to_string(i + 1)).c_str(), 4, 60, 0, 100, i < 8));
    const DayTotals rare{1000, 20};      // 2% of clients are seeds; this server has 8 of 10
    const DayTotals common{1000, 900};   // 90% are seeds: 8 of 10 is no surprise
    const CoOccurrenceSignal sig(2);
    EXPECT_EQ(sig.score(s, rare).score, 1);
    EXPECT_LT(sig.score(s, common).score, 0.2);
    for (auto& c : s.clients) c.completed = false;  // no completed session: nothing counts
    EXPECT_EQ(sig.score(s, rare).score, 0);
}

TEST(CncScorer, OrientsFlowsAndExcludesPopular) {
    std::vector<FlowRecord> flows;
    auto add = [&](const char* src, const char* dst, uint16_t sp, uint16_t dp, uint8_t proto, int64_t t) {
        FlowRecord f;
        f.src = A(src);
        f.dst = A(dst);
        f.sport = sp;
        f.dport = dp;
        f.protocol = proto;
        f.tcp_flags = 0x1b;
        f.start_ns = t;
        f.end_ns = t + 1000;
        f.octets = 100;
        f.packets = 2;
        flows.push_back(f);
    };
    for (int i = 0; i < 6; ++i) {
        const std::string bot = "10.9.0." + std::to_string(i + 1);
        for (int k = 0; k < 5; ++k) {
            // Reply first in the list: orientation comes from the ports, not the order.
            add("45.0.0.1", bot.c_str(), 6667, 40000, 6, k * 300'000'000'000LL + 1);
            add(bot.c_str(), "45.0.0.1", 40000, 6667, 6, k * 300'000'000'000LL);
            add(bot.c_str(), "8.8.8.8", 41000, 53, 17, k * 10);
            add("8.8.8.8", bot.c_str(), 53, 41000, 17, k * 10 + 1);
        }
    }
    for (int i = 0; i < 30; ++i) {  // benign clients of another server
        const std::string c = "10.8.0." + std::to_string(i + 1);
        add(c.c_str(), "93.0.0.1", 50000, 443, 6, i * 1000);
        add("93.0.0.1", c.c_str(), 443, 50000, 6, i * 1000 + 1);
    }
    std::set<IpAddress> seeds;
    for (int i = 0; i < 6; ++i) seeds.insert(A(("10.9.0." + std::to_string(i + 1)).c_str()));
    CncSettings st;
    st.popular_share = 0.9;
    const CncScorer scorer(st, PopularDestinations::builtin());
    const CncResult r = scorer.score(flows, seeds);
    EXPECT_EQ(r.oriented, flows.size());
    EXPECT_EQ(r.popular_excluded, 1u);  // DNS by the list
    ASSERT_FALSE(r.candidates.empty());
    EXPECT_EQ(r.candidates[0].server, A("45.0.0.1"));
    EXPECT_EQ(r.candidates[0].port, 6667);
    EXPECT_EQ(r.candidates[0].clients, 6u);
    EXPECT_EQ(r.candidates[0].seed_clients, 6u);
    EXPECT_EQ(r.totals.clients, 36u);
    EXPECT_EQ(r.totals.seed_clients, 6u);
    for (const auto& c : r.candidates) EXPECT_NE(c.server, A("8.8.8.8"));
    EXPECT_THROW(CncScorer(CncSettings{0, 2, 0.8, 0.5, 0.3, 0.2}, PopularDestinations()), ConfigError);
}

TEST(PopularDestinations, ParsesAndNamesBadLines) {
    const auto p = PopularDestinations::parse("# c\nudp/53\tDNS\tRFC 1035\n192.0.2.0/24\tx\ty\n", "p.tsv");
    EXPECT_EQ(p.size(), 2u);
    EXPECT_NE(p.match(A("1.2.3.4"), 17, 53), nullptr);
    EXPECT_EQ(p.match(A("1.2.3.4"), 6, 53), nullptr);
    EXPECT_NE(p.match(A("192.0.2.9"), 6, 1), nullptr);
    try {
        PopularDestinations::parse("udp/53\tDNS\tok\nsctp/1\tx\ty\n", "p.tsv");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace iotwatch

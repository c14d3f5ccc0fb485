#include <gtest/gtest.h>

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

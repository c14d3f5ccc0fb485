// FlowBlock: the SQLite store's packed, compressed flow records round-trip every field, filter by
// start time, and a damaged block is an error naming it, never a crash or a silent loss.
#include <gtest/gtest.h>
#include <zstd.h>

#include "core/error.h"
#include "store/flow_block.h"
#include "store/flow_block_encoder.h"

namespace iotwatch {
namespace {

TEST(FlowBlock, RoundTripsEveryFieldAndFiltersByStart) {
    std::vector<FlowRecord> in;
    for (int i = 0; i < 1000; ++i) {
        FlowRecord f;
        f.exporter = i % 2 ? *IpAddress::parse("192.0.2.10") : *IpAddress::parse("2001:db8::10");
        f.observation_domain = uint32_t(i * 7);
        f.version = uint8_t(i % 3 == 0 ? 5 : i % 3 == 1 ? 9 : 10);
        f.protocol = uint8_t(i % 2 ? 6 : 17);
        f.tcp_flags = uint8_t(i);
        f.src = IpAddress::v4(0x0A000000u + uint32_t(i));
        f.dst = *IpAddress::parse("2001:db8::1");
        f.sport = uint16_t(40000 + i);
        f.dport = uint16_t(i);
        f.packets = uint64_t(i) * 1000000007ULL;
        f.octets = ~uint64_t(i);
        f.start_ns = 1767225600000000000LL + i * 1000000LL;
        f.end_ns = f.start_ns + 5;
        f.sampling_interval = uint32_t(i % 64 + 1);
        in.push_back(f);
    }
    const std::string block = FlowBlock::encode(in);
    EXPECT_LT(block.size(), in.size() * FlowBlock::kRecordSize / 2);  // compressed
    std::vector<FlowRecord> out;
    FlowBlock::decode(block, INT64_MIN, INT64_MAX, out, "test");
    ASSERT_EQ(out.size(), in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        const auto& a = in[i];
        const auto& b = out[i];
        EXPECT_TRUE(a.exporter == b.exporter && a.src == b.src && a.dst == b.dst) << i;
        EXPECT_EQ(a.observation_domain, b.observation_domain);
        EXPECT_EQ(a.version, b.version);
        EXPECT_EQ(a.protocol, b.protocol);
        EXPECT_EQ(a.tcp_flags, b.tcp_flags);
        EXPECT_EQ(a.sport, b.sport);
        EXPECT_EQ(a.dport, b.dport);
        EXPECT_EQ(a.packets, b.packets);
        EXPECT_EQ(a.octets, b.octets);
        EXPECT_EQ(a.start_ns, b.start_ns);
        EXPECT_EQ(a.end_ns, b.end_ns);
        EXPECT_EQ(a.sampling_interval, b.sampling_interval);
    }
    out.clear();
    FlowBlock::decode(block, in[100].start_ns, in[200].start_ns, out, "test");
    EXPECT_EQ(out.size(), 100u);
    EXPECT_EQ(out.front().start_ns, in[100].start_ns);
}

// Blocks of the first release (version 1: 96-byte records one after another) are still read, and
// the encoder's reused context gives the same block as a one-off encode.
TEST(FlowBlock, ReadsVersionOneRowBlocksAndReusesTheEncoder) {
    auto le = [](std::string& s, uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) s.push_back(char(v >> (8 * i)));
    };
    std::string rows;
    for (uint64_t i = 0; i < 3; ++i) {
        le(rows, 0, 8), le(rows, 0xFFFF00000000ULL | 0xC000020A, 8);          // exporter 192.0.2.10
        le(rows, 0, 8), le(rows, 0xFFFF00000000ULL | (0x0A000000 + i), 8);    // src 10.0.0.i
        le(rows, 0x20010DB800000000ULL, 8), le(rows, 1, 8);                   // dst 2001:db8::1
        le(rows, 1767225600000000000ULL + i, 8), le(rows, 1767225600000000005ULL + i, 8);
        le(rows, 10 + i, 8), le(rows, 1000 + i, 8);                            // packets, octets
        le(rows, 7, 4), le(rows, 1, 4);                                        // domain, sampling
        le(rows, 40000 + i, 2), le(rows, 23, 2);                               // ports
        le(rows, 10, 1), le(rows, 6, 1), le(rows, 0x02, 1), le(rows, 0, 1);    // version, proto, flags, pad
    }
    ASSERT_EQ(rows.size(), 3 * FlowBlock::kRecordSize);
    std::string block(1 + ZSTD_compressBound(rows.size()), '\0');
    block[0] = char(FlowBlock::kVersionRows);
    block.resize(1 + ZSTD_compress(block.data() + 1, block.size() - 1, rows.data(), rows.size(), 1));
    std::vector<FlowRecord> out;
    FlowBlock::decode(block, INT64_MIN, INT64_MAX, out, "v1");
    ASSERT_EQ(out.size(), 3u);
    for (uint64_t i = 0; i < 3; ++i) {
        EXPECT_EQ(out[i].exporter.to_string(), "192.0.2.10");
        EXPECT_EQ(out[i].src.to_string(), "10.0.0." + std::to_string(i));
        EXPECT_EQ(out[i].dst.to_string(), "2001:db8::1");
        EXPECT_EQ(out[i].start_ns, int64_t(1767225600000000000LL + i));
        EXPECT_EQ(out[i].end_ns, int64_t(1767225600000000005LL + i));
        EXPECT_EQ(out[i].packets, 10 + i);
        EXPECT_EQ(out[i].octets, 1000 + i);
        EXPECT_EQ(out[i].observation_domain, 7u);
        EXPECT_EQ(out[i].sampling_interval, 1u);
        EXPECT_EQ(out[i].sport, 40000 + i);
        EXPECT_EQ(out[i].dport, 23);
        EXPECT_EQ(out[i].version, 10);
        EXPECT_EQ(out[i].protocol, 6);
        EXPECT_EQ(out[i].tcp_flags, 0x02);
    }
    // Re-encoded, they come back the same, and one encoder used twice gives identical blocks.
    const std::string v2 = FlowBlock::encode(out);
    EXPECT_EQ(uint8_t(v2[0]), FlowBlock::kVersion);
    FlowBlockEncoder encoder;
    EXPECT_EQ(std::string(encoder.encode(out.data(), out.size())), v2);
    std::vector<FlowRecord> big(5000, out[1]);
    (void)encoder.encode(big.data(), big.size());
    EXPECT_EQ(std::string(encoder.encode(out.data(), out.size())), v2);
    std::vector<FlowRecord> again;
    FlowBlock::decode(v2, INT64_MIN, INT64_MAX, again, "v2");
    ASSERT_EQ(again.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(again[i].src == out[i].src && again[i].dst == out[i].dst && again[i].exporter == out[i].exporter);
        EXPECT_EQ(again[i].start_ns, out[i].start_ns);
        EXPECT_EQ(again[i].octets, out[i].octets);
        EXPECT_EQ(again[i].dport, out[i].dport);
    }
}

TEST(FlowBlock, DamagedBlocksAreErrorsNamingThem) {
    std::vector<FlowRecord> one(3);
    std::string block = FlowBlock::encode(one);
    std::vector<FlowRecord> out;
    std::string bad = block;
    bad[0] = 7;
    try {
        FlowBlock::decode(bad, INT64_MIN, INT64_MAX, out, "db: flow_block 4");
        FAIL();
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("flow_block 4"), std::string::npos) << e.what();
    }
    EXPECT_THROW(FlowBlock::decode(block.substr(0, block.size() / 2), INT64_MIN, INT64_MAX, out, "x"), StoreError);
    EXPECT_THROW(FlowBlock::decode("", INT64_MIN, INT64_MAX, out, "x"), StoreError);
    // A frame header claiming gigabytes is refused before anything is allocated (found by fuzzing).
    const std::string huge("\x01\x28\xb5\x2f\xfd\xa4\x00\x00\x00\x84\x00\x00", 12);
    EXPECT_THROW(FlowBlock::decode(huge, INT64_MIN, INT64_MAX, out, "x"), StoreError);
    EXPECT_THROW(FlowBlock::encode(std::vector<FlowRecord>(FlowBlock::kMaxRecords + 1)), StoreError);
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace iotwatch

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

// Blocks of the first release (version 1: 96-byte records one after another) and of version 2
// (the same 96 bytes stored field by field) are still read, and the encoder's reused context gives
// the same block as a one-off encode.
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
    // The same records as a version 2 block (sessions 6-9): each field of the 96-byte layout as a
    // column, in layout order.
    const std::pair<size_t, size_t> fields[] = {{0, 8}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 8}, {48, 8}, {56, 8}, {64, 8},
                                                {72, 8}, {80, 4}, {84, 4}, {88, 2}, {90, 2}, {92, 1}, {93, 1}, {94, 1}, {95, 1}};
    std::string columns;
    for (const auto& [offset, width] : fields)
        for (size_t i = 0; i < 3; ++i) columns += rows.substr(i * FlowBlock::kRecordSize + offset, width);
    ASSERT_EQ(columns.size(), rows.size());
    std::string v2block(1 + ZSTD_compressBound(columns.size()), '\0');
    v2block[0] = char(FlowBlock::kVersionColumns);
    v2block.resize(1 + ZSTD_compress(v2block.data() + 1, v2block.size() - 1, columns.data(), columns.size(), 1));
    std::vector<FlowRecord> out, out2;
    FlowBlock::decode(block, INT64_MIN, INT64_MAX, out, "v1");
    FlowBlock::decode(v2block, INT64_MIN, INT64_MAX, out2, "v2");
    ASSERT_EQ(out.size(), 3u);
    ASSERT_EQ(out2.size(), 3u);
    for (uint64_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(out2[i].exporter == out[i].exporter && out2[i].src == out[i].src && out2[i].dst == out[i].dst);
        EXPECT_EQ(out2[i].start_ns, out[i].start_ns);
        EXPECT_EQ(out2[i].end_ns, out[i].end_ns);
        EXPECT_EQ(out2[i].packets, out[i].packets);
        EXPECT_EQ(out2[i].octets, out[i].octets);
        EXPECT_EQ(out2[i].observation_domain, out[i].observation_domain);
        EXPECT_EQ(out2[i].sampling_interval, out[i].sampling_interval);
        EXPECT_EQ(out2[i].sport, out[i].sport);
        EXPECT_EQ(out2[i].dport, out[i].dport);
        EXPECT_EQ(out2[i].version, out[i].version);
        EXPECT_EQ(out2[i].protocol, out[i].protocol);
        EXPECT_EQ(out2[i].tcp_flags, out[i].tcp_flags);
    }
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
    const std::string v3 = FlowBlock::encode(out);
    EXPECT_EQ(uint8_t(v3[0]), FlowBlock::kVersion);
    FlowBlockEncoder encoder;
    EXPECT_EQ(std::string(encoder.encode(out.data(), out.size())), v3);
    std::vector<FlowRecord> big(5000, out[1]);
    (void)encoder.encode(big.data(), big.size());
    EXPECT_EQ(std::string(encoder.encode(out.data(), out.size())), v3);
    std::vector<FlowRecord> again;
    FlowBlock::decode(v3, INT64_MIN, INT64_MAX, again, "v3");
    ASSERT_EQ(again.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_TRUE(again[i].src == out[i].src && again[i].dst == out[i].dst && again[i].exporter == out[i].exporter);
        EXPECT_EQ(again[i].start_ns, out[i].start_ns);
        EXPECT_EQ(again[i].octets, out[i].octets);
        EXPECT_EQ(again[i].dport, out[i].dport);
    }
}

/// The unpacked bytes of a block (its zstd frame), and a block made of such bytes.
std::string unpacked(const std::string& block) {
    std::string raw(ZSTD_getFrameContentSize(block.data() + 1, block.size() - 1), '\0');
    raw.resize(ZSTD_decompress(raw.data(), raw.size(), block.data() + 1, block.size() - 1));
    return raw;
}
std::string packed(const std::string& raw, uint8_t version) {
    std::string block(1 + ZSTD_compressBound(raw.size()), '\0');
    block[0] = char(version);
    block.resize(1 + ZSTD_compress(block.data() + 1, block.size() - 1, raw.data(), raw.size(), 1));
    return block;
}

// Version 3 stores a column in as few bytes as its range needs: a batch of IPv4 flows from one
// exporter unpacks to about a quarter of the 96 bytes a record took before, and extreme values
// (the whole int64 time range, all-ones counters, IPv6 beside IPv4) still come back exactly.
TEST(FlowBlock, ColumnsAreAsNarrowAsTheirRangeAndExtremesRoundTrip) {
    std::vector<FlowRecord> v4;
    for (uint32_t i = 0; i < 1000; ++i) {
        FlowRecord f;
        f.exporter = IpAddress::v4(0xC000020A);
        f.src = IpAddress::v4(0x0A000000u + i * 7919u), f.dst = IpAddress::v4(0xCB007100u + (i & 255));
        f.sport = uint16_t(1024 + i * 31), f.dport = uint16_t(i % 3 ? 443 : 53);
        f.protocol = uint8_t(i % 3 ? 6 : 17), f.tcp_flags = uint8_t(i & 0x3F), f.version = 10;
        f.packets = 1 + i % 200, f.octets = 40 + (i * 1499) % 100000;
        f.start_ns = 1767225600000000000LL + int64_t(i) * 3000000LL, f.end_ns = f.start_ns + 2000000000LL;
        f.sampling_interval = 1;
        v4.push_back(f);
    }
    const std::string block = FlowBlock::encode(v4);
    // src 3 + dst 1 + start 4 + end 4 + packets 1 + octets 3 + sport 2 + dport 2 (53..443) +
    // protocol 1 + flags 1; the exporter, address prefixes, domain, version and sampling need none.
    EXPECT_EQ(unpacked(block).size(), 4 + 17 * 9 + 1000 * 22u);
    std::vector<FlowRecord> out;
    FlowBlock::decode(block, INT64_MIN, INT64_MAX, out, "v4");
    ASSERT_EQ(out.size(), v4.size());
    for (size_t i = 0; i < v4.size(); ++i) {
        EXPECT_TRUE(out[i].src == v4[i].src && out[i].dst == v4[i].dst && out[i].exporter == v4[i].exporter) << i;
        EXPECT_EQ(out[i].octets, v4[i].octets);
        EXPECT_EQ(out[i].end_ns, v4[i].end_ns);
        EXPECT_EQ(out[i].tcp_flags, v4[i].tcp_flags);
        EXPECT_EQ(out[i].sport, v4[i].sport);
        EXPECT_EQ(out[i].dport, v4[i].dport);
    }

    std::vector<FlowRecord> wide(3);
    wide[0].start_ns = INT64_MIN, wide[0].end_ns = INT64_MAX, wide[0].octets = UINT64_MAX, wide[0].packets = 0;
    wide[1].start_ns = INT64_MAX, wide[1].end_ns = INT64_MIN, wide[1].octets = 0, wide[1].packets = UINT64_MAX;
    wide[2].start_ns = -1, wide[2].end_ns = 0, wide[2].octets = 1ULL << 63, wide[2].packets = 1;
    wide[0].src = *IpAddress::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), wide[1].src = *IpAddress::parse("::");
    wide[2].src = IpAddress::v4(0x7F000001);
    wide[0].observation_domain = UINT32_MAX, wide[0].sampling_interval = UINT32_MAX, wide[0].sport = 65535, wide[0].dport = 65535;
    wide[0].version = 255, wide[0].protocol = 255, wide[0].tcp_flags = 255;
    out.clear();
    FlowBlock::decode(FlowBlock::encode(wide), INT64_MIN, INT64_MAX, out, "wide");
    // The record starting at INT64_MAX is past any [from, to): the other two come back.
    ASSERT_EQ(out.size(), 2u);
    const FlowRecord* expect[] = {&wide[0], &wide[2]};
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(out[i].start_ns, expect[i]->start_ns) << i;
        EXPECT_EQ(out[i].end_ns, expect[i]->end_ns) << i;
        EXPECT_EQ(out[i].octets, expect[i]->octets) << i;
        EXPECT_EQ(out[i].packets, expect[i]->packets) << i;
        EXPECT_TRUE(out[i].src == expect[i]->src) << i;
        EXPECT_EQ(out[i].observation_domain, expect[i]->observation_domain) << i;
        EXPECT_EQ(out[i].sampling_interval, expect[i]->sampling_interval) << i;
        EXPECT_EQ(out[i].sport, expect[i]->sport) << i;
        EXPECT_EQ(out[i].version, expect[i]->version) << i;
        EXPECT_EQ(out[i].tcp_flags, expect[i]->tcp_flags) << i;
    }
    // The time filter applies to the decoded start.
    out.clear();
    FlowBlock::decode(FlowBlock::encode(wide), -1, INT64_MAX, out, "wide");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].start_ns, -1);
    // An empty block round-trips to nothing.
    out.clear();
    FlowBlock::decode(FlowBlock::encode({}), INT64_MIN, INT64_MAX, out, "empty");
    EXPECT_TRUE(out.empty());
}

// A version 3 header that does not match its body (a width over 8 bytes, a record count the
// columns do not fill) is an error naming the block.
TEST(FlowBlock, DamagedVersionThreeHeadersAreErrors) {
    std::vector<FlowRecord> two(2);
    two[1].packets = 300;  // column 8 gets width 2
    const std::string raw = unpacked(FlowBlock::encode(two));
    ASSERT_EQ(raw.size(), 4 + 17 * 9 + 2 * 2u);
    std::vector<FlowRecord> out;
    FlowBlock::decode(packed(raw, FlowBlock::kVersion), INT64_MIN, INT64_MAX, out, "ok");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].packets, 300u);
    std::string wide = raw;
    wide[4 + 8 * 9 + 8] = 9;  // column 8's width
    try {
        FlowBlock::decode(packed(wide, FlowBlock::kVersion), INT64_MIN, INT64_MAX, out, "db: flow_block 9");
        FAIL();
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("flow_block 9"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("width"), std::string::npos) << e.what();
    }
    std::string count = raw;
    count[0] = 3;  // three records claimed, two stored
    EXPECT_THROW(FlowBlock::decode(packed(count, FlowBlock::kVersion), INT64_MIN, INT64_MAX, out, "x"), StoreError);
    EXPECT_THROW(FlowBlock::decode(packed(raw.substr(0, 100), FlowBlock::kVersion), INT64_MIN, INT64_MAX, out, "x"), StoreError);
    EXPECT_EQ(out.size(), 2u);  // nothing appended by the damaged blocks
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

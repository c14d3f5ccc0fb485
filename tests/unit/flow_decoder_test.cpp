// Flow decoders on hand-built export packets: template after data, options sampling, sequence
// gaps, uptime wrap, IPv6, padding, variable-length fields, enterprise elements, truncation.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <vector>

#include "flows/flow_collector.h"
#include "flows/data_set_decoder.h"

using namespace iotwatch;

namespace {

/// Big-endian packet builder.
struct Bytes {
    std::vector<uint8_t> b;
    Bytes& u8(uint8_t v) { b.push_back(v); return *this; }
    Bytes& u16(uint16_t v) { return u8(uint8_t(v >> 8)).u8(uint8_t(v)); }
    Bytes& u32(uint32_t v) { return u16(uint16_t(v >> 16)).u16(uint16_t(v)); }
    Bytes& u64(uint64_t v) { return u32(uint32_t(v >> 32)).u32(uint32_t(v)); }
    Bytes& raw(const Bytes& o) { b.insert(b.end(), o.b.begin(), o.b.end()); return *this; }
    Bytes& ip4(uint8_t a, uint8_t c, uint8_t d, uint8_t e) { return u8(a).u8(c).u8(d).u8(e); }
    size_t size() const { return b.size(); }
};

/// A set: id, length (header included), content.
Bytes set(uint16_t id, const Bytes& content) { return Bytes().u16(id).u16(uint16_t(content.size() + 4)).raw(content); }

Bytes ipfix(uint32_t export_s, uint32_t seq, uint32_t domain, const std::vector<Bytes>& sets) {
    Bytes body;
    for (const auto& s : sets) body.raw(s);
    return Bytes().u16(10).u16(uint16_t(16 + body.size())).u32(export_s).u32(seq).u32(domain).raw(body);
}
Bytes v9(uint32_t uptime, uint32_t export_s, uint32_t seq, uint32_t source, const std::vector<Bytes>& sets) {
    Bytes body;
    for (const auto& s : sets) body.raw(s);
    return Bytes().u16(9).u16(uint16_t(sets.size())).u32(uptime).u32(export_s).u32(seq).u32(source).raw(body);
}

// Template 256: src4, dst4, sport, dport, proto, packets(4), octets(8), start ms, end ms.
Bytes ipfix_template_256() {
    return set(2, Bytes().u16(256).u16(9).u16(8).u16(4).u16(12).u16(4).u16(7).u16(2).u16(11).u16(2).u16(4).u16(1)
                      .u16(2).u16(4).u16(1).u16(8).u16(152).u16(8).u16(153).u16(8));
}
Bytes ipfix_record_256(uint8_t host, uint32_t packets) {
    return Bytes().ip4(10, 0, 0, host).ip4(192, 0, 2, 1).u16(40000).u16(23).u8(6).u32(packets).u64(packets * 60ull)
        .u64(1767225600000ull).u64(1767225601500ull);
}

FlowCollector collect(std::initializer_list<Bytes> msgs, int64_t now_ns = 1'767'225'700'000'000'000) {
    FlowCollector c;
    for (const auto& m : msgs) c.process(m.b.data(), m.size(), IpAddress::v4(0x7F000001), now_ns);
    return c;
}

}  // namespace

TEST(FlowDecoders, IpfixRecordFields) {
    auto c = collect({ipfix(1767225700, 0, 7, {ipfix_template_256(), set(256, ipfix_record_256(5, 3))})});
    auto r = c.take_records();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].src.to_string(), "10.0.0.5");
    EXPECT_EQ(r[0].dst.to_string(), "192.0.2.1");
    EXPECT_EQ(r[0].sport, 40000);
    EXPECT_EQ(r[0].dport, 23);
    EXPECT_EQ(r[0].protocol, 6);
    EXPECT_EQ(r[0].packets, 3u);
    EXPECT_EQ(r[0].octets, 180u);
    EXPECT_EQ(r[0].start_ns, 1767225600000LL * 1000000);
    EXPECT_EQ(r[0].end_ns, 1767225601500LL * 1000000);
    EXPECT_EQ(r[0].observation_domain, 7u);
    EXPECT_EQ(r[0].version, 10);
    auto s = c.exporter_stats();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].templates, 1u);
    EXPECT_EQ(s[0].records, 1u);
    EXPECT_EQ(c.error_count(), 0u);
}

TEST(FlowDecoders, DataBeforeTemplateIsHeldThenDecoded) {
    FlowCollector c;
    auto data = ipfix(1767225700, 0, 0, {set(256, ipfix_record_256(1, 1).raw(ipfix_record_256(2, 2)))});
    auto tmpl = ipfix(1767225701, 2, 0, {ipfix_template_256()});
    const IpAddress ex = IpAddress::v4(0x7F000001);
    c.process(data.b.data(), data.size(), ex, 1'000'000'000);
    EXPECT_EQ(c.take_records().size(), 0u);
    EXPECT_EQ(c.held_sets(), 1u);
    c.process(tmpl.b.data(), tmpl.size(), ex, 2'000'000'000);
    EXPECT_EQ(c.take_records().size(), 2u);
    auto s = c.exporter_stats()[0];
    EXPECT_EQ(s.held_sets, 1u);
    EXPECT_EQ(s.dropped_sets, 0u);
}

TEST(FlowDecoders, TemplateInOtherDomainDoesNotApplyAndHeldDataExpires) {
    CollectorLimits lim;
    lim.hold_ns = 5'000'000'000;
    FlowCollector c(lim);
    const IpAddress ex = IpAddress::v4(0x7F000001);
    auto data = ipfix(1767225700, 0, 1, {set(256, ipfix_record_256(1, 1))});
    auto tmpl_other = ipfix(1767225700, 0, 2, {ipfix_template_256()});
    c.process(data.b.data(), data.size(), ex, 1'000'000'000);
    c.process(tmpl_other.b.data(), tmpl_other.size(), ex, 2'000'000'000);
    EXPECT_EQ(c.take_records().size(), 0u);
    c.expire(10'000'000'000);
    EXPECT_EQ(c.held_sets(), 0u);
    for (const auto& s : c.exporter_stats())
        if (s.observation_domain == 1) {
            EXPECT_EQ(s.dropped_sets, 1u);
        }
}

TEST(FlowDecoders, FinishCountsHeldDataAsDropped) {
    auto c = collect({ipfix(1767225700, 0, 0, {set(300, ipfix_record_256(1, 1))})});
    c.finish(0);
    EXPECT_EQ(c.exporter_stats()[0].dropped_sets, 1u);
}

TEST(FlowDecoders, IpfixOptionsSamplingIsAppliedAndReported) {
    // Options template 300: scope meteringProcessId(143), samplingPacketInterval 305, space 306.
    auto opt_t = set(3, Bytes().u16(300).u16(3).u16(1).u16(143).u16(4).u16(305).u16(4).u16(306).u16(4));
    auto opt_d = set(300, Bytes().u32(1).u32(1).u32(99));  // 1 in 100
    auto c = collect({ipfix(1767225700, 0, 0, {ipfix_template_256(), opt_t, opt_d, set(256, ipfix_record_256(1, 2))})});
    auto r = c.take_records();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].sampling_interval, 100u);
    EXPECT_EQ(r[0].packets, 200u);
    EXPECT_EQ(r[0].octets, 12000u);
    auto s = c.exporter_stats()[0];
    EXPECT_EQ(s.sampling_interval, 100u);
    EXPECT_EQ(s.options_templates, 1u);
    EXPECT_EQ(s.options_records, 1u);
}

TEST(FlowDecoders, V9OptionsSamplingInterval34) {
    auto t = set(0, Bytes().u16(260).u16(3).u16(8).u16(4).u16(12).u16(4).u16(2).u16(4));
    // Options template 261: scope system(1) 4 bytes; samplingInterval(34) 4 bytes.
    auto ot = set(1, Bytes().u16(261).u16(4).u16(4).u16(1).u16(4).u16(34).u16(4));
    auto od = set(261, Bytes().u32(0).u32(10));
    auto d = set(260, Bytes().ip4(10, 0, 0, 1).ip4(10, 0, 0, 2).u32(5));
    auto c = collect({v9(1000, 1767225700, 0, 0, {t, ot, od, d})});
    auto r = c.take_records();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].packets, 50u);
    EXPECT_EQ(r[0].sampling_interval, 10u);
}

TEST(FlowDecoders, SequenceGapsCountedPerVersionSemantics) {
    auto rec = [](uint8_t h) { return set(256, ipfix_record_256(h, 1)); };
    // IPFIX counts data records: 0 (+1 record) -> expect 1; 5 skips 4 records.
    auto c = collect({ipfix(1, 0, 0, {ipfix_template_256(), rec(1)}), ipfix(1, 1, 0, {rec(2)}), ipfix(1, 6, 0, {rec(3)})});
    auto s = c.exporter_stats()[0];
    EXPECT_EQ(s.sequence_gaps, 1u);
    EXPECT_EQ(s.missing, 4u);
    // v9 counts packets: 10, 11, 14 -> one gap of 2 packets.
    auto t = set(0, Bytes().u16(260).u16(1).u16(2).u16(4));
    auto c9 = collect({v9(0, 1, 10, 0, {t}), v9(0, 1, 11, 0, {t}), v9(0, 1, 14, 0, {t})});
    EXPECT_EQ(c9.exporter_stats()[0].sequence_gaps, 1u);
    EXPECT_EQ(c9.exporter_stats()[0].missing, 2u);
}

namespace {
Bytes v5(uint32_t uptime, uint32_t secs, uint32_t seq, uint16_t sampling, const std::vector<std::pair<uint32_t, uint32_t>>& times) {
    Bytes m;
    m.u16(5).u16(uint16_t(times.size())).u32(uptime).u32(secs).u32(0).u32(seq).u8(1).u8(2).u16(sampling);
    for (auto [first, last] : times)
        m.ip4(10, 0, 0, 1).ip4(10, 0, 0, 2).u32(0).u16(0).u16(0).u32(4).u32(400).u32(first).u32(last).u16(1234).u16(80)
            .u8(0).u8(0x12).u8(6).u8(0).u16(0).u16(0).u8(0).u8(0).u16(0);
    return m;
}
}  // namespace

TEST(FlowDecoders, V5UptimeWrapAndSequence) {
    // Uptime wrapped: the flow began 1000 ms before the counter passed 2^32, export 500 ms after.
    auto c = collect({v5(500, 1767225700, 0, 0, {{0xFFFFFFFFu - 999, 100}}), v5(600, 1767225700, 3, 0x4000 | 10, {{0, 0}})});
    auto r = c.take_records();
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].start_ns, (1767225700000LL - 1500) * 1000000);
    EXPECT_EQ(r[0].end_ns, (1767225700000LL - 400) * 1000000);
    EXPECT_EQ(r[0].observation_domain, 0x0102u);
    EXPECT_EQ(r[0].tcp_flags, 0x12);
    EXPECT_EQ(r[1].sampling_interval, 10u);
    EXPECT_EQ(r[1].packets, 40u);
    auto s = c.exporter_stats()[0];
    EXPECT_EQ(s.sequence_gaps, 1u);  // v5 counts flows: 0 + 1 -> 1 expected, 3 came
    EXPECT_EQ(s.missing, 2u);
}

TEST(FlowDecoders, UptimeToUtcHandlesWrapAndJitter) {
    EXPECT_EQ(uptime_to_utc_ms(1'000'000, 5000, 4000), 999'000);
    EXPECT_EQ(uptime_to_utc_ms(1'000'000, 100, 0xFFFFFF9Cu), 1'000'000 - 200);  // wrapped
    EXPECT_EQ(uptime_to_utc_ms(1'000'000, 5000, 5010), 1'000'010);              // exporter clock jitter
}

TEST(FlowDecoders, V9UptimeRelativeTimesAndIpv6) {
    auto t = set(0, Bytes().u16(300).u16(5).u16(27).u16(16).u16(28).u16(16).u16(22).u16(4).u16(21).u16(4).u16(1).u16(4));
    Bytes rec;
    for (int i = 0; i < 15; ++i) rec.u8(i == 0 ? 0x20 : (i == 1 ? 0x01 : (i == 2 ? 0x0d : (i == 3 ? 0xb8 : 0))));
    rec.u8(1);  // 2001:db8::1
    rec.raw(Bytes().u32(0x20010db8).u32(0).u32(0).u32(2)).u32(9000).u32(9500).u32(1234);
    auto c = collect({v9(10000, 1767225700, 0, 0, {t, set(300, rec)})});
    auto r = c.take_records();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].src.to_string(), "2001:db8::1");
    EXPECT_EQ(r[0].dst.to_string(), "2001:db8::2");
    EXPECT_EQ(r[0].start_ns, (1767225700000LL - 1000) * 1000000);
    EXPECT_EQ(r[0].end_ns, (1767225700000LL - 500) * 1000000);
    EXPECT_EQ(r[0].octets, 1234u);
}

TEST(FlowDecoders, IpfixPaddingVariableLengthEnterpriseAndReducedSize) {
    // Template 400: src4, a variable-length string (interfaceName 82), an enterprise element
    // (id 1 of PEN 9: must not be read as octets), packets in 2 bytes (reduced size), octets 3 bytes.
    auto t = set(2, Bytes().u16(400).u16(5).u16(8).u16(4).u16(82).u16(0xFFFF).u16(0x8001).u16(4).u32(9).u16(2).u16(2)
                        .u16(1).u16(3));
    Bytes d;
    d.ip4(10, 0, 0, 9).u8(3).u8('e').u8('t').u8('h').u32(0xFFFFFFFF).u16(7).u8(0).u8(1).u8(0);  // short length form
    d.ip4(10, 0, 0, 10).u8(255).u16(300);
    for (int i = 0; i < 300; ++i) d.u8('x');  // long length form
    d.u32(0).u16(1).u8(0).u8(0).u8(5);
    d.u8(0).u8(0).u8(0);  // padding: shorter than the smallest record
    auto c = collect({ipfix(1767225700, 0, 0, {t, set(400, d)})});
    auto r = c.take_records();
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].packets, 7u);
    EXPECT_EQ(r[0].octets, 256u);
    EXPECT_EQ(r[1].src.to_string(), "10.0.0.10");
    EXPECT_EQ(r[1].octets, 5u);
    EXPECT_EQ(c.error_count(), 0u);
    // No time fields: the export time stands in.
    EXPECT_EQ(r[0].start_ns, 1767225700000LL * 1000000);
}

TEST(FlowDecoders, TemplateWithdrawal) {
    auto withdraw = set(2, Bytes().u16(256).u16(0));
    auto c = collect({ipfix(1, 0, 0, {ipfix_template_256()}), ipfix(1, 0, 0, {withdraw}),
                      ipfix(1, 0, 0, {set(256, ipfix_record_256(1, 1))})});
    EXPECT_EQ(c.take_records().size(), 0u);
    EXPECT_EQ(c.held_sets(), 1u);
}

TEST(FlowDecoders, TruncatedAndCorruptInputIsCountedWithOffsets) {
    // A set length past the message end.
    auto m = ipfix(1, 0, 0, {ipfix_template_256(), set(256, ipfix_record_256(1, 1))});
    m.b.resize(m.b.size() - 10);
    m.b[2] = uint8_t(m.size() >> 8);
    m.b[3] = uint8_t(m.size());
    auto c = collect({m});
    ASSERT_GE(c.errors().size(), 1u);
    EXPECT_NE(c.errors()[0].find("exporter 127.0.0.1"), std::string::npos) << c.errors()[0];
    EXPECT_NE(c.errors()[0].find("offset 60"), std::string::npos) << c.errors()[0];
    EXPECT_EQ(c.exporter_stats()[0].malformed, 1u);
    // v5 with fewer records than the header says: the whole ones are kept.
    auto five = v5(100, 1, 0, 0, {{1, 2}, {3, 4}});
    five.b.resize(five.size() - 1);
    auto c5 = collect({five});
    EXPECT_EQ(c5.take_records().size(), 1u);
    EXPECT_NE(c5.errors().at(0).find("offset 72"), std::string::npos) << c5.errors()[0];
    // Every prefix of a valid message: no crash, never more records than the whole.
    auto full = v9(1, 1, 0, 0, {set(0, Bytes().u16(260).u16(1).u16(2).u16(4)), set(260, Bytes().u32(1).u32(2))});
    for (size_t n = 0; n <= full.size(); ++n) {
        FlowCollector k;
        k.process(full.b.data(), n, IpAddress::v4(1), 0);
        EXPECT_LE(k.take_records().size(), 2u);
    }
    // Not an export message at all.
    auto junk = collect({Bytes().u16(4).u16(0)});
    EXPECT_EQ(junk.unknown_version(), 1u);
}

#include <filesystem>

#include "store/store.h"

TEST(FlowStore, FlowsAndExporterStatsRoundTrip) {
    const auto path = std::filesystem::temp_directory_path() / ("iotwatch-flows-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path);
    {
        auto c = collect({ipfix(1767225700, 0, 0, {ipfix_template_256(), set(256, ipfix_record_256(4, 2))})});
        auto store = open_sqlite_store(path.string());
        store->put_flows(c.take_records());
        store->put_flow_exporters(42, c.exporter_stats());
        auto back = store->flows(TimeRange{});
        ASSERT_EQ(back.size(), 1u);
        EXPECT_EQ(back[0].src.to_string(), "10.0.0.4");
        EXPECT_EQ(back[0].packets, 2u);
        EXPECT_EQ(back[0].start_ns, 1767225600000LL * 1000000);
        EXPECT_EQ(back[0].exporter.to_string(), "127.0.0.1");
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

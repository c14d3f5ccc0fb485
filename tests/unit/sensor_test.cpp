// Remote sensors: the batch encoding, header cutting, the sensor spool, the centre journal and the
// time-ordered merge with its checkpoint position.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "capture/decoded_packet.h"
#include "capture/packet_source.h"
#include "core/error.h"
#include "sensor/center_journal.h"
#include "sensor/merged_sensor_stream.h"
#include "sensor/sensor_batch.h"
#include "sensor/sensor_spool.h"

namespace iotwatch {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/iotwatch-sensor-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// ---- frames -------------------------------------------------------------------------------

void put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
    v[at] = uint8_t(x >> 8);
    v[at + 1] = uint8_t(x);
}

/// Ethernet + IPv4 (with `options` bytes of options) + `l4` + `payload` bytes.
std::vector<uint8_t> ipv4_frame(uint8_t proto, const std::vector<uint8_t>& l4, size_t payload, size_t options = 0,
                                uint16_t frag = 0, bool zero_total = false) {
    std::vector<uint8_t> f(14, 0);
    f[12] = 0x08;
    const size_t ihl = 20 + options;
    std::vector<uint8_t> ip(ihl, 0);
    ip[0] = uint8_t(0x40 | (ihl / 4));
    put16(ip, 2, zero_total ? 0 : uint16_t(ihl + l4.size() + payload));
    put16(ip, 4, 0x1234);
    put16(ip, 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    const uint8_t src[4] = {203, 0, 113, 7}, dst[4] = {198, 18, 0, 9};
    std::memcpy(&ip[12], src, 4);
    std::memcpy(&ip[16], dst, 4);
    for (size_t i = 20; i < ihl; ++i) ip[i] = 1;  // NOP options
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), l4.begin(), l4.end());
    for (size_t i = 0; i < payload; ++i) f.push_back(uint8_t('P'));  // payload a sensor must not ship
    return f;
}

std::vector<uint8_t> tcp_header(size_t options) {
    std::vector<uint8_t> t(20 + options, 0);
    put16(t, 0, 40000);
    put16(t, 2, 23);
    t[4] = 198, t[5] = 18, t[6] = 0, t[7] = 9;
    t[12] = uint8_t(((20 + options) / 4) << 4);
    t[13] = 0x02;
    put16(t, 14, 1024);
    for (size_t i = 20; i < t.size(); ++i) t[i] = 1;
    return t;
}

std::vector<uint8_t> udp_header(uint16_t payload) {
    std::vector<uint8_t> u(8, 0);
    put16(u, 0, 5353);
    put16(u, 2, 53);
    put16(u, 4, uint16_t(8 + payload));
    return u;
}

/// ICMP port unreachable quoting an IPv4+UDP header (backscatter), or an echo request.
std::vector<uint8_t> icmp(bool error) {
    std::vector<uint8_t> m(8, 0);
    m[0] = error ? 3 : 8;
    m[1] = error ? 3 : 0;
    if (!error) return m;
    std::vector<uint8_t> q = ipv4_frame(17, udp_header(0), 0);
    m.insert(m.end(), q.begin() + 14, q.end());
    return m;
}

std::vector<uint8_t> ipv6_frame(uint8_t first_next, const std::vector<uint8_t>& after, size_t payload) {
    std::vector<uint8_t> f(14, 0);
    f[12] = 0x86, f[13] = 0xdd;
    std::vector<uint8_t> ip(40, 0);
    ip[0] = 0x60;
    put16(ip, 4, uint16_t(after.size() + payload));
    ip[6] = first_next;
    ip[7] = 64;
    ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
    ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[28] = 0xde, ip[29] = 0xad, ip[39] = 2;
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), after.begin(), after.end());
    for (size_t i = 0; i < payload; ++i) f.push_back(uint8_t('P'));
    return f;
}

void expect_same_decode(const DecodedPacket& a, const DecodedPacket& b, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(int(a.status), int(b.status));
    EXPECT_EQ(a.ip_version, b.ip_version);
    EXPECT_EQ(a.protocol, b.protocol);
    EXPECT_EQ(a.ttl, b.ttl);
    EXPECT_EQ(a.ip_id, b.ip_id);
    EXPECT_EQ(a.ip_bytes, b.ip_bytes);
    EXPECT_EQ(a.is_fragment, b.is_fragment);
    EXPECT_EQ(a.is_later_fragment, b.is_later_fragment);
    EXPECT_EQ(a.has_ip_options, b.has_ip_options);
    EXPECT_EQ(a.src, b.src);
    EXPECT_EQ(a.dst, b.dst);
    EXPECT_EQ(a.has_l4, b.has_l4);
    EXPECT_EQ(a.sport, b.sport);
    EXPECT_EQ(a.dport, b.dport);
    EXPECT_EQ(a.tcp_flags, b.tcp_flags);
    EXPECT_EQ(a.tcp_seq, b.tcp_seq);
    EXPECT_EQ(a.tcp_ack, b.tcp_ack);
    EXPECT_EQ(a.tcp_window, b.tcp_window);
    EXPECT_EQ(a.tcp_options_len, b.tcp_options_len);
    EXPECT_EQ(a.icmp_type, b.icmp_type);
    EXPECT_EQ(a.icmp_code, b.icmp_code);
    EXPECT_EQ(a.payload_len, b.payload_len);
    EXPECT_EQ(a.has_quoted, b.has_quoted);
    EXPECT_EQ(a.quoted.src, b.quoted.src);
    EXPECT_EQ(a.quoted.dst, b.quoted.dst);
    EXPECT_EQ(a.quoted.has_ports, b.quoted.has_ports);
    EXPECT_EQ(a.quoted.sport, b.quoted.sport);
    EXPECT_EQ(a.quoted.dport, b.quoted.dport);
}

/// Cuts `frame` the way the sensor does; checks the centre decodes the same headers, and returns
/// how many bytes were kept.
uint32_t cut_and_compare(const std::vector<uint8_t>& frame, const std::string& what) {
    DecodedPacket full, cut;
    decode_packet(kLinkEthernet, frame.data(), uint32_t(frame.size()), uint32_t(frame.size()), 1, full);
    const uint32_t keep = header_bytes(full, frame.data(), uint32_t(frame.size()));
    EXPECT_LE(keep, frame.size()) << what;
    decode_packet(kLinkEthernet, frame.data(), keep, uint32_t(frame.size()), 1, cut);
    expect_same_decode(full, cut, what);
    return keep;
}

TEST(SensorHeaderCut, KeepsHeadersDropsPayloadDecodesTheSame) {
    // TCP with and without options: up to the end of the TCP header.
    EXPECT_EQ(cut_and_compare(ipv4_frame(6, tcp_header(0), 500), "tcp"), 14u + 20 + 20);
    EXPECT_EQ(cut_and_compare(ipv4_frame(6, tcp_header(12), 500), "tcp options"), 14u + 20 + 32);
    EXPECT_EQ(cut_and_compare(ipv4_frame(6, tcp_header(0), 0, 8), "ip options"), 14u + 28 + 20);
    // UDP: the 8-byte header, never the probe's payload.
    EXPECT_EQ(cut_and_compare(ipv4_frame(17, udp_header(300), 300), "udp"), 14u + 20 + 8);
    // ICMP echo: 8 bytes; an error: the quoted IP header and ports too.
    EXPECT_EQ(cut_and_compare(ipv4_frame(1, icmp(false), 56), "icmp echo"), 14u + 20 + 8);
    EXPECT_EQ(cut_and_compare(ipv4_frame(1, icmp(true), 0), "icmp error"), 14u + 20 + 8 + 28);
    // A later fragment: the IP header only.
    EXPECT_EQ(cut_and_compare(ipv4_frame(17, {}, 400, 0, 0x0010), "later fragment"), 14u + 20);
    // GRE (no transport header the telescope reads): the IP header.
    EXPECT_EQ(cut_and_compare(ipv4_frame(47, {}, 100), "gre"), 14u + 20);
    // Total length 0 (segmentation offload): lengths come from the frame, so it is kept whole.
    const auto tso = ipv4_frame(6, tcp_header(0), 100, 0, 0, true);
    EXPECT_EQ(cut_and_compare(tso, "tso"), tso.size());
    // IPv6: TCP after a hop-by-hop header; a first fragment with UDP; a later fragment.
    std::vector<uint8_t> hbh(8, 0);
    hbh[0] = 6;
    auto after = hbh;
    auto t = tcp_header(0);
    after.insert(after.end(), t.begin(), t.end());
    EXPECT_EQ(cut_and_compare(ipv6_frame(0, after, 200), "v6 hbh tcp"), 14u + 40 + 8 + 20);
    std::vector<uint8_t> frag(8, 0);
    frag[0] = 17;
    frag[3] = 0x01;  // M flag, offset 0
    after = frag;
    auto u = udp_header(50);
    after.insert(after.end(), u.begin(), u.end());
    EXPECT_EQ(cut_and_compare(ipv6_frame(44, after, 50), "v6 first fragment"), 14u + 40 + 8 + 8);
    frag[2] = 0x01, frag[3] = 0x00;  // offset 32, no M
    EXPECT_EQ(cut_and_compare(ipv6_frame(44, frag, 300), "v6 later fragment"), 14u + 40 + 8);
}

TEST(SensorHeaderCut, RandomFramesDecodeTheSameAfterTheCut) {
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) {
        // A valid-looking IPv4 or IPv6 frame with random header fields and lengths.
        std::vector<uint8_t> frame = (rng() & 1) ? ipv4_frame(uint8_t(rng() % 3 == 0 ? 1 : rng() % 2 ? 6 : 17),
                                                              tcp_header(4 * (rng() % 4)), rng() % 64, 4 * (rng() % 3))
                                                 : ipv6_frame(uint8_t(rng() % 2 ? 6 : 17), tcp_header(0), rng() % 64);
        for (size_t k = 14; k < frame.size(); ++k)
            if (rng() % 8 == 0) frame[k] = uint8_t(rng());
        frame.resize(14 + rng() % (frame.size() - 13));  // also frames cut by the snap length
        cut_and_compare(frame, "random frame " + std::to_string(i));
        if (HasFailure()) return;
    }
}

// ---- batch encoding -------------------------------------------------------------------------

SensorBatch sample_batch() {
    SensorBatch b;
    b.sensor = "tokyo-1";
    b.seq = 42;
    b.watermark_ns = 1767225600'000000000;
    b.created_ns = 1767225601'000000000;
    b.counters = {100, 80, 3, 1, 2, 4096};
    b.position = "files1\t0\t/cap.pcap|123\t99";
    const auto f1 = ipv4_frame(6, tcp_header(0), 0), f2 = ipv4_frame(17, udp_header(0), 0);
    b.add(1767225600'000000001, uint32_t(f1.size()), kLinkEthernet, f1.data(), uint16_t(f1.size()));
    b.add(1767225600'000000002, 1500, kLinkEthernet, f2.data(), uint16_t(f2.size()));
    return b;
}

TEST(SensorBatchCodec, RoundTrips) {
    const SensorBatch b = sample_batch();
    const std::string bytes = encode_sensor_batch(b);
    const SensorBatch d = decode_sensor_batch(bytes, "test");
    EXPECT_EQ(d.sensor, b.sensor);
    EXPECT_EQ(d.seq, 42u);
    EXPECT_EQ(d.watermark_ns, b.watermark_ns);
    EXPECT_EQ(d.counters.kernel_drops, 3u);
    EXPECT_EQ(d.counters.spool_bytes, 4096u);
    EXPECT_EQ(d.position, b.position);
    ASSERT_EQ(d.packets.size(), 2u);
    EXPECT_EQ(d.packets[1].wirelen, 1500u);
    EXPECT_EQ(d.bytes, b.bytes);
    EXPECT_EQ(encode_sensor_batch(d), bytes);
}

TEST(SensorBatchCodec, DamageIsNamedNeverRead) {
    const std::string bytes = encode_sensor_batch(sample_batch());
    auto error_of = [](const std::string& b) {
        try {
            decode_sensor_batch(b, "batch.bin");
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    // Every truncation and every single-bit flip is refused (by the CRC or a field check).
    for (size_t n = 0; n < bytes.size(); ++n) EXPECT_NE(error_of(bytes.substr(0, n)), "no error") << n;
    for (size_t i = 0; i < bytes.size(); ++i) {
        std::string b = bytes;
        b[i] = char(b[i] ^ 0x10);
        EXPECT_NE(error_of(b), "no error") << i;
    }
    EXPECT_NE(error_of("XXXX" + bytes.substr(4)).find("batch.bin: at byte offset 4: magic"), std::string::npos)
        << error_of("XXXX" + bytes.substr(4));
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 1;
    EXPECT_NE(error_of(flipped).find("CRC-32 mismatch"), std::string::npos);
}

// ---- spool ---------------------------------------------------------------------------------

TEST(SensorSpool, AcknowledgedBatchesGoAndNumberingSurvivesRestarts) {
    TempDir dir;
    {
        SensorSpool spool(dir.path);
        for (int i = 0; i < 3; ++i) {
            SensorBatch b = sample_batch();
            b.position = "files1\t0\tx|1\t" + std::to_string(i);
            spool.append(b);
            EXPECT_EQ(b.seq, uint64_t(i + 1));
        }
        EXPECT_EQ(spool.pending(), (std::vector<uint64_t>{1, 2, 3}));
        EXPECT_THROW(SensorSpool second(dir.path), StoreError);  // one process per spool
        spool.acknowledge_through(2);
        EXPECT_EQ(spool.pending(), (std::vector<uint64_t>{3}));
        EXPECT_EQ(decode_sensor_batch(spool.read(3), "spool").seq, 3u);
    }
    {
        SensorSpool spool(dir.path);  // restart: batch 3 still waits, numbering goes on
        EXPECT_EQ(spool.pending(), (std::vector<uint64_t>{3}));
        EXPECT_EQ(spool.next_seq(), 4u);
        EXPECT_EQ(spool.resume_position(), "files1\t0\tx|1\t2");
        spool.acknowledge_through(3);
    }
    SensorSpool spool(dir.path);  // empty spool: numbering and position from the state file
    EXPECT_TRUE(spool.pending().empty());
    EXPECT_EQ(spool.next_seq(), 4u);
    EXPECT_EQ(spool.resume_position(), "files1\t0\tx|1\t2");
    EXPECT_EQ(spool.resume_watermark(), sample_batch().watermark_ns);
}

// ---- journal and merge -----------------------------------------------------------------------

/// A batch of `sensor` whose packets have the given timestamps (one byte of data each).
std::pair<SensorBatch, std::string> batch_of(const std::string& sensor, uint64_t seq, std::vector<int64_t> ts,
                                             int64_t watermark, bool final = false) {
    SensorBatch b;
    b.sensor = sensor;
    b.seq = seq;
    b.watermark_ns = watermark;
    b.flags = final ? SensorBatch::kFlagFinal : 0;
    for (int64_t t : ts) {
        const uint8_t byte = uint8_t(t);
        b.add(t, 1, kLinkRaw, &byte, 1);
    }
    return {b, encode_sensor_batch(b)};
}

void accept(CenterJournal& j, const std::string& sensor, uint64_t seq, std::vector<int64_t> ts, int64_t watermark,
            int64_t now, bool final = false) {
    auto [b, bytes] = batch_of(sensor, seq, std::move(ts), watermark, final);
    j.accept(b, bytes, "127.0.0.1:1", now);
}

std::vector<int64_t> drain(MergedSensorStream& s, size_t n) {
    std::vector<int64_t> out;
    RawPacket p;
    bool idle = false;
    while (out.size() < n && s.next_or_idle(p, idle))
        if (!idle) out.push_back(p.ts_ns);
    return out;
}

TEST(MergedSensorStream, ReleasesInTimeOrderAndWaitsForSlowSensors) {
    TempDir dir;
    CenterJournal journal(dir.path, {"a", "b"});
    std::atomic<int64_t> now{1'000'000'000'000};
    MergedSensorStream stream(journal, {30, true}, [&] { return now.load(); });
    stream.seek("");
    accept(journal, "a", 1, {10, 20, 30}, 30, now);
    accept(journal, "b", 1, {15, 25}, 25, now);
    // b might still send something older than 30: a's 30 waits.
    EXPECT_EQ(drain(stream, 4), (std::vector<int64_t>{10, 15, 20, 25}));
    accept(journal, "b", 2, {28, 40}, 40, now, true);
    accept(journal, "a", 2, {35}, 50, now, true);
    EXPECT_EQ(drain(stream, 100), (std::vector<int64_t>{28, 30, 35, 40}));
    EXPECT_EQ(stream.late_packets(), 0u);
}

TEST(MergedSensorStream, ASilentSensorHoldsTheMergeOnlyForHoldSeconds) {
    TempDir dir;
    CenterJournal journal(dir.path, {"a", "b"});
    std::atomic<int64_t> now{1'000'000'000'000};
    MergedSensorStream stream(journal, {5, false}, [&] { return now.load(); });
    stream.seek("");
    accept(journal, "b", 1, {}, 5, now);  // b: alive, data up to 5
    accept(journal, "a", 1, {10, 20}, 20, now);
    RawPacket p;
    bool idle = false;
    now += 1'000'000'000;
    ASSERT_TRUE(stream.next_or_idle(p, idle));  // held back by b: the call returns idle
    EXPECT_TRUE(idle);
    now += 6'000'000'000;  // b silent for longer than the hold
    EXPECT_EQ(drain(stream, 2), (std::vector<int64_t>{10, 20}));
    accept(journal, "b", 2, {7}, 7, now);  // b comes back with older data: counted, as late
    EXPECT_EQ(drain(stream, 1), (std::vector<int64_t>{7}));
    EXPECT_EQ(stream.late_packets(), 1u);
}

TEST(MergedSensorStream, ResumesExactlyFromItsPosition) {
    TempDir dir;
    std::string position;
    std::vector<int64_t> first;
    const int64_t now = 1'000'000'000'000;
    {
        CenterJournal journal(dir.path, {"a", "b"});
        MergedSensorStream stream(journal, {30, true}, [&] { return now; });
        stream.seek("");
        accept(journal, "a", 1, {1, 3, 5, 7}, 7, now);
        accept(journal, "b", 1, {2, 4}, 4, now);
        accept(journal, "b", 2, {6, 8}, 8, now, true);
        accept(journal, "a", 2, {9}, 9, now, true);
        first = drain(stream, 5);  // 1 2 3 4 5: a's first batch half read, b's first fully
        position = stream.position();
        stream.committed(position);  // b's batch 1 is counted: its journal file goes
    }
    EXPECT_EQ(first, (std::vector<int64_t>{1, 2, 3, 4, 5}));
    EXPECT_FALSE(fs::exists(dir.path + "/b/00000000000000000001.batch"));
    EXPECT_TRUE(fs::exists(dir.path + "/a/00000000000000000001.batch"));
    // A restarted centre: same journal, resumes at the committed position.
    CenterJournal journal(dir.path, {"a", "b"});
    MergedSensorStream stream(journal, {30, true}, [&] { return now; });
    stream.seek(position);
    EXPECT_EQ(journal.next_expected("b"), 3u);  // resends of b's batches 1 and 2 are duplicates
    auto [dup, dup_bytes] = batch_of("b", 1, {2, 4}, 4);
    EXPECT_EQ(journal.accept(dup, dup_bytes, "x", now), CenterJournal::Accepted::kDuplicate);
    EXPECT_EQ(drain(stream, 100), (std::vector<int64_t>{6, 7, 8, 9}));
}

}  // namespace
}  // namespace iotwatch

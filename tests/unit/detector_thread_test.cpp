// DetectorThread: the detectors see, on their thread, the calls the worker would have made, in its
// order and with its arguments (packets with and without a quoted header, interval ends, source
// hints), across many wraps of the ring; what they emit reaches the worker; a detector's
// exception is rethrown by drain().
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_buffer.h"
#include "detect/detector_thread.h"

namespace iotwatch {
namespace {

// Records interval ends as text and emits a label at each; keeps no state to checkpoint.
class CallRecorder : public Detector {
public:
    std::vector<std::string> calls;
    Scope scope() const override { return Scope::kPerSource; }
    void end_interval(int64_t now_ns, DetectionOutput& out) override {
        calls.push_back("end " + std::to_string(now_ns));
        out.labels.push_back(SourceLabel{});
    }
    void finish(DetectionOutput&) override {}
    void serialize(ByteWriter&) const override {}
    void restore(ByteReader&) override {}
};

// Records every call as text; keeps per source id the last timestamp in its hint word and
// checks it was handed back; throws on a chosen timestamp.
class RecordingDetector final : public CallRecorder {
public:
    uint64_t hint_mismatches = 0;
    uint64_t hint_hits = 0;  // calls handed a hint word set by an earlier call
    int64_t throw_at = -1;
    std::string_view name() const override { return "recording"; }
    bool uses_source_hint() const override { return true; }
    void observe(const DecodedPacket& p, uint64_t dense, DetectionOutput&) override { record(p, dense); }
    void observe_hinted(const DecodedPacket& p, uint64_t dense, uint64_t& hint, DetectionOutput&) override {
        if (p.ts_ns == throw_at) throw std::runtime_error("detector failed");
        if (hint != 0) ++(hint != expected_hint(p) ? hint_mismatches : hint_hits);
        hint = static_cast<uint64_t>(p.ts_ns);
        record(p, dense);
    }

    std::vector<int64_t> last_ts = std::vector<int64_t>(64, 0);

private:
    uint64_t expected_hint(const DecodedPacket& p) const { return static_cast<uint64_t>(last_ts[p.ip_id % 64]); }
    void record(const DecodedPacket& p, uint64_t dense) {
        last_ts[p.ip_id % 64] = p.ts_ns;
        std::string s = "obs " + std::to_string(p.ts_ns) + " " + p.src.to_string() + " " + std::to_string(dense) +
                        " " + std::to_string(p.dport) + " " + std::to_string(p.l4_offset);
        if (p.has_quoted) s += " quoted " + p.quoted.dst.to_string() + " " + std::to_string(p.quoted.dport);
        calls.push_back(s);
    }
};

DecodedPacket packet(int i) {
    DecodedPacket p;
    p.ts_ns = 1000 + i;
    p.ip_version = 4;
    p.protocol = kProtoTcp;
    p.src = IpAddress::v4(0x0A000000u + unsigned(i % 64));
    p.dst = IpAddress::v4(0xC6120000u + unsigned(i % 65536));
    p.ip_id = static_cast<uint16_t>(i % 64);  // the source id, for the detector's hint check
    p.has_l4 = true;
    p.dport = static_cast<uint16_t>(i % 1000);
    p.l4_offset = 34;
    if (i % 7 == 0) {  // an ICMP error quoting a probe: two slots in the ring
        p.protocol = kProtoIcmp;
        p.has_quoted = true;
        p.quoted.dst = IpAddress::v4(0x05060700u + unsigned(i % 3));
        p.quoted.dport = 80;
    }
    return p;
}

TEST(DetectorThread, DetectorsSeeTheWorkersCallsInOrder) {
    RecordingDetector inline_detector, threaded;
    DetectionOutput inline_out, thread_out;
    {
        DetectorThread thread({&threaded}, {}, {}, &threaded, 1024);
        std::vector<uint64_t> hints(64, 0);
        // 200 k packets: the 1 k-entry ring wraps ~220 times (the producer waits for room); a
        // drain now and then.
        for (int i = 0; i < 200000; ++i) {
            const DecodedPacket p = packet(i);
            inline_detector.observe_hinted(p, uint64_t(i) * 3, hints[i % 64], inline_out);
            thread.observe(p, uint64_t(i) * 3, static_cast<uint32_t>(i % 64));
            if (i % 5000 == 4999) {
                inline_detector.end_interval(i, inline_out);
                thread.end_interval(i);
            }
            if (i % 77777 == 0) thread.drain();
        }
        thread.drain();
        thread.take_output(thread_out);
    }
    ASSERT_EQ(threaded.calls.size(), inline_detector.calls.size());
    EXPECT_EQ(threaded.calls, inline_detector.calls);
    EXPECT_EQ(threaded.hint_mismatches, 0u);
    EXPECT_EQ(threaded.hint_hits, 200000u - 64u);  // every call but each source's first kept its word
    EXPECT_EQ(thread_out.labels.size(), 40u);  // one per interval end, all handed over
    EXPECT_NE(threaded.calls[7].find("quoted 5.6.7.1 80"), std::string::npos) << threaded.calls[7];
}

TEST(DetectorThread, PublishesBatchesAndSleepsBetweenThem) {
    RecordingDetector threaded;
    DetectorThread thread({&threaded}, {}, {}, &threaded);  // the default ring
    for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < 10; ++i) thread.observe(packet(round * 10 + i), 0, 0);
        thread.publish();
        if (round % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let it sleep
    }
    thread.drain();
    EXPECT_EQ(threaded.calls.size(), 500u);
}

TEST(DetectorThread, DrainRethrowsADetectorsException) {
    RecordingDetector threaded;
    threaded.throw_at = 1000 + 123;
    DetectorThread thread({&threaded}, {}, {}, &threaded);
    for (int i = 0; i < 1000; ++i) thread.observe(packet(i), 0, 0);
    EXPECT_THROW(thread.drain(), std::runtime_error);
    EXPECT_EQ(threaded.calls.size(), 123u);  // nothing after the failure
    thread.observe(packet(2000), 0, 0);       // later packets are consumed, not processed
    EXPECT_THROW(thread.drain(), std::runtime_error);
}

// Takes digests (Detector::uses_source_ids) and records them, with the announcements, as text.
class DigestRecorder final : public CallRecorder {
public:
    std::string_view name() const override { return "digests"; }
    bool uses_source_ids() const override { return true; }
    void observe(const DecodedPacket&, uint64_t, DetectionOutput&) override { calls.push_back("packet!"); }
    void source_added(uint32_t id, const IpAddress& src) override {
        calls.push_back("add " + std::to_string(id) + " " + src.to_string());
    }
    void source_ids_reset() override { calls.push_back("reset"); }
    void observe_digest(const PacketDigest& d, DetectionOutput&) override {
        calls.push_back("dig " + std::to_string(d.ts_ns) + " " + std::to_string(d.source_id) + " " +
                        std::to_string(d.dst) + " " + std::to_string(d.dport) + " " + std::to_string(d.payload));
    }
};

// Digests go four to an entry: announcements, resets, interval ends and drains between them must
// keep their order, with a thread that sleeps until 100 entries wait (its wake batch) on a ring
// of 256 that wraps and fills. Packets go only to the detector that takes packets.
TEST(DetectorThread, DigestsAndAnnouncementsKeepTheirOrder) {
    DigestRecorder digests, direct;
    RecordingDetector packets;
    DetectionOutput direct_out, thread_out;
    {
        DetectorThread thread({&packets, &digests}, {}, {}, &packets, 256, 10, 100);
        EXPECT_TRUE(thread.takes_packets());
        EXPECT_TRUE(thread.takes_digests());
        uint32_t next_id = 0;
        for (int i = 0; i < 100000; ++i) {
            DecodedPacket p = packet(i);
            p.payload_len = uint32_t(i % 70000);  // saturated at 65,535 in the digest
            if (i % 37 == 0) {  // a new source
                const IpAddress src = IpAddress::v4(0x14000000u + unsigned(i));
                direct.source_added(next_id, src);
                thread.source_added(next_id, src);
                ++next_id;
            }
            const PacketDigest d = PacketDigest::of(p, uint32_t(i % 37));
            direct.observe_digest(d, direct_out);
            thread.observe(p, 0, uint32_t(i % 64));
            thread.observe_digest(d);
            if (i % 1001 == 0) {
                direct.source_ids_reset();
                thread.source_ids_reset();
                next_id = 0;
            }
            if (i % 5000 == 4999) {
                direct.end_interval(i, direct_out);
                thread.end_interval(i);
            }
            if (i % 3 == 0) thread.publish();
            if (i % 33333 == 0) thread.drain();
        }
        for (int i = 0; i < 3; ++i) thread.observe_digest(PacketDigest::of(packet(i), 1));  // an open entry
        for (int i = 0; i < 3; ++i) direct.observe_digest(PacketDigest::of(packet(i), 1), direct_out);
        thread.drain();
        thread.take_output(thread_out);
    }
    ASSERT_EQ(digests.calls.size(), direct.calls.size());
    EXPECT_EQ(digests.calls, direct.calls);
    EXPECT_EQ(packets.calls.size(), 100000u + 20u);  // its packets and interval ends, no digest
    EXPECT_EQ(thread_out.labels.size(), 40u);         // both detectors' interval ends
    EXPECT_EQ(std::count(digests.calls.begin(), digests.calls.end(), "packet!"), 0);
}

}  // namespace
}  // namespace iotwatch

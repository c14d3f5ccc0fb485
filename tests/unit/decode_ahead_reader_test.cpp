#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "capture/capture_file_reader.h"
#include "capture_test_util.h"
#include "core/error.h"
#include "pipeline/decode_ahead_reader.h"

using namespace iotwatch;

namespace {

/// `n` TCP packets from varying sources to varying darknet addresses, 1 ms apart.
testcap::Bytes capture_of(size_t n) {
    std::vector<testcap::Record> recs;
    for (size_t i = 0; i < n; ++i) {
        const uint32_t src = 0x0A000000 + uint32_t(i * 7919 % 100000), dst = 0xC6120000 + uint32_t(i % 65536);
        recs.push_back({1'767'225'600'000'000'000 + int64_t(i) * 1'000'000,
                        testcap::ethernet(testcap::ipv4(src, dst, 6, testcap::tcp(40000, uint16_t(i % 1000), uint32_t(i), 0x02)))});
    }
    return testcap::pcap_file(recs, kLinkEthernet, false, false);
}

/// What the worker would have decoded itself: every record of `bytes`, in order.
std::vector<DecodedPacket> decode_directly(const testcap::Bytes& bytes) {
    auto src = open_capture_buffer("direct", bytes);
    std::vector<DecodedPacket> out;
    RawPacket raw;
    try {
        while (src->next(raw)) {
            out.emplace_back();
            decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, out.back());
        }
    } catch (const InputError&) {
    }
    return out;
}

}  // namespace

// More records than the ring holds (so the reader fills it and sleeps, and is woken), a consumer
// that sometimes dawdles, and sync points that do not fall on batch boundaries: every record
// arrives once, in order, decoded as the worker would have, and each batch ends at a sync point
// exactly when a multiple of sync_records records has been delivered.
TEST(DecodeAheadReader, DeliversEveryRecordInOrderWithSyncPointsAndTheEnd) {
    const size_t n = DecodeAheadReader::kRingBatches * DecodeAheadReader::kBatchPackets * 3 + 123;
    const uint64_t sync_records = 3000;
    const testcap::Bytes bytes = capture_of(n);
    const std::vector<DecodedPacket> expected = decode_directly(bytes);
    ASSERT_EQ(expected.size(), n);

    DecodeAheadReader ahead(open_capture_buffer("ahead", bytes), sync_records);
    size_t got = 0, batches = 0, syncs = 0;
    uint64_t wire = 0;
    for (;;) {
        const DecodeAheadReader::Batch& b = ahead.front();
        ASSERT_LE(b.filled, DecodeAheadReader::kBatchPackets);
        ASSERT_FALSE(b.error);
        for (size_t i = 0; i < b.filled; ++i, ++got) {
            ASSERT_LT(got, n);
            const DecodedPacket& p = b.packets[i];
            ASSERT_EQ(p.ts_ns, expected[got].ts_ns) << got;
            ASSERT_EQ(p.src, expected[got].src) << got;
            ASSERT_EQ(p.dst, expected[got].dst) << got;
            ASSERT_EQ(p.dport, expected[got].dport) << got;
            ASSERT_EQ(p.tcp_seq, expected[got].tcp_seq) << got;
            ASSERT_EQ(p.status, expected[got].status) << got;
            wire += p.ip_bytes + 14;
        }
        // A batch never runs past a sync point, and ends at one exactly when one is reached.
        EXPECT_EQ(b.sync, got % sync_records == 0 && b.filled > 0) << "after " << got << " records";
        syncs += b.sync;
        ++batches;
        if (batches % 97 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let the ring fill
        const bool end = b.end;
        const uint64_t offset = b.offset;
        const uint64_t batch_wire = b.wire_bytes;
        wire -= batch_wire;
        ahead.pop();
        if (end) {
            EXPECT_EQ(offset, bytes.size());
            break;
        }
    }
    EXPECT_EQ(got, n);
    EXPECT_EQ(wire, 0u) << "the batches' wire bytes are their records' lengths";
    EXPECT_EQ(syncs, n / sync_records);
    EXPECT_GT(batches, n / DecodeAheadReader::kBatchPackets);
}

// A capture cut inside a record: the complete records before it arrive, then the last batch
// carries the reader's error, which names the offset of the cut record.
TEST(DecodeAheadReader, ATruncatedCaptureDeliversItsCompleteRecordsThenTheError) {
    const testcap::Bytes whole = capture_of(5000);
    const std::vector<DecodedPacket> all = decode_directly(whole);
    // Records here are of equal length: cut the 4,001st in its middle.
    const size_t record = (whole.size() - 24) / 5000, offset = 24 + 4000 * record;
    const testcap::Bytes cut(whole.begin(), whole.begin() + long(offset + record / 2));
    DecodeAheadReader ahead(open_capture_buffer("cut.pcap", cut), 1 << 18);
    size_t got = 0;
    std::string error;
    for (;;) {
        const DecodeAheadReader::Batch& b = ahead.front();
        for (size_t i = 0; i < b.filled; ++i, ++got) ASSERT_EQ(b.packets[i].ts_ns, all[got].ts_ns);
        if (b.error) {
            EXPECT_TRUE(b.end);
            try {
                std::rethrow_exception(b.error);
            } catch (const InputError& e) {
                error = e.what();
            }
        }
        const bool end = b.end;
        ahead.pop();
        if (end) break;
    }
    EXPECT_EQ(got, 4000u);
    EXPECT_NE(error.find("cut.pcap"), std::string::npos) << error;
    EXPECT_NE(error.find("offset " + std::to_string(offset)), std::string::npos) << error;
}

// A worker that stops early (an interrupt) destroys the reader while it sleeps on a full ring:
// it must wake and end, not hang.
TEST(DecodeAheadReader, StoppingWhileTheReaderWaitsOnAFullRingEnds) {
    const testcap::Bytes bytes = capture_of(DecodeAheadReader::kRingBatches * DecodeAheadReader::kBatchPackets * 2);
    for (int round = 0; round < 3; ++round) {
        DecodeAheadReader ahead(open_capture_buffer("stop", bytes), 1 << 18);
        EXPECT_GT(ahead.front().filled, 0u);
        ahead.pop();
        std::this_thread::sleep_for(std::chrono::milliseconds(round * 40));  // 0: it is still reading
    }
}

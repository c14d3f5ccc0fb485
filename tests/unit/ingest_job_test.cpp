#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "capture_test_util.h"
#include "core/prefix.h"
#include "pipeline/ingest_job.h"
#include "store/store.h"

using namespace iotwatch;

namespace {

/// A stream of `n` TCP SYNs into 198.18.0.0/24 whose checkpoint (before_commit) takes `commit_ms`,
/// like a store under load.
class SlowCommitStream : public ResumablePacketStream {
public:
    SlowCommitStream(size_t n, int commit_ms) : commit_ms_(commit_ms) {
        for (size_t i = 0; i < n; ++i)
            frames_.push_back(testcap::ethernet(testcap::ipv4(0x0A000001 + uint32_t(i % 50), 0xC6120000 + uint32_t(i % 256), 6,
                                                              testcap::tcp(40000, 23, uint32_t(i), 0x02))));
    }
    bool next(RawPacket& out) override {
        if (index_ >= frames_.size()) return false;
        // A pause every 100 packets makes a checkpoint due (as a quiet spell of the sensors would).
        if (index_ % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const auto& f = frames_[index_];
        out = RawPacket{};
        out.ts_ns = 1'767'225'600'000'000'000 + int64_t(index_) * 1'000'000;
        out.caplen = out.wirelen = uint32_t(f.size());
        out.linktype = 1;  // Ethernet
        out.data = f.data();
        ++index_;
        return true;
    }
    std::string current_name() const override { return "slow-commit-stream"; }
    uint64_t current_offset() const override { return 0; }
    void seek(const std::string& position) override { index_ = position.empty() ? 0 : std::stoul(position); }
    std::string position() const override { return std::to_string(index_); }
    void before_commit(Store&) override {
        ++commits;
        std::this_thread::sleep_for(std::chrono::milliseconds(commit_ms_));
    }
    size_t commits = 0;

private:
    std::vector<testcap::Bytes> frames_;
    size_t index_ = 0;
    int commit_ms_;
};

}  // namespace

// A checkpoint slower than --checkpoint-interval must not make the next one due at once: the
// interval counts from the end of the previous checkpoint. (Before the fix the loop wrote one
// checkpoint per packet after the first pause.)
TEST(IngestJob, SlowCheckpointsDoNotStarveTheStream) {
    char path[] = "/tmp/iotwatch-ingest-job-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    {
        auto store = open_store(path);
        Darknet darknet({{"default", {*Prefix::parse("198.18.0.0/24")}}});
        SlowCommitStream stream(300, 30);
        IngestOptions options;
        options.stream = &stream;
        options.checkpoint_seconds = 0.01;
        IngestJob job(options, darknet, *store);
        std::ostringstream log;
        const IngestResult result = job.run(nullptr, log);
        EXPECT_EQ(result.frames, 300u);
        // One checkpoint after each of the three pauses and the final one; without the fix, one
        // per packet after the first pause (about 200). Slack for slow (sanitizer) builds, where
        // 100 packets might take longer than the 10 ms interval.
        EXPECT_LE(stream.commits, 30u);
        EXPECT_GE(stream.commits, 3u);
    }
    std::remove(path);
    std::remove((std::string(path) + "-wal").c_str());
    std::remove((std::string(path) + "-shm").c_str());
}

namespace {

/// Every row of the telescope's tables, as sorted text lines.
std::vector<std::string> dump_tables(const std::string& db) {
    std::vector<std::string> rows;
    sqlite3* raw = nullptr;
    if (sqlite3_open(db.c_str(), &raw) != SQLITE_OK) return rows;
    for (const char* table : {"class_bin", "port_bin", "source_day", "bin_meta", "sensor_bin"}) {
        sqlite3_stmt* q = nullptr;
        if (sqlite3_prepare_v2(raw, (std::string("SELECT * FROM ") + table).c_str(), -1, &q, nullptr) != SQLITE_OK) {
            rows.push_back(std::string("cannot read ") + table);
            continue;
        }
        while (sqlite3_step(q) == SQLITE_ROW) {
            std::string line = table;
            for (int c = 0; c < sqlite3_column_count(q); ++c) {
                const unsigned char* text = sqlite3_column_text(q, c);
                line += " " + (text ? std::string(reinterpret_cast<const char*>(text)) : std::string("NULL"));
            }
            rows.push_back(line);
        }
        sqlite3_finalize(q);
    }
    sqlite3_close(raw);
    std::sort(rows.begin(), rows.end());
    return rows;
}

void remove_db(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

}  // namespace

// `ingest --threads N` without detectors: each worker decodes only its own sources' packets and
// passes on just the timestamps of the others that open a later bin. It must store exactly what
// one worker stores: timestamps out of order across 5-min, hour and day edges, IPv4 and IPv6
// sources, non-IP, truncated and undecodable frames, packets outside the darknet, with a dense
// (IPv4) darknet and a sparse one (an IPv6 prefix too), whose destination counts RowMerger unites.
TEST(IngestJob, WorkersSkippingOtherWorkersPacketsStoreWhatOneWorkerStores) {
    using namespace testcap;
    std::mt19937 rng(11);
    std::vector<Record> recs;
    int64_t t = 1'767'225'600'000'000'000 - 2 * 3600 * 1'000'000'000LL;  // two hours before a day ends
    auto v6 = [](uint16_t tail, bool darknet, const Bytes& l4, uint8_t next) {
        Bytes b = {0x60, 0, 0, 0};
        put16(b, uint16_t(l4.size()));
        b.push_back(next);
        b.push_back(64);
        const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, uint8_t(tail >> 8), uint8_t(tail)};
        const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, uint8_t(darknet ? 0 : 9), 0, 0, 0, 0, 0, 0, 0, uint8_t(tail % 7)};
        b.insert(b.end(), src, src + 16);
        b.insert(b.end(), dst, dst + 16);
        b.insert(b.end(), l4.begin(), l4.end());
        return ethernet(b, 0x86DD);
    };
    for (int i = 0; i < 30000; ++i) {
        t += int64_t(rng() % 1500) * 1'000'000;  // ~12.5 h in all: past the day's end
        int64_t ts = t;
        if (rng() % 40 == 0) ts -= int64_t(rng() % 900) * 1'000'000'000LL;  // late, often by a bin or more
        const uint32_t src = 0x0A000000 | (rng() % 4) << 16 | (rng() % 300);
        const uint32_t dst = rng() % 10 ? 0xC6120000 | (rng() % 256) : 0xCB007100 | (rng() % 256);
        const Bytes l4 = rng() % 4 ? tcp(uint16_t(1024 + rng() % 50000), uint16_t(rng() % 3 ? 23 : rng() % 30),
                                         uint32_t(rng()), uint8_t(rng() % 64))
                                   : udp(uint16_t(rng()), uint16_t(rng() % 40));
        Bytes frame;
        switch (rng() % 25) {
        case 0: frame = ethernet(Bytes(28, 0), 0x0806); break;                      // not IP
        case 1: frame = ethernet(ipv4(src, dst, 6, l4)); frame.resize(14 + 12); break;  // IP header cut
        case 2: frame = ethernet(ipv4(src, dst, 6, l4)); frame.resize(14 + 20 + 6); break;  // TCP cut
        case 3: frame = ethernet(ipv4(src, dst, 6, l4)); frame[14] = 0x43; break;  // IHL < 5
        case 4:
        case 5: frame = v6(uint16_t(rng() % 200), rng() % 8 != 0, l4, rng() % 4 ? 6 : 17); break;
        default: frame = ethernet(ipv4(src, dst, rng() % 4 ? 6 : 17, l4)); break;
        }
        recs.push_back({ts, frame});
    }
    const std::string capture = temp_file(pcap_file(recs, kLinkEthernet, false, true), ".pcap");
    ASSERT_FALSE(capture.empty());
    const std::vector<std::pair<const char*, std::vector<std::string>>> darknets = {
        {"dense", {"198.18.0.0/24"}}, {"sparse", {"198.18.0.0/24", "2001:db8::/64"}}};
    for (const auto& [kind, prefixes] : darknets) {
        std::vector<Prefix> ps;
        for (const auto& p : prefixes) ps.push_back(*Prefix::parse(p));
        Darknet darknet({{"default", ps}});
        EXPECT_EQ(darknet.dense(), std::string(kind) == "dense");
        std::vector<std::vector<std::string>> dumps;
        // One worker with the (source, destination) pairs sorted at the checkpoint only, and
        // with them sorted on a thread of their own as chunks fill (SourcePairLog), each with its
        // records decoded by itself; then with them decoded on a thread of their own
        // (DecodeAheadReader); then 2, 3 workers.
        using Mode = IngestOptions::DetectorThreadMode;
        struct Run {
            unsigned threads;
            Mode pair_sort, decode;
        };
        const Run runs[] = {{1u, Mode::kOff, Mode::kOff},
                            {1u, Mode::kOn, Mode::kOff},
                            {2u, Mode::kAuto, Mode::kAuto},
                            {3u, Mode::kAuto, Mode::kAuto},
                            {1u, Mode::kOff, Mode::kOn},
                            {1u, Mode::kOn, Mode::kOn}};
        for (const auto& [threads, pair_sort, decode] : runs) {
            const std::string db = capture + "." + kind + std::to_string(threads) + ".db";
            remove_db(db);
            {
                auto store = open_store(db);
                IngestOptions options;
                options.inputs = {capture};
                options.threads = threads;
                options.pair_sort_thread = pair_sort;
                options.decode_thread = decode;
                IngestJob job(options, darknet, *store);
                std::ostringstream log;
                const IngestResult result = job.run(nullptr, log);
                EXPECT_EQ(result.frames, recs.size()) << kind << " " << threads;
                EXPECT_EQ(result.threads, threads);
                // Only one worker has a decode thread (--decode-thread on is ignored with several).
                EXPECT_EQ(result.decode_thread,
                          threads == 1 && (decode == Mode::kOn ||
                                           (decode == Mode::kAuto && std::thread::hardware_concurrency() >= 2)));
            }
            dumps.push_back(dump_tables(db));
            remove_db(db);
        }
        ASSERT_GT(dumps[0].size(), 1000u) << kind;
        // The comparison covers unique-destination counts (class_bin's last column), which the
        // workers' marks must be united for, at the day level too.
        EXPECT_TRUE(std::any_of(dumps[0].begin(), dumps[0].end(), [](const std::string& r) {
            return r.rfind("class_bin ", 0) == 0 && r.find(" 86400 ") != std::string::npos &&
                   r.substr(r.rfind(' ') + 1) != "0";
        }));
        EXPECT_EQ(dumps[0], dumps[1]) << kind << ": pairs sorted in the background";
        EXPECT_EQ(dumps[0], dumps[2]) << kind;
        EXPECT_EQ(dumps[0], dumps[3]) << kind;
        EXPECT_EQ(dumps[0], dumps[4]) << kind << ": records decoded on a thread of their own";
        EXPECT_EQ(dumps[0], dumps[5]) << kind << ": ... with the pairs sorted in the background";
    }
    std::remove(capture.c_str());
}

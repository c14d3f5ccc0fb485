#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "capture/capture_file_reader.h"
#include "capture/packet_source.h"
#include "capture/raw_packet.h"
#include "capture_test_util.h"
#include "core/error.h"

using namespace iotwatch;
using namespace testcap;

namespace {

struct Got {
    int64_t ts;
    uint32_t caplen, wirelen;
    uint16_t linktype;
    Bytes data;
    bool operator==(const Got&) const = default;
};

std::vector<Got> read_all(const std::string& path, ReaderKind kind, std::string* error = nullptr) {
    std::vector<Got> out;
    try {
        auto src = open_capture_file(path, kind);
        RawPacket r;
        while (src->next(r)) out.push_back({r.ts_ns, r.caplen, r.wirelen, r.linktype, Bytes(r.data, r.data + r.caplen)});
    } catch (const InputError& e) {
        if (error) *error = e.what();
        else ADD_FAILURE() << e.what();
    }
    return out;
}

std::vector<Record> sample_records(int n) {
    std::vector<Record> recs;
    for (int i = 0; i < n; ++i) {
        Bytes f = ethernet(ipv4(0x01020300 + i, 0xC6120000 + i, 6, tcp(uint16_t(1000 + i), 23, 0xC6120000 + i, 0x02)));
        recs.push_back({1767225600LL * 1000000000LL + int64_t(i) * 1234567891LL, f});
    }
    // One record cut by the snap length.
    recs.back().wirelen = uint32_t(recs.back().data.size() + 100);
    return recs;
}

Bytes gzip(const Bytes& in) {
    z_stream zs{};
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    Bytes out(deflateBound(&zs, in.size()) + 64);
    zs.next_in = const_cast<uint8_t*>(in.data());
    zs.avail_in = uInt(in.size());
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

Bytes zstd(const Bytes& in) {
    Bytes out(ZSTD_compressBound(in.size()));
    out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
    return out;
}

}  // namespace

// Our walker against libpcap's pcap_next_ex on each classic variant: every field, every byte.
TEST(CaptureReader, ClassicPcapVariantsEqualLibpcap) {
    auto recs = sample_records(50);
    for (bool be : {false, true})
        for (bool ns : {false, true}) {
            std::string path = temp_file(pcap_file(recs, kLinkEthernet, be, ns));
            auto ours = read_all(path, ReaderKind::kAuto);
            auto ref = read_all(path, ReaderKind::kLibpcap);
            ASSERT_EQ(ours.size(), 50u);
            EXPECT_EQ(ours, ref) << "big_endian=" << be << " ns=" << ns;
            EXPECT_EQ(ours[1].ts, recs[1].ts_ns / (ns ? 1 : 1000) * (ns ? 1 : 1000));
            EXPECT_EQ(ours.back().wirelen, ours.back().caplen + 100);
            std::remove(path.c_str());
        }
}

TEST(CaptureReader, PcapngEqualsLibpcapAndHandlesResolutions) {
    Pcapng ng;
    ng.section(false);
    ng.interface(kLinkEthernet, 9);  // nanoseconds
    ng.unknown_block();
    auto recs = sample_records(20);
    for (auto& r : recs) ng.packet(0, uint64_t(r.ts_ns), r.data, r.wirelen);
    std::string path = temp_file(ng.bytes());
    auto ours = read_all(path, ReaderKind::kAuto);
    auto ref = read_all(path, ReaderKind::kLibpcap);
    ASSERT_EQ(ours.size(), 20u);
    EXPECT_EQ(ours, ref);
    EXPECT_EQ(ours[3].ts, recs[3].ts_ns);
    std::remove(path.c_str());
}

// Two sections of different byte order, interfaces of different link types and resolutions
// (2^-20 s, microseconds with an offset), a simple packet block: libpcap cannot read mixed link
// types, so the expectations are computed by hand.
TEST(CaptureReader, PcapngSectionsInterfacesAndSimplePackets) {
    Bytes f = ethernet(ipv4(1, 2, 17, udp(1, 2)));
    Bytes raw = ipv4(3, 4, 6, tcp(5, 6, 7, 0x02));
    Pcapng ng;
    ng.section(false);
    ng.interface(kLinkEthernet, 0x80 | 20);  // 2^-20 s units
    ng.interface(kLinkRaw, 6, 1000);         // microseconds, +1000 s
    ng.packet(0, (uint64_t(5) << 20) + (1 << 19), f);  // 5.5 s
    ng.packet(1, 2500000, raw);                        // 2.5 s + 1000 s
    ng.section(true);                                  // big-endian section: interfaces reset
    ng.interface(kLinkLinuxSll2, 9);
    ng.simple_packet(Bytes(24, 0x11));
    ng.packet(0, 7, Bytes(30, 0x22));
    std::string path = temp_file(ng.bytes());
    auto got = read_all(path, ReaderKind::kAuto);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0].ts, 5500000000LL);
    EXPECT_EQ(got[0].linktype, kLinkEthernet);
    EXPECT_EQ(got[0].data, f);
    EXPECT_EQ(got[1].ts, 1002500000000LL);
    EXPECT_EQ(got[1].linktype, kLinkRaw);
    EXPECT_EQ(got[1].data, raw);
    EXPECT_EQ(got[2].linktype, kLinkLinuxSll2);
    EXPECT_EQ(got[2].caplen, 24u);
    EXPECT_EQ(got[3].ts, 7);
    EXPECT_EQ(got[3].caplen, 30u);
    std::remove(path.c_str());

    Pcapng bad;
    bad.section(false);
    bad.packet(3, 1, f);  // no such interface
    path = temp_file(bad.bytes());
    std::string err;
    EXPECT_TRUE(read_all(path, ReaderKind::kAuto, &err).empty());
    EXPECT_NE(err.find("interface 3"), std::string::npos) << err;
    std::remove(path.c_str());

    // A time beyond what an int64 of nanoseconds can hold (1-second units, 2^40 s) is a clear
    // error at its record, after the good one before it; it used to overflow into a wrong time.
    Pcapng far;
    far.section(false);
    far.interface(kLinkRaw, 0);  // 10^0: 1-second units
    far.packet(0, 1000, raw);
    far.packet(0, uint64_t(1) << 40, raw);
    path = temp_file(far.bytes());
    err.clear();
    got = read_all(path, ReaderKind::kAuto, &err);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].ts, 1000 * 1000000000LL);
    EXPECT_NE(err.find("out of range"), std::string::npos) << err;
    std::remove(path.c_str());
}

TEST(CaptureReader, GzipZstdAndConcatenatedGzipEqualPlain) {
    auto recs = sample_records(300);
    Bytes plain = pcap_file(recs, kLinkEthernet, false, true);
    std::string p = temp_file(plain), gz = temp_file(gzip(plain)), zs = temp_file(zstd(plain));
    auto ref = read_all(p, ReaderKind::kAuto);
    ASSERT_EQ(ref.size(), 300u);
    EXPECT_EQ(read_all(gz, ReaderKind::kAuto), ref);
    EXPECT_EQ(read_all(zs, ReaderKind::kAuto), ref);
    // Two concatenated gzip members are one stream, as gzip -d reads them.
    Bytes half1(plain.begin(), plain.begin() + 1000), half2(plain.begin() + 1000, plain.end());
    Bytes cat = gzip(half1);
    Bytes g2 = gzip(half2);
    cat.insert(cat.end(), g2.begin(), g2.end());
    std::string catp = temp_file(cat);
    EXPECT_EQ(read_all(catp, ReaderKind::kAuto), ref);
    for (auto& f : {p, gz, zs, catp}) std::remove(f.c_str());
}

// Cut a capture at every byte offset: no crash, the packets returned are exactly the complete
// records before the cut, and the error names the offset of the first incomplete record.
TEST(CaptureReader, TruncationAtEveryOffsetKeepsCompleteRecords) {
    auto recs = sample_records(6);
    for (bool ng : {false, true}) {
        Bytes full;
        std::vector<size_t> ends;  // file offset where each record ends
        if (ng) {
            Pcapng w;
            w.section(false);
            w.interface(kLinkEthernet, 9);
            size_t start = w.bytes().size();
            for (auto& r : recs) {
                w.packet(0, uint64_t(r.ts_ns), r.data);
                ends.push_back(w.bytes().size());
            }
            (void)start;
            full = w.bytes();
        } else {
            full = pcap_file(recs, kLinkEthernet, false, false);
            size_t pos = 24;
            for (auto& r : recs) ends.push_back(pos += 16 + r.data.size());
        }
        const size_t header = ng ? ends[0] - (ends[1] - ends[0]) : 24;
        for (size_t cut = header; cut <= full.size(); ++cut) {
            Bytes part(full.begin(), full.begin() + long(cut));
            auto src = open_capture_buffer("cut", part);
            RawPacket r;
            size_t n = 0;
            std::string err;
            try {
                while (src->next(r)) ++n;
            } catch (const InputError& e) {
                err = e.what();
            }
            size_t complete = 0;
            while (complete < ends.size() && ends[complete] <= cut) ++complete;
            ASSERT_EQ(n, complete) << "cut at " << cut << " pcapng=" << ng;
            const size_t boundary = complete == 0 ? header : ends[complete - 1];
            if (cut == boundary) {
                EXPECT_TRUE(err.empty()) << err;
            } else {
                EXPECT_NE(err.find("offset " + std::to_string(boundary)), std::string::npos) << cut << ": " << err;
            }
        }
    }
}

TEST(CaptureReader, BadHeadersAndRecordsAreClearErrors) {
    auto error_of = [](const Bytes& b) {
        std::string err;
        try {
            auto src = open_capture_buffer("x.pcap", b);
            RawPacket r;
            while (src->next(r)) {
            }
        } catch (const InputError& e) {
            err = e.what();
        }
        return err;
    };
    EXPECT_NE(error_of({}).find("empty file"), std::string::npos);
    EXPECT_NE(error_of(Bytes(40, 'A')).find("not a pcap or pcapng file"), std::string::npos);
    auto recs = sample_records(2);
    Bytes b = pcap_file(recs, kLinkEthernet, false, false);
    b[24 + 8] = 0xFF, b[24 + 9] = 0xFF, b[24 + 10] = 0xFF;  // caplen of record 0: huge
    std::string e = error_of(b);
    EXPECT_NE(e.find("offset 24"), std::string::npos) << e;
    EXPECT_NE(e.find("caplen"), std::string::npos) << e;
    Pcapng ng;
    ng.section(false);
    Bytes nb = ng.bytes();
    nb.insert(nb.end(), {6, 0, 0, 0, 13, 0, 0, 0});  // block length 13: not a multiple of 4
    nb.resize(nb.size() + 8, 0);
    e = error_of(nb);
    EXPECT_NE(e.find("block length 13"), std::string::npos) << e;
    std::string path = temp_file({});
    std::string err;
    EXPECT_TRUE(read_all(path, ReaderKind::kAuto, &err).empty());
    EXPECT_NE(err.find(path), std::string::npos);
    std::remove(path.c_str());
    EXPECT_THROW(open_capture_file("/nonexistent/x.pcap"), InputError);
}

TEST(CaptureDirectory, OrdersFilesByFirstTimestampAndPutsBadOnesLast) {
    char dir[] = "/tmp/iotwatch-dir-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir));
    auto rec_at = [](int64_t s) {
        return std::vector<Record>{{s * 1000000000LL, ethernet(ipv4(1, 2, 17, udp(1, 2)))}};
    };
    auto write = [&](const std::string& name, const Bytes& b) {
        FILE* f = std::fopen((std::string(dir) + "/" + name).c_str(), "wb");
        std::fwrite(b.data(), 1, b.size(), f);
        std::fclose(f);
    };
    write("a.pcap", pcap_file(rec_at(300), kLinkEthernet, false, false));
    write("b.pcap", pcap_file(rec_at(100), kLinkEthernet, true, false));
    write("c.pcap.gz", gzip(pcap_file(rec_at(200), kLinkEthernet, false, true)));
    write("broken.pcap", Bytes(10, 1));
    write(".hidden.pcap", pcap_file(rec_at(50), kLinkEthernet, false, false));
    auto files = list_capture_directory(dir);
    ASSERT_EQ(files.size(), 4u);
    EXPECT_NE(files[0].find("b.pcap"), std::string::npos);
    EXPECT_NE(files[1].find("c.pcap.gz"), std::string::npos);
    EXPECT_NE(files[2].find("a.pcap"), std::string::npos);
    EXPECT_NE(files[3].find("broken.pcap"), std::string::npos);
    for (auto& f : files) std::remove(f.c_str());
    std::remove((std::string(dir) + "/.hidden.pcap").c_str());
    rmdir(dir);
}

TEST(CaptureLive, OpensLoopbackAndStopsOnRequest) {
    std::unique_ptr<PacketSource> src;
    try {
        src = open_live_capture("lo", 65535, "udp port 9");
    } catch (const InputError& e) {
        GTEST_SKIP() << "live capture not permitted here: " << e.what();
    }
    std::atomic<bool> returned{false};
    std::thread t([&] {
        RawPacket r;
        while (src->next(r)) {
        }
        returned = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    src->request_stop();
    for (int i = 0; i < 30 && !returned; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(returned.load());
    t.join();
    (void)src->drop_stats();
}

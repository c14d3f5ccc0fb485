// Writes the checkpoint fuzz seeds (fuzz/corpus/checkpoint/) in the current snapshot format:
// a small aggregator state with and without detection. Rerun after changing the snapshot format:
//   g++ -std=c++20 -O1 -Isrc -Ibuild/generated fuzz/tools/make_checkpoint_seeds.cpp build/libiotwatch.a \
//     $(pkg-config --libs libpcap libzstd sqlite3 libmaxminddb) -lsvm -lz -lcrypto -o /tmp/mkseed && /tmp/mkseed fuzz/corpus/checkpoint
#include <fstream>
#include <string>

#include "telescope/telescope_aggregator.h"

namespace {
struct NullSink : iotwatch::BinSink {
    void on_rows(const iotwatch::BinRows&, bool) override {}
};
}  // namespace

int main(int argc, char** argv) {
    using namespace iotwatch;
    if (argc != 2) return 2;
    const Darknet darknet({{"s", {*Prefix::parse("198.18.0.0/24")}}});
    NullSink sink;
    for (bool detect : {false, true}) {
        TelescopeAggregator agg(darknet, sink);
        if (detect) agg.enable_detection();
        for (uint32_t i = 0; i < 64; ++i) {
            DecodedPacket p;
            p.ts_ns = (1767225600LL + i * 7) * 1000000000LL;
            p.ip_version = 4;
            p.protocol = i % 3 ? kProtoTcp : kProtoUdp;
            p.has_l4 = true;
            p.tcp_flags = i % 5 ? kTcpSyn : kTcpSyn | kTcpAck;
            p.src = IpAddress::v4(0x01020300 + i % 7);
            p.dst = IpAddress::v4(0xC6120000 + i);
            p.dport = static_cast<uint16_t>(23 + i % 6);  // up to six ports a source: inline and logged pairs
            p.ip_bytes = 60;
            agg.process(p);
        }
        agg.flush_open();
        std::ofstream(std::string(argv[1]) + (detect ? "/small-state-detect.bin" : "/small-state.bin"), std::ios::binary)
            << agg.serialize();
    }
    return 0;
}

// libFuzzer target: TelescopeAggregator::restore() on arbitrary bytes (a checkpoint read back from
// a damaged database). It must throw InputError/ConfigError or restore a state that then works.
// The same bytes go to the SVM detector's feature window (DdosFeatureExtractor::restore), keyed
// by address and by source number, which the aggregators here do not run (it needs a model file).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/byte_buffer.h"
#include "core/error.h"
#include "detect/ddos_features.h"
#include "telescope/telescope_aggregator.h"

namespace {
struct NullSink : iotwatch::BinSink {
    void on_rows(const iotwatch::BinRows&, bool) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    static const Darknet darknet({{"s", {*Prefix::parse("198.18.0.0/24")}}});
    static NullSink sink;
    // Built once (construction zeroes megabytes of per-bin arrays); restore() resets everything it
    // restores, also after a failed restore. Two of them, with and without detection, so the
    // detectors' restore is fuzzed too: the snapshot says which one it needs.
    static std::unique_ptr<TelescopeAggregator> plain = std::make_unique<TelescopeAggregator>(darknet, sink);
    static std::unique_ptr<TelescopeAggregator> detecting = [] {
        auto a = std::make_unique<TelescopeAggregator>(darknet, sink);
        a->enable_detection();
        return a;
    }();
    const std::string blob(reinterpret_cast<const char*>(data), size);
    for (TelescopeAggregator* agg : {plain.get(), detecting.get()}) {
        try {
            agg->restore(blob);
        } catch (const InputError&) {
            continue;
        } catch (const ConfigError&) {
            continue;
        }
        DecodedPacket p;
        p.ts_ns = 1767225600LL * 1000000000LL;
        p.ip_version = 4;
        p.protocol = kProtoTcp;
        p.has_l4 = true;
        p.tcp_flags = kTcpSyn;
        p.src = IpAddress::v4(0x01020304);
        p.dst = IpAddress::v4(0xC6120001);
        agg->process(p);
        agg->flush_open();
    }
    try {
        DdosFeatureExtractor features(600, 1);
        ByteReader r(blob, "fuzz input");
        features.restore(r);
        DecodedPacket p;
        p.ts_ns = 1767225600LL * 1000000000LL;
        p.src = IpAddress::v4(0x01020304);
        p.dst = IpAddress::v4(0xC6120001);
        uint64_t emitted = 0;
        features.add(p, [&](const SourceWindow&) { ++emitted; });
        features.finish([&](const SourceWindow&) { ++emitted; });
    } catch (const InputError&) {
    }
    try {
        // As the aggregator drives it (sources by number): restored sources, then numbers
        // announced, a packet, a renumbering with another source under number 0, a checkpoint.
        DdosFeatureExtractor features(600, 1, DdosFeatureExtractor::SourceKeys::kSourceIds);
        ByteReader r(blob, "fuzz input");
        features.restore(r);
        features.add_source(0, IpAddress::v4(0x01020304));
        features.add_source(1, IpAddress::from_halves(~0ULL, ~0ULL));
        DecodedPacket p;
        p.ts_ns = 1767225600LL * 1000000000LL;
        p.dst = IpAddress::v4(0xC6120001);
        uint64_t emitted = 0;
        auto count = [&](const SourceWindow&) { ++emitted; };
        features.add(PacketDigest::of(p, 1), count);
        features.reset_source_ids();
        features.add_source(0, IpAddress::v4(0x05060708));
        features.add(PacketDigest::of(p, 0), count);
        features.add(PacketDigest::of(p, 7), count);  // never announced
        ByteWriter w;
        features.serialize(w);
        features.finish(count);
    } catch (const InputError&) {
    }
    return 0;
}

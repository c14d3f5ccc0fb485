// libFuzzer target: TelescopeAggregator::restore() on arbitrary bytes (a checkpoint read back from
// a damaged database). It must throw InputError/ConfigError or restore a state that then works.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "telescope/telescope_aggregator.h"

namespace {
struct NullSink : iotwatch::BinSink {
    void on_rows(const iotwatch::BinRows&, bool) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    static const Darknet darknet({{"s", {*Prefix::parse("198.18.0.0/24")}}});
    // One aggregator for all runs (construction zeroes megabytes of per-bin arrays); restore()
    // resets everything it restores, also after a failed restore.
    static NullSink sink;
    static TelescopeAggregator agg(darknet, sink);
    std::string blob(reinterpret_cast<const char*>(data), size);
    try {
        agg.restore(blob);
    } catch (const InputError&) {
        return 0;
    } catch (const ConfigError&) {
        return 0;
    }
    DecodedPacket p;
    p.ts_ns = 1767225600LL * 1000000000LL;
    p.ip_version = 4;
    p.protocol = kProtoTcp;
    p.has_l4 = true;
    p.src = IpAddress::v4(0x01020304);
    p.dst = IpAddress::v4(0xC6120001);
    agg.process(p);
    agg.flush_open();
    return 0;
}

// libFuzzer: datagrams on serve's --live-from port (anything a local process may send there).
#include <cstddef>
#include <cstdint>

#include "pipeline/live_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string why;
    if (auto e = iotwatch::LiveEvent::decode(data, size, &why)) {
        const std::string again = e->encode();
        if (again.size() != iotwatch::LiveEvent::kWireSize) __builtin_trap();
        auto back = iotwatch::LiveEvent::decode(reinterpret_cast<const uint8_t*>(again.data()), again.size());
        if (!back || back->ts_ns != e->ts_ns || back->dport != e->dport || !(back->src == e->src)) __builtin_trap();
    }
    return 0;
}

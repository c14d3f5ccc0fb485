// libFuzzer: TelnetLogin must never crash or grow without bound on whatever a peer sends, however
// the bytes are split across reads (the first byte chooses the split size).
#include <cstddef>
#include <cstdint>
#include <string>

#include "survey/telnet_login.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t chunk = 1 + data[0] % 16;
    iotwatch::TelnetLogin t(std::string("root"), std::string("xc3511"));
    std::string reply;
    for (size_t i = 1; i < size; i += chunk) {
        const size_t n = std::min(chunk, size - i);
        t.feed(std::string_view(reinterpret_cast<const char*>(data + i), n), reply);
        if (t.text().size() > 16384) __builtin_trap();
        if (reply.size() > 3 * size + 64) __builtin_trap();  // answers are bounded by what was received
    }
    t.on_eof();
    return 0;
}

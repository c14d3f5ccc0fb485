// libFuzzer target: the capture reader (pcap and pcapng walkers) on arbitrary bytes. Every input
// must end in packets and/or one InputError; every returned packet must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "capture/capture_file_reader.h"
#include "capture/decoded_packet.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    std::vector<uint8_t> bytes(data, data + size);
    try {
        auto src = open_capture_buffer("fuzz", bytes);
        RawPacket r;
        DecodedPacket p;
        uint64_t n = 0;
        while (src->next(r)) {
            if (r.caplen > size) std::abort();  // a record can never be larger than the input
            decode_packet(r.linktype, r.data, r.caplen, r.wirelen, r.ts_ns, p);
            if (++n > size) std::abort();      // no record is empty: more records than bytes means a loop
        }
    } catch (const InputError&) {
    }
    return 0;
}

// libFuzzer: a sensor batch as the centre receives it (HTTPS body) or reads it back from its
// journal (src/sensor/sensor_batch.h). Any bytes decode or end in an InputError, never a crash or a
// read past the buffer. The first byte picks the mode: even, the bytes as they are (the CRC-32 must
// match); odd, the rest with a correct CRC-32 appended, so the fuzzer reaches the field parser
// behind the checksum. A batch that decodes must encode back to the same bytes.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "capture/decoded_packet.h"
#include "core/error.h"
#include "sensor/sensor_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) {
        const uint32_t crc =
            static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
        bytes.append(reinterpret_cast<const char*>(&crc), 4);
    }
    try {
        const iotwatch::SensorBatch b = iotwatch::decode_sensor_batch(bytes, "fuzz");
        if (iotwatch::encode_sensor_batch(b) != bytes) std::abort();
        iotwatch::DecodedPacket pkt;
        for (const auto& p : b.packets) {
            iotwatch::decode_packet(p.linktype, b.data(p), p.caplen, p.wirelen, p.ts_ns, pkt);
            if (iotwatch::header_bytes(pkt, b.data(p), p.caplen) > p.caplen) std::abort();
        }
    } catch (const iotwatch::InputError&) {
    }
    return 0;
}

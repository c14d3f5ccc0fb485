// NetflowV5Decoder: Cisco NetFlow v5 (24-byte header, 48-byte IPv4 records, times relative to the
// router's uptime, sequence counting flows). Stateless apart from the exporter state it updates.
#pragma once
#include <cstddef>
#include <cstdint>

#include "flows/collector_state.h"

namespace iotwatch {

class NetflowV5Decoder {
public:
    static constexpr size_t kHeaderLength = 24;
    static constexpr size_t kRecordLength = 48;
    /// Decodes one message from `exporter`, appending records to state.records. A message shorter
    /// than its header's record count promises is an error naming the offset; the complete records
    /// before it are kept. Never reads outside [data, data+len).
    static void decode(CollectorState& state, const uint8_t* data, size_t len, const IpAddress& exporter, int64_t now_ns);
};

}  // namespace iotwatch

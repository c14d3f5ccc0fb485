// NetflowV9Decoder: Cisco NetFlow v9 (RFC 3954): 20-byte header (sequence counts export packets,
// source id = observation domain), flowset 0 templates, 1 options templates, >= 256 data. Data
// before its template is held (CollectorState). Times: sysUpTime-relative (21/22, against the
// header's uptime) or absolute (150-153, as softflowd -A milli sends).
#pragma once
#include <cstddef>
#include <cstdint>

#include "flows/collector_state.h"

namespace iotwatch {

class NetflowV9Decoder {
public:
    static constexpr size_t kHeaderLength = 20;
    /// Decodes one message. A flowset whose length is impossible ends decoding of the message (an
    /// error names the offset); what came before is kept. Never reads outside [data, data+len).
    static void decode(CollectorState& state, const uint8_t* data, size_t len, const IpAddress& exporter, int64_t now_ns);
};

}  // namespace iotwatch

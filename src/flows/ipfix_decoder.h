// IpfixDecoder: IPFIX messages (RFC 7011): 16-byte header (sequence counts data records sent
// before this message, per observation domain), set 2 templates, 3 options templates, >= 256
// data; enterprise-specific elements (skipped), variable-length elements, template withdrawal
// (field count 0), padding at set ends. Times: absolute (150-157), delta (158/159), or
// sysUpTime-relative (21/22) against systemInitTimeMilliseconds (160) from the record or options.
#pragma once
#include <cstddef>
#include <cstdint>

#include "flows/collector_state.h"

namespace iotwatch {

class IpfixDecoder {
public:
    static constexpr size_t kHeaderLength = 16;
    /// Decodes one message (over UDP: one datagram; over TCP: one framed message). A set whose
    /// length is impossible ends decoding of the message with an error naming the offset.
    static void decode(CollectorState& state, const uint8_t* data, size_t len, const IpAddress& exporter, int64_t now_ns);
};

}  // namespace iotwatch

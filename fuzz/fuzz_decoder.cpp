// libFuzzer target: decode_packet (and peek_source's agreement with it) on arbitrary frames. The
// first byte picks the link type.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "capture/decoded_packet.h"
#include "capture/raw_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    static const uint16_t kLinks[] = {kLinkEthernet, kLinkLinuxSll, kLinkLinuxSll2, kLinkRaw,  kLinkIpv4,
                                      kLinkIpv6,     kLinkNull,     kLinkLoop,      12,        147};
    if (size < 1) return 0;
    const uint16_t link = kLinks[data[0] % (sizeof kLinks / sizeof kLinks[0])];
    // Exact-size copy so ASan sees any read past caplen.
    std::vector<uint8_t> frame(data + 1, data + size);
    DecodedPacket p;
    decode_packet(link, frame.data(), uint32_t(frame.size()), uint32_t(frame.size() + (data[0] >> 4)), 1, p);
    // peek_source() must accept exactly the frames decode_packet() decodes, with the same source
    // (partitioned workers skip other workers' packets on its word).
    IpAddress src;
    uint8_t proto = 0;
    const bool peeked = peek_source(link, frame.data(), uint32_t(frame.size()), src, proto);
    const bool decoded = p.status == DecodeStatus::kOk || p.status == DecodeStatus::kTruncatedL4;
    if (peeked != decoded || (peeked && !(src == p.src))) __builtin_trap();
    // A TCP or UDP protocol byte is the decoded transport (workers skip other workers' packets on it).
    if (peeked && (proto == kProtoTcp || proto == kProtoUdp) && proto != p.protocol) __builtin_trap();
    return 0;
}

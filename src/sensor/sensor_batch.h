// SensorBatch: the unit a partner-site sensor ships to the centre. A run of header-only packets of
// one sensor's darknet, in capture order, with the sensor's sequence number (the centre's dedupe
// key), a watermark (the sensor promises no later packet is older), its health counters, and the
// sensor's own resume position (opaque to the centre). The same bytes are the sensor's spool file,
// the HTTPS request body and the centre's journal file, so a batch is encoded once.
//
// Encoding (little-endian):
//   "IOWB" u16 version u16 flags  u16 len + sensor name
//   u64 seq  i64 watermark_ns  i64 created_ns  6 x u64 counters  u32 len + position
//   u32 count, then per packet: i64 ts_ns u32 wirelen u16 linktype u16 caplen bytes[caplen]
//   u32 CRC-32 (zlib) of every byte before it
// decode_sensor_batch checks every length against the buffer and the CRC, and throws InputError
// naming the field and byte offset; it never reads past the buffer.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capture/decoded_packet.h"

namespace iotwatch {

/// Health counters a sensor reports with every batch (cumulative since the sensor's start).
struct SensorCounters {
    uint64_t captured = 0;        // frames read from the capture
    uint64_t darknet = 0;         // of them, to this sensor's darknet (shipped)
    uint64_t kernel_drops = 0;    // libpcap ps_drop (live capture)
    uint64_t interface_drops = 0; // libpcap ps_ifdrop
    uint64_t spool_batches = 0;   // batches waiting in the sensor's spool when this one was made
    uint64_t spool_bytes = 0;
};

/// One packet of a batch: where its bytes are in SensorBatch::bytes.
struct BatchPacket {
    int64_t ts_ns = 0;
    uint32_t wirelen = 0;
    uint16_t linktype = 0;
    uint16_t caplen = 0;
    uint32_t offset = 0;  // into SensorBatch::bytes
};

struct SensorBatch {
    static constexpr uint16_t kFlagFinal = 1;  // the sensor's inputs ended: it holds no later packet
    static constexpr size_t kMaxNameLength = 64;
    static constexpr size_t kMaxPositionLength = 4096;
    static constexpr uint32_t kMaxPackets = 1u << 20;
    static constexpr size_t kMaxEncodedBytes = 64u << 20;

    std::string sensor;
    uint64_t seq = 0;
    uint16_t flags = 0;
    int64_t watermark_ns = 0;
    int64_t created_ns = 0;
    SensorCounters counters;
    std::string position;
    std::vector<BatchPacket> packets;
    std::string bytes;  // packet bytes, back to back

    bool final() const { return flags & kFlagFinal; }
    /// Appends a packet (its first `caplen` bytes; caplen <= 65535).
    void add(int64_t ts_ns, uint32_t wirelen, uint16_t linktype, const uint8_t* data, uint16_t caplen);
    const uint8_t* data(const BatchPacket& p) const {
        return reinterpret_cast<const uint8_t*>(bytes.data()) + p.offset;
    }
};

std::string encode_sensor_batch(const SensorBatch& batch);

/// "<seq, 20 digits>.batch": how the spool and the journal name a batch file (sorts by seq).
std::string batch_file_name(uint64_t seq);
/// The sequence number of a batch file name, or false for any other name.
bool parse_batch_file_name(const std::string& name, uint64_t& seq);
/// Throws InputError("<what>: <field> at byte N: ...") on anything malformed.
SensorBatch decode_sensor_batch(std::string_view data, const std::string& what);

/// How many leading bytes of a frame are headers: link, IP (with options or IPv6 extension
/// headers), and the transport header (TCP with options, UDP, ICMP with the quoted IP+8 bytes of
/// an error). Payload is never shipped: secrecy of communications. Never more than `caplen`.
uint32_t header_bytes(const DecodedPacket& pkt, const uint8_t* data, uint32_t caplen);

}  // namespace iotwatch

#include "sensor/sensor_batch.h"

#include <zlib.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace iotwatch {
namespace {

constexpr char kMagic[4] = {'I', 'O', 'W', 'B'};
constexpr uint16_t kVersion = 1;
constexpr size_t kPacketHeader = 8 + 4 + 2 + 2;

template <typename T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

/// Bounds-checked little-endian reader that names the field and offset of what went wrong.
class Cursor {
public:
    Cursor(std::string_view data, const std::string& what) : d_(data), what_(what) {}
    template <typename T>
    T get(const char* field) {
        need(sizeof(T), field);
        T v;
        std::memcpy(&v, d_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return v;
    }
    std::string_view bytes(size_t n, const char* field) {
        need(n, field);
        auto v = d_.substr(pos_, n);
        pos_ += n;
        return v;
    }
    size_t pos() const { return pos_; }
    size_t left() const { return d_.size() - pos_; }
    [[noreturn]] void fail(const char* field, const std::string& why) const {
        throw InputError(what_, pos_, std::string(field) + ": " + why);
    }

private:
    void need(size_t n, const char* field) const {
        if (n > d_.size() - pos_)
            fail(field, "needs " + std::to_string(n) + " bytes, " + std::to_string(d_.size() - pos_) + " left");
    }
    std::string_view d_;
    const std::string& what_;
    size_t pos_ = 0;
};

}  // namespace

void SensorBatch::add(int64_t ts_ns, uint32_t wirelen, uint16_t linktype, const uint8_t* data, uint16_t caplen) {
    packets.push_back({ts_ns, wirelen, linktype, caplen, static_cast<uint32_t>(bytes.size())});
    bytes.append(reinterpret_cast<const char*>(data), caplen);
}

std::string encode_sensor_batch(const SensorBatch& b) {
    std::string out;
    out.reserve(96 + b.sensor.size() + b.position.size() + b.packets.size() * kPacketHeader + b.bytes.size());
    out.append(kMagic, 4);
    put<uint16_t>(out, kVersion);
    put<uint16_t>(out, b.flags);
    put<uint16_t>(out, static_cast<uint16_t>(b.sensor.size()));
    out += b.sensor;
    put<uint64_t>(out, b.seq);
    put<int64_t>(out, b.watermark_ns);
    put<int64_t>(out, b.created_ns);
    for (uint64_t c : {b.counters.captured, b.counters.darknet, b.counters.kernel_drops, b.counters.interface_drops,
                       b.counters.spool_batches, b.counters.spool_bytes})
        put<uint64_t>(out, c);
    put<uint32_t>(out, static_cast<uint32_t>(b.position.size()));
    out += b.position;
    put<uint32_t>(out, static_cast<uint32_t>(b.packets.size()));
    for (const auto& p : b.packets) {
        put<int64_t>(out, p.ts_ns);
        put<uint32_t>(out, p.wirelen);
        put<uint16_t>(out, p.linktype);
        put<uint16_t>(out, p.caplen);
        out.append(b.bytes, p.offset, p.caplen);
    }
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()));
    put<uint32_t>(out, static_cast<uint32_t>(crc));
    return out;
}

std::string batch_file_name(uint64_t seq) {
    char name[32];
    std::snprintf(name, sizeof name, "%020" PRIu64 ".batch", seq);
    return name;
}

bool parse_batch_file_name(const std::string& name, uint64_t& seq) {
    if (name.size() != 26 || name.compare(20, 6, ".batch") != 0) return false;
    seq = 0;
    for (size_t i = 0; i < 20; ++i) {
        if (name[i] < '0' || name[i] > '9') return false;
        seq = seq * 10 + uint64_t(name[i] - '0');
    }
    return true;
}

SensorBatch decode_sensor_batch(std::string_view data, const std::string& what) {
    if (data.size() > SensorBatch::kMaxEncodedBytes)
        throw InputError(what, 0, "batch of " + std::to_string(data.size()) + " bytes exceeds the limit of " +
                                      std::to_string(SensorBatch::kMaxEncodedBytes));
    Cursor c(data, what);
    if (c.bytes(4, "magic") != std::string_view(kMagic, 4)) c.fail("magic", "not an iotwatch sensor batch");
    if (const auto v = c.get<uint16_t>("version"); v != kVersion)
        c.fail("version", "unsupported version " + std::to_string(v));
    // The CRC first: a damaged file or body is refused as a whole, never half-used.
    if (data.size() < 4 + 4) c.fail("crc", "batch too short");
    uint32_t stored;
    std::memcpy(&stored, data.data() + data.size() - 4, 4);
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size() - 4));
    if (static_cast<uint32_t>(crc) != stored)
        throw InputError(what, data.size() - 4, "crc: CRC-32 mismatch (damaged batch)");
    Cursor body(data.substr(0, data.size() - 4), what);
    body.bytes(6, "magic");
    SensorBatch b;
    b.flags = body.get<uint16_t>("flags");
    if (b.flags & ~SensorBatch::kFlagFinal) body.fail("flags", "unknown flag bits");
    const auto name_len = body.get<uint16_t>("sensor name length");
    if (name_len == 0 || name_len > SensorBatch::kMaxNameLength)
        body.fail("sensor name length", "must be 1.." + std::to_string(SensorBatch::kMaxNameLength));
    b.sensor = std::string(body.bytes(name_len, "sensor name"));
    b.seq = body.get<uint64_t>("seq");
    b.watermark_ns = body.get<int64_t>("watermark");
    b.created_ns = body.get<int64_t>("created");
    b.counters.captured = body.get<uint64_t>("counters.captured");
    b.counters.darknet = body.get<uint64_t>("counters.darknet");
    b.counters.kernel_drops = body.get<uint64_t>("counters.kernel_drops");
    b.counters.interface_drops = body.get<uint64_t>("counters.interface_drops");
    b.counters.spool_batches = body.get<uint64_t>("counters.spool_batches");
    b.counters.spool_bytes = body.get<uint64_t>("counters.spool_bytes");
    const auto pos_len = body.get<uint32_t>("position length");
    if (pos_len > SensorBatch::kMaxPositionLength) body.fail("position length", "too long");
    b.position = std::string(body.bytes(pos_len, "position"));
    const auto count = body.get<uint32_t>("packet count");
    if (count > SensorBatch::kMaxPackets) body.fail("packet count", "more than " + std::to_string(SensorBatch::kMaxPackets));
    if (uint64_t(count) * kPacketHeader > body.left()) body.fail("packet count", std::to_string(count) + " packets cannot fit");
    b.packets.reserve(count);
    b.bytes.reserve(body.left() - size_t(count) * kPacketHeader);
    for (uint32_t i = 0; i < count; ++i) {
        BatchPacket p;
        p.ts_ns = body.get<int64_t>("packet.ts");
        p.wirelen = body.get<uint32_t>("packet.wirelen");
        p.linktype = body.get<uint16_t>("packet.linktype");
        p.caplen = body.get<uint16_t>("packet.caplen");
        if (p.wirelen < p.caplen) body.fail("packet.wirelen", "shorter than the captured length");
        auto bytes = body.bytes(p.caplen, "packet.data");
        p.offset = static_cast<uint32_t>(b.bytes.size());
        b.bytes.append(bytes);
        b.packets.push_back(p);
    }
    if (body.left() != 0) body.fail("end", std::to_string(body.left()) + " unexpected trailing bytes");
    return b;
}

uint32_t header_bytes(const DecodedPacket& pkt, const uint8_t* data, uint32_t caplen) {
    auto cap = [&](uint64_t n) { return static_cast<uint32_t>(std::min<uint64_t>(n, caplen)); };
    if (pkt.ip_version == 0) return cap(64);  // not shipped by the sensor anyway (no darknet address)
    const uint32_t l3 = pkt.l3_offset;
    auto be16 = [&](uint32_t at) { return at + 2 <= caplen ? uint16_t(data[at] << 8 | data[at + 1]) : uint16_t(1); };
    // Where the decoder took a length from the frame instead of the IP header (IPv4 total length 0
    // under segmentation offload, IPv6 jumbograms), the frame is all it has: keep it whole.
    if (pkt.ip_version == 4 ? be16(l3 + 2) == 0 : be16(l3 + 4) == 0) return caplen;
    if (pkt.has_l4 && pkt.l4_offset) {
        switch (pkt.protocol) {
        case kProtoTcp: return cap(uint64_t(pkt.l4_offset) + 20 + pkt.tcp_options_len);
        case kProtoUdp: return cap(uint64_t(pkt.l4_offset) + 8);
        case kProtoIcmp:
        case kProtoIcmp6:
            // An error quotes the offending packet's IP header and first 8 bytes (headers too).
            return cap(uint64_t(pkt.l4_offset) + 8 + (pkt.has_quoted ? (pkt.ip_version == 4 ? 68 : 48) : 0));
        default: return cap(pkt.l4_offset);
        }
    }
    // No transport header read (later fragments, other protocols, cut frames): the IP header with
    // its options or extension headers.
    if (pkt.ip_version == 4) return cap(uint64_t(l3) + (l3 < caplen ? (data[l3] & 0x0F) * 4u : 20u));
    uint32_t pos = 40;
    uint8_t next = l3 + 6 < caplen ? data[l3 + 6] : 59;
    for (int hops = 0; hops < 16 && (next == 0 || next == 43 || next == 60 || next == 51 || next == 44); ++hops) {
        const uint32_t h = l3 + pos;
        if (h + 8 > caplen) break;
        const uint32_t hl = next == 44 ? 8u : next == 51 ? (data[h + 1] + 2u) * 4u : (data[h + 1] + 1u) * 8u;
        next = data[h];
        pos += hl;
    }
    return cap(uint64_t(l3) + pos);
}

}  // namespace iotwatch

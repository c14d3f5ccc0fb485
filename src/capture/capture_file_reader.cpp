#include "capture/capture_file_reader.h"

#include <cstring>

#include "core/timestamp.h"

namespace iotwatch {
namespace {
constexpr uint32_t kPcapMagicUs = 0xA1B2C3D4;
constexpr uint32_t kPcapMagicNs = 0xA1B23C4D;
constexpr uint32_t kShbType = 0x0A0D0D0A;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
// Largest record we accept: libpcap's MAXIMUM_SNAPLEN for most link types.
constexpr uint32_t kMaxCaplen = 262144;
// Largest pcapng block we accept (a packet block of kMaxCaplen plus generous options).
constexpr uint32_t kMaxBlock = kMaxCaplen + 65536;

uint32_t raw32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
}  // namespace

CaptureFileReader::CaptureFileReader(std::unique_ptr<ByteSource> bytes, std::string name)
    : bytes_(std::move(bytes)), name_(std::move(name)) {
    size_t avail = bytes_->need(24);
    if (avail == 0) throw InputError(name_, 0, "empty file, no capture header");
    if (avail < 4) throw InputError(name_, 0, "file too short for a capture header (" + std::to_string(avail) + " bytes)");
    const uint32_t m = raw32(bytes_->data());
    if (m == kPcapMagicUs || m == kPcapMagicNs || m == __builtin_bswap32(kPcapMagicUs) ||
        m == __builtin_bswap32(kPcapMagicNs)) {
        if (avail < 24) throw InputError(name_, 0, "pcap global header truncated (" + std::to_string(avail) + " of 24 bytes)");
        swap_ = m == __builtin_bswap32(kPcapMagicUs) || m == __builtin_bswap32(kPcapMagicNs);
        nanosecond_ = m == kPcapMagicNs || m == __builtin_bswap32(kPcapMagicNs);
        const uint8_t* h = bytes_->data();
        const uint32_t snaplen = rd32(h + 16);
        pcap_linktype_ = static_cast<uint16_t>(rd32(h + 20) & 0xFFFF);  // upper bits: FCS info
        max_caplen_ = snaplen > kMaxCaplen ? snaplen : kMaxCaplen;
        if (max_caplen_ > (1u << 28)) max_caplen_ = 1u << 28;
        bytes_->skip(24);
        return;
    }
    if (m == kShbType) {
        pcapng_ = true;
        if (!read_section_header(0)) throw InputError(name_, 0, "pcapng section header truncated");
        return;
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", m);
    throw InputError(name_, 0, std::string("not a pcap or pcapng file (magic 0x") + hex + ")");
}

bool CaptureFileReader::end_of_input(size_t avail, uint64_t at, const char* what, size_t wanted) {
    if (avail == 0 && !bytes_->stream_error()) return false;  // clean end at a record boundary
    std::string why;
    if (avail == 0)
        why = *bytes_->stream_error();
    else
        why = std::string("file ends inside a ") + what + " (" + std::to_string(avail) + " of " +
              std::to_string(wanted) + " bytes)";
    if (avail != 0 && bytes_->stream_error()) why += "; " + *bytes_->stream_error();
    bad_record(at, why);
}

void CaptureFileReader::bad_record(uint64_t at, const std::string& why) const { throw InputError(name_, at, why); }

bool CaptureFileReader::read_section_header(uint64_t at) {
    size_t avail = bytes_->need(28);
    if (avail < 28) return end_of_input(avail, at, "pcapng section header", 28);
    const uint8_t* b = bytes_->data();
    const uint32_t bom = raw32(b + 8);
    if (bom == kByteOrderMagic)
        swap_ = false;
    else if (bom == __builtin_bswap32(kByteOrderMagic))
        swap_ = true;
    else
        bad_record(at, "pcapng section header has no byte-order magic");
    const uint32_t len = rd32(b + 4);
    if (len < 28 || len % 4 != 0 || len > kMaxBlock)
        bad_record(at, "pcapng section header length " + std::to_string(len) + " is invalid");
    avail = bytes_->need(len);
    if (avail < len) return end_of_input(avail, at, "pcapng section header", len);
    b = bytes_->data();
    if (rd32(b + len - 4) != len) bad_record(at, "pcapng block trailing length differs from its leading length");
    interfaces_.clear();
    bytes_->skip(len);
    return true;
}

void CaptureFileReader::read_interface(const uint8_t* body, size_t len, uint64_t at) {
    if (len < 8) bad_record(at, "pcapng interface description block too short");
    Interface itf;
    itf.linktype = rd16(body);
    itf.snaplen = rd32(body + 4);
    size_t o = 8;
    while (o + 4 <= len) {
        const uint16_t code = rd16(body + o), olen = rd16(body + o + 2);
        if (code == 0) break;  // opt_endofopt
        if (o + 4 + olen > len) bad_record(at, "pcapng interface option runs past its block");
        const uint8_t* v = body + o + 4;
        if (code == 9 && olen >= 1) {  // if_tsresol
            const uint8_t r = v[0];
            const unsigned exp = r & 0x7F;
            if (r & 0x80) {
                if (exp > 63) bad_record(at, "pcapng if_tsresol 2^-" + std::to_string(exp) + " out of range");
                itf.units_per_second = 1ULL << exp;
            } else {
                if (exp > 19) bad_record(at, "pcapng if_tsresol 10^-" + std::to_string(exp) + " out of range");
                uint64_t u = 1;
                for (unsigned i = 0; i < exp; ++i) u *= 10;
                itf.units_per_second = u;
            }
        } else if (code == 14 && olen >= 8) {  // if_tsoffset (seconds)
            uint64_t off;
            std::memcpy(&off, v, 8);
            if (swap_) off = __builtin_bswap64(off);
            itf.offset_s = static_cast<int64_t>(off);
        }
        o += 4 + ((olen + 3u) & ~3u);
    }
    interfaces_.push_back(itf);
}

bool CaptureFileReader::next_pcapng(RawPacket& out) {
    for (;;) {
        const uint64_t at = bytes_->offset();
        size_t avail = bytes_->need(12);
        if (avail < 12) return end_of_input(avail, at, "pcapng block header", 12);
        const uint8_t* b = bytes_->data();
        prefetch_ahead(b);
        if (raw32(b) == kShbType) {
            if (!read_section_header(at)) return false;
            continue;
        }
        const uint32_t type = rd32(b), len = rd32(b + 4);
        if (len < 12 || len % 4 != 0) bad_record(at, "pcapng block length " + std::to_string(len) + " is invalid");
        if (len > kMaxBlock) bad_record(at, "pcapng block length " + std::to_string(len) + " exceeds " + std::to_string(kMaxBlock));
        avail = bytes_->need(len);
        if (avail < len) return end_of_input(avail, at, "pcapng block", len);
        b = bytes_->data();
        if (rd32(b + len - 4) != len) bad_record(at, "pcapng block trailing length differs from its leading length");
        const uint8_t* body = b + 8;
        const size_t body_len = len - 12;
        uint32_t iface = 0, caplen = 0, wirelen = 0;
        uint64_t ts = 0;
        const uint8_t* data = nullptr;
        bool packet = false;
        switch (type) {
        case 1:  // interface description
            read_interface(body, body_len, at);
            break;
        case 6:  // enhanced packet
        case 2:  // obsolete packet block
            if (body_len < 20) bad_record(at, "pcapng packet block too short");
            iface = type == 6 ? rd32(body) : rd16(body);
            ts = (uint64_t(rd32(body + 4)) << 32) | rd32(body + 8);
            caplen = rd32(body + 12);
            wirelen = rd32(body + 16);
            if (caplen > body_len - 20)
                bad_record(at, "pcapng packet caplen " + std::to_string(caplen) + " exceeds its block");
            data = body + 20;
            packet = true;
            break;
        case 3:  // simple packet: no timestamp, interface 0
            if (body_len < 4) bad_record(at, "pcapng simple packet block too short");
            wirelen = rd32(body);
            caplen = std::min<uint32_t>(wirelen, static_cast<uint32_t>(body_len - 4));
            if (!interfaces_.empty() && interfaces_[0].snaplen && caplen > interfaces_[0].snaplen)
                caplen = interfaces_[0].snaplen;
            data = body + 4;
            packet = true;
            break;
        default:  // name resolution, statistics, custom ...: not needed
            break;
        }
        if (!packet) {
            bytes_->skip(len);
            continue;
        }
        if (iface >= interfaces_.size())
            bad_record(at, "pcapng packet names interface " + std::to_string(iface) + " but the section has " +
                               std::to_string(interfaces_.size()));
        const Interface& itf = interfaces_[iface];
        const uint64_t secs = ts / itf.units_per_second, frac = ts % itf.units_per_second;
        const __int128 ns = (static_cast<__int128>(secs) + itf.offset_s) * 1'000'000'000LL +
                            static_cast<__int128>(static_cast<unsigned __int128>(frac) * 1'000'000'000ULL / itf.units_per_second);
        if (ns < -kMaxTimestampNs || ns > kMaxTimestampNs)
            bad_record(at, "pcapng packet time is out of range (more than 146 years from 1970)");
        out.ts_ns = static_cast<int64_t>(ns);
        out.caplen = caplen;
        out.wirelen = wirelen < caplen ? caplen : wirelen;
        out.linktype = itf.linktype;
        out.interface_id = iface;
        out.record_offset = at;
        out.data = data;
        bytes_->skip(len);
        return true;
    }
}

std::unique_ptr<PacketSource> open_capture_buffer(std::string name, std::vector<uint8_t> bytes) {
    return std::make_unique<CaptureFileReader>(memory_byte_source(std::move(bytes)), std::move(name));
}

}  // namespace iotwatch

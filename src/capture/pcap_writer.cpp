#include "capture/pcap_writer.h"

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/timestamp.h"

namespace iotwatch {
namespace {
void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }  // host order == file order (we write native LE)
void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
}  // namespace

PcapWriter::PcapWriter(std::FILE* out, uint16_t linktype, bool nanosecond, uint32_t snaplen)
    : out_(out), nanosecond_(nanosecond) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "writer assumes a little-endian host");
    uint8_t h[24];
    put32(h, nanosecond ? 0xA1B23C4D : 0xA1B2C3D4);
    put16(h + 4, 2);
    put16(h + 6, 4);
    put32(h + 8, 0);
    put32(h + 12, 0);
    put32(h + 16, snaplen);
    put32(h + 20, linktype);
    if (std::fwrite(h, 1, sizeof h, out_) != sizeof h) throw StoreError("pcap writer: cannot write header");
}

PcapWriter PcapWriter::open(const std::string& path, uint16_t linktype, bool nanosecond, uint32_t snaplen) {
    std::FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (!f) throw StoreError("cannot create " + path + ": " + std::strerror(errno));
    if (f != stdout) std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
    PcapWriter w(f, linktype, nanosecond, snaplen);
    w.owned_ = f != stdout;
    return w;
}

PcapWriter::PcapWriter(PcapWriter&& o) noexcept
    : out_(o.out_), owned_(o.owned_), nanosecond_(o.nanosecond_), records_(o.records_) {
    o.out_ = nullptr;
    o.owned_ = false;
}

PcapWriter::~PcapWriter() {
    try {
        close();
    } catch (...) {
    }
}

void PcapWriter::write(int64_t ts_ns, const uint8_t* data, uint32_t caplen, uint32_t wirelen) {
    int64_t sec = bin_start_seconds(ts_ns, 1);
    int64_t frac = ts_ns - sec * kNanosPerSecond;
    uint8_t h[16];
    put32(h, static_cast<uint32_t>(sec));
    put32(h + 4, static_cast<uint32_t>(nanosecond_ ? frac : frac / 1000));
    put32(h + 8, caplen);
    put32(h + 12, wirelen);
    if (std::fwrite(h, 1, 16, out_) != 16 || std::fwrite(data, 1, caplen, out_) != caplen)
        throw StoreError(std::string("pcap writer: write failed: ") + std::strerror(errno));
    ++records_;
}

void PcapWriter::close() {
    if (!out_) return;
    std::FILE* f = out_;
    out_ = nullptr;
    bool ok = std::fflush(f) == 0;
    if (owned_) ok = std::fclose(f) == 0 && ok;
    if (!ok) throw StoreError(std::string("pcap writer: flush failed: ") + std::strerror(errno));
}

}  // namespace iotwatch

// Builders for test captures: frames (Ethernet/IPv4/IPv6/TCP/UDP/ICMP) and writers for classic pcap
// in either byte order and resolution, and pcapng with any number of sections and interfaces.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace testcap {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) { b.push_back(uint8_t(v >> 8)), b.push_back(uint8_t(v)); }
inline void put32(Bytes& b, uint32_t v) { put16(b, uint16_t(v >> 16)), put16(b, uint16_t(v)); }

/// IPv4 header + payload (`proto`), total length set, checksum left 0 (decoders don't check it).
inline Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& l4, uint16_t frag = 0, uint8_t ttl = 64,
                  uint16_t id = 1, const Bytes& options = {}) {
    Bytes b;
    const uint8_t ihl = uint8_t((20 + options.size()) / 4);
    b.push_back(uint8_t(0x40 | ihl));
    b.push_back(0);
    put16(b, uint16_t(20 + options.size() + l4.size()));
    put16(b, id);
    put16(b, frag);
    b.push_back(ttl);
    b.push_back(proto);
    put16(b, 0);
    put32(b, src);
    put32(b, dst);
    b.insert(b.end(), options.begin(), options.end());
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}
inline Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags, uint16_t window = 1024, size_t opt = 0) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put32(b, seq);
    put32(b, 0);
    b.push_back(uint8_t(((20 + opt) / 4) << 4));
    b.push_back(flags);
    put16(b, window);
    put32(b, 0);
    for (size_t i = 0; i < opt; ++i) b.push_back(1);
    return b;
}
inline Bytes udp(uint16_t sport, uint16_t dport, size_t payload = 4) {
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put16(b, uint16_t(8 + payload));
    put16(b, 0);
    for (size_t i = 0; i < payload; ++i) b.push_back(uint8_t(i));
    return b;
}
inline Bytes ethernet(const Bytes& ip, uint16_t ethertype = 0x0800, std::vector<uint16_t> vlans = {}) {
    Bytes b = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    for (size_t i = 0; i < vlans.size(); ++i) {
        put16(b, i == 0 ? 0x88A8 : 0x8100);
        put16(b, vlans[i]);
    }
    put16(b, ethertype);
    b.insert(b.end(), ip.begin(), ip.end());
    return b;
}

struct Record {
    int64_t ts_ns;
    Bytes data;
    uint32_t wirelen = 0;  // 0 = data.size()
    uint32_t iface = 0;
};

/// Classic pcap; big_endian and nanosecond select the variant.
inline Bytes pcap_file(const std::vector<Record>& recs, uint16_t linktype, bool big_endian, bool nanosecond,
                       uint32_t snaplen = 65535) {
    Bytes b;
    auto w32 = [&](uint32_t v) {
        if (big_endian)
            put32(b, v);
        else
            for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
    };
    auto w16 = [&](uint16_t v) {
        if (big_endian)
            put16(b, v);
        else
            b.push_back(uint8_t(v)), b.push_back(uint8_t(v >> 8));
    };
    w32(nanosecond ? 0xA1B23C4D : 0xA1B2C3D4);
    w16(2);
    w16(4);
    w32(0);
    w32(0);
    w32(snaplen);
    w32(linktype);
    for (const auto& r : recs) {
        w32(uint32_t(r.ts_ns / 1000000000));
        w32(uint32_t(nanosecond ? r.ts_ns % 1000000000 : (r.ts_ns % 1000000000) / 1000));
        w32(uint32_t(r.data.size()));
        w32(r.wirelen ? r.wirelen : uint32_t(r.data.size()));
        b.insert(b.end(), r.data.begin(), r.data.end());
    }
    return b;
}

/// pcapng writer: sections and interfaces are added in order.
class Pcapng {
public:
    explicit Pcapng(bool big_endian = false) : be_(big_endian) {}
    void section(bool big_endian) {
        be_ = big_endian;
        Bytes body;
        w32(body, 0x1A2B3C4D);
        w16(body, 1);
        w16(body, 0);
        w32(body, 0xFFFFFFFF);
        w32(body, 0xFFFFFFFF);  // section length unknown
        block(0x0A0D0D0A, body);
    }
    /// tsresol: the raw if_tsresol byte (6 = microseconds, 9 = nanoseconds, 0x80|n = 2^-n).
    void interface(uint16_t linktype, uint8_t tsresol, int64_t tsoffset = 0) {
        Bytes body;
        w16(body, linktype);
        w16(body, 0);
        w32(body, 65535);
        w16(body, 9);
        w16(body, 1);
        body.push_back(tsresol);
        body.push_back(0), body.push_back(0), body.push_back(0);
        if (tsoffset) {
            w16(body, 14);
            w16(body, 8);
            uint64_t v = uint64_t(tsoffset);
            for (int i = 0; i < 8; ++i) body.push_back(uint8_t(be_ ? v >> (56 - 8 * i) : v >> (8 * i)));
        }
        w16(body, 0);
        w16(body, 0);
        block(1, body);
    }
    void packet(uint32_t iface, uint64_t ts_units, const Bytes& data, uint32_t wirelen = 0) {
        Bytes body;
        w32(body, iface);
        w32(body, uint32_t(ts_units >> 32));
        w32(body, uint32_t(ts_units));
        w32(body, uint32_t(data.size()));
        w32(body, wirelen ? wirelen : uint32_t(data.size()));
        body.insert(body.end(), data.begin(), data.end());
        while (body.size() % 4) body.push_back(0);
        w16(body, 0), w16(body, 0);  // opt_endofopt
        block(6, body);
    }
    void simple_packet(const Bytes& data) {
        Bytes body;
        w32(body, uint32_t(data.size()));
        body.insert(body.end(), data.begin(), data.end());
        while (body.size() % 4) body.push_back(0);
        block(3, body);
    }
    void unknown_block() { block(0x00000BAD, Bytes(8, 0x77)); }
    const Bytes& bytes() const { return out_; }

private:
    void w32(Bytes& b, uint32_t v) {
        if (be_)
            put32(b, v);
        else
            for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
    }
    void w16(Bytes& b, uint16_t v) {
        if (be_)
            put16(b, v);
        else
            b.push_back(uint8_t(v)), b.push_back(uint8_t(v >> 8));
    }
    void block(uint32_t type, const Bytes& body) {
        const uint32_t len = uint32_t(12 + body.size());
        w32(out_, type);
        w32(out_, len);
        out_.insert(out_.end(), body.begin(), body.end());
        w32(out_, len);
    }
    bool be_;
    Bytes out_;
};

/// Writes bytes to a fresh temp file; returns its path.
inline std::string temp_file(const Bytes& b, const char* suffix = "") {
    std::string name = std::string("/tmp/iotwatch-cap-XXXXXX") + suffix;
    std::vector<char> buf(name.begin(), name.end());
    buf.push_back('\0');
    int fd = mkstemps(buf.data(), int(std::strlen(suffix)));
    if (fd < 0) return "";
    if (!b.empty() && ::write(fd, b.data(), b.size()) != ssize_t(b.size())) {
        ::close(fd);
        return "";
    }
    ::close(fd);
    return buf.data();
}

}  // namespace testcap

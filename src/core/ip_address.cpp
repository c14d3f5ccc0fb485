#include "core/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace iotwatch {

IpAddress IpAddress::v6(const uint8_t* b) {
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; ++i) hi = (hi << 8) | b[i];
    for (int i = 8; i < 16; ++i) lo = (lo << 8) | b[i];
    return from_halves(hi, lo);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > 63) return std::nullopt;
    char buf[64];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (text.find(':') == std::string_view::npos) {
        in_addr a4{};
        if (inet_pton(AF_INET, buf, &a4) != 1) return std::nullopt;
        return v4_bytes(reinterpret_cast<const uint8_t*>(&a4));
    }
    in6_addr a6{};
    if (inet_pton(AF_INET6, buf, &a6) != 1) return std::nullopt;
    return v6(reinterpret_cast<const uint8_t*>(&a6));
}

std::array<uint8_t, 16> IpAddress::bytes() const {
    std::array<uint8_t, 16> out{};
    for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(hi_ >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<uint8_t>(lo_ >> (56 - 8 * i));
    return out;
}

std::string IpAddress::to_string() const {
    if (is_v4()) {
        // Dotted quad by hand: glibc's inet_ntop() formats IPv4 through sprintf(), ~0.5 us an
        // address, and the day's 128 k source rows are formatted on the final checkpoint's
        // critical path (SqliteStore::put_source_days). The same text (unit test).
        char buf[16];
        char* p = buf;
        const uint32_t a = static_cast<uint32_t>(lo_);
        for (int shift = 24; shift >= 0; shift -= 8) {
            const unsigned octet = (a >> shift) & 0xFF;
            if (octet >= 100) *p++ = static_cast<char>('0' + octet / 100);
            if (octet >= 10) *p++ = static_cast<char>('0' + octet / 10 % 10);
            *p++ = static_cast<char>('0' + octet % 10);
            if (shift) *p++ = '.';
        }
        return std::string(buf, static_cast<size_t>(p - buf));
    }
    char buf[INET6_ADDRSTRLEN];
    auto b = bytes();
    inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
    return buf;
}

}  // namespace iotwatch

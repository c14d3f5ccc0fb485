// IpAddress: an IPv4 or IPv6 address as one 16-byte value type.
// IPv4 is held as the IPv4-mapped IPv6 address ::ffff:a.b.c.d so that both families share one
// representation, one hash and one ordering (IPv4 sorts before other IPv6 space except ::/80).
#pragma once
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotwatch {

class IpAddress {
public:
    constexpr IpAddress() = default;

    /// IPv4 from a host-order 32-bit value (192.0.2.1 == 0xC0000201).
    static constexpr IpAddress v4(uint32_t host_order) {
        IpAddress a;
        a.hi_ = 0;
        a.lo_ = 0x0000FFFF00000000ULL | host_order;
        return a;
    }
    /// IPv6 from 16 network-order bytes.
    static IpAddress v6(const uint8_t* bytes16);
    /// IPv4 from 4 network-order bytes.
    static IpAddress v4_bytes(const uint8_t* bytes4) {
        return v4((uint32_t(bytes4[0]) << 24) | (uint32_t(bytes4[1]) << 16) |
                  (uint32_t(bytes4[2]) << 8) | uint32_t(bytes4[3]));
    }
    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text. nullopt on malformed input.
    static std::optional<IpAddress> parse(std::string_view text);

    constexpr bool is_v4() const { return hi_ == 0 && (lo_ >> 32) == 0x0000FFFFULL; }
    /// Host-order IPv4 value; meaningful only when is_v4().
    constexpr uint32_t v4_value() const { return static_cast<uint32_t>(lo_); }
    /// The 128-bit value as two host-order halves (network bit order: hi holds bytes 0..7).
    constexpr uint64_t hi() const { return hi_; }
    constexpr uint64_t lo() const { return lo_; }
    static constexpr IpAddress from_halves(uint64_t hi, uint64_t lo) {
        IpAddress a;
        a.hi_ = hi;
        a.lo_ = lo;
        return a;
    }
    /// 16 network-order bytes (IPv4-mapped for IPv4).
    std::array<uint8_t, 16> bytes() const;
    /// Canonical text: dotted quad for IPv4, RFC 5952 for IPv6.
    std::string to_string() const;

    /// A well-mixed 64-bit hash (for open-addressing tables).
    constexpr uint64_t hash() const {
        uint64_t h = hi_ * 0x9E3779B97F4A7C15ULL ^ lo_;
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDULL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53ULL;
        h ^= h >> 33;
        return h;
    }

    constexpr auto operator<=>(const IpAddress&) const = default;
    constexpr bool operator==(const IpAddress&) const = default;

private:
    uint64_t hi_ = 0;
    uint64_t lo_ = 0x0000FFFF00000000ULL;  // 0.0.0.0
};

}  // namespace iotwatch

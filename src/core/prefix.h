// Prefix: an IPv4 or IPv6 CIDR block (value type). IPv4 prefixes are held in the IPv4-mapped space
// (length + 96) so that containment works across both families with one comparison.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ip_address.h"

namespace iotwatch {

class Prefix {
public:
    Prefix() = default;
    /// `network` is masked to `length`; length is in the family's own bits (0..32 or 0..128).
    Prefix(IpAddress network, unsigned length);
    /// Parses "192.0.2.0/24", "2001:db8::/32" or a bare address (host prefix). Host bits must be
    /// zero unless `allow_host_bits`. nullopt with a reason in *error on failure.
    static std::optional<Prefix> parse(std::string_view text, std::string* error = nullptr,
                                       bool allow_host_bits = false);

    IpAddress network() const { return network_; }
    bool is_v4() const { return network_.is_v4() && length128_ >= 96; }
    /// Length in the family's own bits.
    unsigned length() const { return is_v4() ? length128_ - 96 : length128_; }
    /// Length in the 128-bit (mapped) space.
    unsigned length128() const { return length128_; }
    bool contains(const IpAddress& a) const;
    bool overlaps(const Prefix& other) const;
    /// Number of addresses, saturated at 2^64-1 for large IPv6 blocks.
    uint64_t size() const;
    /// Offset of `a` inside this prefix (a must be contained); low 64 bits.
    uint64_t offset_of(const IpAddress& a) const;
    std::string to_string() const;

    auto operator<=>(const Prefix&) const = default;

private:
    IpAddress network_{};
    unsigned length128_ = 128;
};

}  // namespace iotwatch

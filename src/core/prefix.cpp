#include "core/prefix.h"

#include <charconv>

namespace iotwatch {
namespace {

// Mask of the top `bits` bits of a 64-bit half.
constexpr uint64_t top_mask(unsigned bits) {
    return bits == 0 ? 0 : bits >= 64 ? ~0ULL : ~0ULL << (64 - bits);
}

IpAddress mask_address(const IpAddress& a, unsigned len128) {
    uint64_t hi = a.hi() & top_mask(len128 > 64 ? 64 : len128);
    uint64_t lo = a.lo() & (len128 > 64 ? top_mask(len128 - 64) : 0);
    return IpAddress::from_halves(hi, lo);
}

}  // namespace

Prefix::Prefix(IpAddress network, unsigned length) {
    length128_ = network.is_v4() ? (length > 32 ? 128 : length + 96) : (length > 128 ? 128 : length);
    network_ = mask_address(network, length128_);
}

std::optional<Prefix> Prefix::parse(std::string_view text, std::string* error, bool allow_host_bits) {
    auto fail = [&](std::string why) -> std::optional<Prefix> {
        if (error) *error = "invalid prefix '" + std::string(text) + "': " + why;
        return std::nullopt;
    };
    auto slash = text.find('/');
    auto addr = IpAddress::parse(text.substr(0, slash));
    if (!addr) return fail("not an IPv4 or IPv6 address");
    unsigned max_len = addr->is_v4() ? 32 : 128;
    unsigned len = max_len;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
        if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty())
            return fail("prefix length is not a number");
        if (len > max_len) return fail("prefix length exceeds " + std::to_string(max_len));
    }
    Prefix p(*addr, len);
    if (!allow_host_bits && p.network() != *addr) return fail("host bits set (did you mean " + p.to_string() + "?)");
    return p;
}

bool Prefix::contains(const IpAddress& a) const { return mask_address(a, length128_) == network_; }

bool Prefix::overlaps(const Prefix& other) const {
    return length128_ <= other.length128_ ? contains(other.network_) : other.contains(network_);
}

uint64_t Prefix::size() const {
    unsigned host_bits = 128 - length128_;
    return host_bits >= 64 ? ~0ULL : (1ULL << host_bits);
}

uint64_t Prefix::offset_of(const IpAddress& a) const { return a.lo() - network_.lo(); }

std::string Prefix::to_string() const { return network_.to_string() + "/" + std::to_string(length()); }

}  // namespace iotwatch

// PrefixTable: longest-prefix match from an address to a 32-bit value, over IPv4 and IPv6 prefixes
// together (IPv4 is held IPv4-mapped, as in Prefix/IpAddress; containment is Prefix::contains in the
// 128-bit space, "longest" is the 128-bit length).
//
// Two phases: add() every prefix, build() once, then lookup() as often as needed. build() flattens
// the nested prefixes into disjoint address intervals, each carrying its most specific covering
// prefix, so a lookup is a search for the last interval start <= address:
//  - IPv4 (the hot path): a direct-indexed table over the top 16 bits gives the bucket's intervals
//    (every bucket starts a new interval, so their starts fit in 16 bits), then a branchless binary
//    search over those 16-bit starts; typically 3 cache lines per lookup.
//  - IPv6 (everything not IPv4-mapped): the same over the top 16 bits of the address, then a
//    branchless binary search over full 128-bit starts, so prefixes longer than /64 are exact.
//
// Thread-safety: after build(), lookup() and size() are const and may run concurrently; add() and
// build() need exclusive access. A value type: copyable and movable.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/flat_table.h"
#include "core/ip_address.h"
#include "core/prefix.h"

namespace iotwatch {

class PrefixTable {
public:
    static constexpr uint32_t kNoMatch = UINT32_MAX;

    PrefixTable();

    /// Build phase. Adding the same prefix twice keeps the last value. Throws std::logic_error
    /// after build().
    void add(const Prefix& prefix, uint32_t value);
    /// Freezes the table for lookups (call once after the adds; add after build() is an error,
    /// a second build() does nothing).
    void build();
    /// Value of the longest prefix containing `a`, or kNoMatch. Throws std::logic_error before build().
    uint32_t lookup(const IpAddress& a) const;
    /// Same, also giving the matched prefix (*matched is left unchanged on kNoMatch; may be null).
    uint32_t lookup(const IpAddress& a, Prefix* matched) const;
    /// Number of distinct prefixes added.
    size_t size() const { return prefixes_.size(); }
    /// Bytes held by the lookup structures after build() (for benchmarks and sizing).
    size_t memory_bytes() const;

private:
    using u128 = unsigned __int128;
    // Position in prefixes_ of each distinct prefix, so a repeated add overwrites (build phase only).
    struct PrefixKey {
        uint64_t hi, lo;
        uint32_t length128;
        bool operator==(const PrefixKey&) const = default;
    };
    struct PrefixKeyHash {
        uint64_t operator()(const PrefixKey& k) const;
    };
    // First level of the IPv4 search: 16 bits measured as fast as 20 (bench_prefix_table) at a
    // 256 KB index instead of 4 MB, and the bucket-relative starts fit in 16 bits.
    static constexpr unsigned kV4BucketBits = 16;
    static constexpr unsigned kV6BucketBits = 16;
    static constexpr uint32_t kNoPrefix = UINT32_MAX;  // interval covered by no prefix

    // Index into prefixes_ of the interval holding a, or kNoPrefix.
    uint32_t find_v4(uint32_t a) const;
    uint32_t find_v6(u128 a) const;
    void build_v4(const std::vector<u128>& starts, const std::vector<uint32_t>& owners);
    void build_v6(const std::vector<u128>& starts, const std::vector<uint32_t>& owners);

    bool built_ = false;
    std::vector<Prefix> prefixes_;   // distinct prefixes (sorted by network, then length, after build)
    std::vector<uint32_t> values_;   // value of prefixes_[i]
    FlatTable<PrefixKey, uint32_t, PrefixKeyHash> index_;

    // IPv4: bucket b (top 16 bits) owns intervals [v4_bucket_[b], v4_bucket_[b + 1]).
    std::vector<uint32_t> v4_bucket_;
    std::vector<uint16_t> v4_start_;  // low 16 bits of each interval's first address
    std::vector<uint32_t> v4_value_;  // value of the interval (kNoMatch when uncovered)
    std::vector<uint32_t> v4_owner_;  // prefix index of the interval (kNoPrefix when uncovered)
    // IPv6: the same, keyed by the top 16 bits, with 128-bit starts (as hi/lo halves).
    std::vector<uint32_t> v6_bucket_;
    std::vector<u128> v6_start_;
    std::vector<uint32_t> v6_owner_;
};

}  // namespace iotwatch

#include "enrich/prefix_table.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace iotwatch {
namespace {

using u128 = unsigned __int128;

constexpr u128 kMax128 = ~u128(0);
// The IPv4-mapped block ::ffff:0:0/96, where IpAddress keeps IPv4.
constexpr u128 kV4First = u128(0xFFFFULL) << 32;
constexpr u128 kV4Last = kV4First | 0xFFFFFFFFULL;

u128 to_u128(const IpAddress& a) { return (u128(a.hi()) << 64) | a.lo(); }

u128 last_address(const Prefix& p) {
    const unsigned host_bits = 128 - p.length128();
    const u128 host_mask = host_bits == 128 ? kMax128 : (u128(1) << host_bits) - 1;
    return to_u128(p.network()) | host_mask;
}

// Index of the last element <= x in sorted [first, first + n), given first[0] <= x. Branchless, so the
// loads of successive steps do not wait on a mispredicted comparison.
template <typename T>
size_t last_not_greater(const T* first, size_t n, T x) {
    const T* base = first;
    while (n > 1) {
        const size_t half = n >> 1;
        base = base[half] <= x ? base + half : base;
        n -= half;
    }
    return size_t(base - first);
}

}  // namespace

uint64_t PrefixTable::PrefixKeyHash::operator()(const PrefixKey& k) const {
    return IpAddress::from_halves(k.hi, k.lo).hash() ^ MixHash()(k.length128);
}

PrefixTable::PrefixTable() : index_(PrefixKey{0, 0, UINT32_MAX}, 16) {}

void PrefixTable::add(const Prefix& prefix, uint32_t value) {
    if (built_) throw std::logic_error("PrefixTable::add after build()");
    bool inserted = false;
    uint32_t& slot = index_.find_or_insert(
        PrefixKey{prefix.network().hi(), prefix.network().lo(), prefix.length128()}, inserted);
    if (inserted) {
        slot = static_cast<uint32_t>(prefixes_.size());
        prefixes_.push_back(prefix);
        values_.push_back(value);
    } else {
        values_[slot] = value;
    }
}

void PrefixTable::build() {
    if (built_) return;
    built_ = true;
    index_ = FlatTable<PrefixKey, uint32_t, PrefixKeyHash>(PrefixKey{0, 0, UINT32_MAX}, 16);

    // Sort by network, then length: a prefix comes after every prefix containing it.
    std::vector<uint32_t> order(prefixes_.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return prefixes_[a] < prefixes_[b]; });
    std::vector<Prefix> sorted_prefixes(order.size());
    std::vector<uint32_t> sorted_values(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
        sorted_prefixes[i] = prefixes_[order[i]];
        sorted_values[i] = values_[order[i]];
    }
    prefixes_.swap(sorted_prefixes);
    values_.swap(sorted_values);

    // Sweep: the owner of an address is the innermost open prefix. Prefixes are nested or disjoint,
    // so the open ones form a stack; each push or pop starts a new interval. Intervals are
    // (start, owner) pairs, each running up to the next start.
    std::vector<u128> starts{0};
    std::vector<uint32_t> owners{kNoPrefix};
    auto start_interval = [&](u128 from, uint32_t owner) {
        if (starts.back() == from) {
            owners.back() = owner;
            if (owners.size() >= 2 && owners[owners.size() - 2] == owner) {
                starts.pop_back();
                owners.pop_back();
            }
        } else if (owners.back() != owner) {
            starts.push_back(from);
            owners.push_back(owner);
        }
    };
    struct Open {
        u128 last;
        uint32_t prefix;
    };
    std::vector<Open> open;
    auto close_top = [&] {
        const Open top = open.back();
        open.pop_back();
        if (top.last != kMax128) start_interval(top.last + 1, open.empty() ? kNoPrefix : open.back().prefix);
    };
    for (uint32_t i = 0; i < prefixes_.size(); ++i) {
        const u128 first = to_u128(prefixes_[i].network());
        while (!open.empty() && open.back().last < first) close_top();
        open.push_back({last_address(prefixes_[i]), i});
        start_interval(first, i);
    }
    while (!open.empty()) close_top();

    build_v4(starts, owners);
    build_v6(starts, owners);
}

void PrefixTable::build_v4(const std::vector<u128>& starts, const std::vector<uint32_t>& owners) {
    // Intervals clipped to the IPv4-mapped block, as 32-bit addresses; the first starts at 0.
    std::vector<uint32_t> s32;
    std::vector<uint32_t> own;
    size_t i = size_t(std::upper_bound(starts.begin(), starts.end(), kV4First) - starts.begin()) - 1;
    s32.push_back(0);
    own.push_back(owners[i]);
    for (++i; i < starts.size() && starts[i] <= kV4Last; ++i) {
        s32.push_back(uint32_t(starts[i]));
        own.push_back(owners[i]);
    }
    // Split at every bucket boundary so that each bucket's first interval starts at its low 16 bits 0.
    const size_t buckets = size_t(1) << kV4BucketBits;
    v4_bucket_.assign(buckets + 1, 0);
    v4_start_.clear();
    v4_value_.clear();
    v4_owner_.clear();
    size_t cur = 0;  // interval containing the current bucket's first address
    for (size_t b = 0; b < buckets; ++b) {
        const uint32_t lo = uint32_t(b << (32 - kV4BucketBits));
        const uint32_t hi = lo | ((uint32_t(1) << (32 - kV4BucketBits)) - 1);
        while (cur + 1 < s32.size() && s32[cur + 1] <= lo) ++cur;
        v4_bucket_[b] = uint32_t(v4_start_.size());
        for (size_t j = cur; j < s32.size() && (j == cur || s32[j] <= hi); ++j) {
            v4_start_.push_back(uint16_t(j == cur ? 0 : s32[j]));
            v4_owner_.push_back(own[j]);
            v4_value_.push_back(own[j] == kNoPrefix ? kNoMatch : values_[own[j]]);
        }
    }
    v4_bucket_[buckets] = uint32_t(v4_start_.size());
}

void PrefixTable::build_v6(const std::vector<u128>& starts, const std::vector<uint32_t>& owners) {
    // Everything outside the IPv4-mapped block (IPv4 addresses never take this path): the intervals
    // before it, then the one containing the address just after it, then the rest.
    std::vector<u128> s;
    std::vector<uint32_t> own;
    size_t i = 0;
    for (; i < starts.size() && starts[i] < kV4First; ++i) {
        s.push_back(starts[i]);
        own.push_back(owners[i]);
    }
    s.push_back(kV4First);
    own.push_back(kNoPrefix);  // never consulted
    i = size_t(std::upper_bound(starts.begin(), starts.end(), kV4Last + 1) - starts.begin()) - 1;
    s.push_back(kV4Last + 1);
    own.push_back(owners[i]);
    for (++i; i < starts.size(); ++i) {
        s.push_back(starts[i]);
        own.push_back(owners[i]);
    }
    const size_t buckets = size_t(1) << kV6BucketBits;
    const unsigned shift = 128 - kV6BucketBits;
    v6_bucket_.assign(buckets + 1, 0);
    v6_start_.clear();
    v6_owner_.clear();
    size_t cur = 0;
    for (size_t b = 0; b < buckets; ++b) {
        const u128 lo = u128(b) << shift;
        const u128 hi = lo | ((u128(1) << shift) - 1);
        while (cur + 1 < s.size() && s[cur + 1] <= lo) ++cur;
        v6_bucket_[b] = uint32_t(v6_start_.size());
        for (size_t j = cur; j < s.size() && (j == cur || s[j] <= hi); ++j) {
            v6_start_.push_back(j == cur ? lo : s[j]);
            v6_owner_.push_back(own[j]);
        }
    }
    v6_bucket_[buckets] = uint32_t(v6_start_.size());
}

uint32_t PrefixTable::find_v4(uint32_t a) const {
    const uint32_t b = a >> (32 - kV4BucketBits);
    const uint32_t first = v4_bucket_[b];
    return first + uint32_t(last_not_greater(v4_start_.data() + first, v4_bucket_[b + 1] - first, uint16_t(a)));
}

uint32_t PrefixTable::find_v6(u128 a) const {
    const size_t b = size_t(a >> (128 - kV6BucketBits));
    const uint32_t first = v6_bucket_[b];
    return first + uint32_t(last_not_greater(v6_start_.data() + first, v6_bucket_[b + 1] - first, a));
}

uint32_t PrefixTable::lookup(const IpAddress& a) const {
    if (!built_) throw std::logic_error("PrefixTable::lookup before build()");
    if (a.is_v4()) return v4_value_[find_v4(a.v4_value())];
    const uint32_t owner = v6_owner_[find_v6(to_u128(a))];
    return owner == kNoPrefix ? kNoMatch : values_[owner];
}

uint32_t PrefixTable::lookup(const IpAddress& a, Prefix* matched) const {
    if (!built_) throw std::logic_error("PrefixTable::lookup before build()");
    const uint32_t owner = a.is_v4() ? v4_owner_[find_v4(a.v4_value())] : v6_owner_[find_v6(to_u128(a))];
    if (owner == kNoPrefix) return kNoMatch;
    if (matched) *matched = prefixes_[owner];
    return values_[owner];
}

size_t PrefixTable::memory_bytes() const {
    return prefixes_.capacity() * sizeof(Prefix) + values_.capacity() * sizeof(uint32_t) +
           v4_bucket_.capacity() * sizeof(uint32_t) + v4_start_.capacity() * sizeof(uint16_t) +
           v4_value_.capacity() * sizeof(uint32_t) + v4_owner_.capacity() * sizeof(uint32_t) +
           v6_bucket_.capacity() * sizeof(uint32_t) + v6_start_.capacity() * sizeof(u128) +
           v6_owner_.capacity() * sizeof(uint32_t);
}

}  // namespace iotwatch

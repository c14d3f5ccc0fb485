// radix_sort: sorts a vector by a 64-bit key. `tmp` is the caller's scratch buffer, kept between
// calls: a fresh one per sort was a new mapping of the data's size, and the kernel zeroing its
// pages was a fifth of the ingest time (measured with perf on the 20 M-packet benchmark).
// Used for the telescope's (source, port) and (source, destination) logs and the scan detector's
// pending destinations.
//
// How: LSD passes of up to 11 bits (2048 counters stay in L1) placed on the bits that actually
// vary (each digit starts at the lowest varying bit not yet sorted, so a key like source << 32 |
// destination index needs no pass over its always-zero middle bits), each as narrow as the
// number of passes allows (digit_bits). A million keys or more are
// first split by its top 11 varying bits into 2048 buckets (one pass over memory), and
// each bucket, a few tens of kB, is then LSD-sorted while it sits in cache: every pass but the
// first stays in cache instead of streaming the whole array through memory again (measured on
// the day's 20 M destination pairs: see README, Speed).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

namespace iotwatch {
namespace radix_detail {

constexpr int kBits = 11;
constexpr uint64_t kMask = (1u << kBits) - 1;
/// Split by the top digit first only from this many elements: then the 2048 buckets average
/// 512+ elements, a few kB each, and their per-pass counter setup is small against their work
/// (splitting the 5-min port logs, ~70 k keys, into 34-key buckets made a run 15% slower).
constexpr size_t kSplitFrom = size_t(1) << 20;
/// Buckets this small are sorted by comparison (stable) instead of by 2048-counter passes.
constexpr size_t kSmallBucket = 256;

/// LSD passes needed for the bits of `varying` with digits of `bits` bits, each placed at the
/// lowest varying bit not yet covered.
inline int passes(uint64_t varying, int bits) {
    int n = 0;
    for (; varying; ++n) varying &= ~(((uint64_t(1) << bits) - 1) << __builtin_ctzll(varying));
    return n;
}

/// The digit width for LSD-sorting the bits of `varying`: the narrowest from 8 bits that needs no
/// more passes than kBits does. A narrower digit scatters into fewer buckets, whose write
/// positions stay in L1: the day's (source, destination) pairs (24 varying bits, 3 passes
/// either way) sorted 25% faster with 8-bit digits than with 11-bit ones (microbenchmark, 40 k
/// keys per sort, this machine).
inline int digit_bits(uint64_t varying) {
    const int fewest = passes(varying, kBits);
    int bits = 8;
    while (bits < kBits && passes(varying, bits) > fewest) ++bits;
    return bits;
}

/// LSD-sorts [a, a + n) by the bits of `varying`, using [b, b + n) as scratch. Returns the
/// buffer holding the result (a or b).
template <typename T, typename Key>
T* lsd(T* a, T* b, size_t n, uint64_t varying, Key& key) {
    uint32_t count[1u << kBits];
    const int bits = digit_bits(varying);
    const uint64_t mask = (uint64_t(1) << bits) - 1;
    const size_t digits = size_t(1) << bits;
    while (varying) {
        const int shift = __builtin_ctzll(varying);
        varying &= ~(mask << shift);
        std::fill(count, count + digits, 0);
        for (size_t i = 0; i < n; ++i) ++count[(key(a[i]) >> shift) & mask];
        uint32_t sum = 0;
        for (size_t d = 0; d < digits; ++d) {
            const uint32_t k = count[d];
            count[d] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; ++i) b[count[(key(a[i]) >> shift) & mask]++] = a[i];
        std::swap(a, b);
    }
    return a;
}

/// The key bits that differ between some elements of `v` (0: all keys equal, nothing to sort).
template <typename T, typename A, typename Key>
uint64_t varying_bits(const std::vector<T, A>& v, Key& key) {
    uint64_t any = 0, all = ~0ULL;
    for (const T& x : v) any |= key(x), all &= key(x);
    return any ^ all;
}

}  // namespace radix_detail

template <typename T, typename A, typename Key>
void radix_sort(std::vector<T, A>& v, std::vector<T, A>& tmp, Key key) {
    using namespace radix_detail;
    if (v.size() < 2) return;
    const uint64_t varying = varying_bits(v, key);
    if (!varying) return;
    tmp.resize(v.size());
    const size_t n = v.size();
    const int top = 63 - __builtin_clzll(varying);
    if (n < kSplitFrom || top - __builtin_ctzll(varying) < kBits) {  // small, or one pass anyway
        if (lsd(v.data(), tmp.data(), n, varying, key) != v.data()) v.swap(tmp);
        return;
    }
    // Split by the top digit: the 11 bits ending at the highest varying bit.
    const int shift = std::max(0, top - kBits + 1);
    std::vector<uint32_t> start((1u << kBits) + 1, 0);
    for (const T& x : v) ++start[((key(x) >> shift) & kMask) + 1];
    for (size_t d = 1; d < start.size(); ++d) start[d] += start[d - 1];
    {
        std::vector<uint32_t> next(start.begin(), start.end() - 1);
        for (const T& x : v) tmp[next[(key(x) >> shift) & kMask]++] = x;
    }
    // Each bucket by the bits below the top digit, in cache, with v's same range as scratch;
    // the sorted bucket must end in v.
    const uint64_t below = varying & ~(~0ULL << shift);
    for (size_t d = 0; d + 1 < start.size(); ++d) {
        const size_t lo = start[d], len = start[d + 1] - start[d];
        if (len == 0) continue;
        T* in_tmp = tmp.data() + lo;
        T* in_v = v.data() + lo;
        if (len <= kSmallBucket) {
            std::copy(in_tmp, in_tmp + len, in_v);
            std::stable_sort(in_v, in_v + len, [&](const T& a, const T& b) { return key(a) < key(b); });
            continue;
        }
        T* done = lsd(in_tmp, in_v, len, below, key);
        if (done != in_v) std::copy(done, done + len, in_v);
    }
}

}  // namespace iotwatch

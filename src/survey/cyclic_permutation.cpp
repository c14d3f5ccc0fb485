#include "survey/cyclic_permutation.h"

#include <random>
#include <vector>

#include "core/error.h"

namespace iotwatch {

uint64_t CyclicPermutation::powmod(uint64_t a, uint64_t e, uint64_t m) {
    uint64_t r = 1 % m;
    a %= m;
    while (e) {
        if (e & 1) r = mulmod(r, a, m);
        a = mulmod(a, a, m);
        e >>= 1;
    }
    return r;
}

bool CyclicPermutation::is_prime(uint64_t x) {
    if (x < 2) return false;
    for (uint64_t q : {2ULL, 3ULL, 5ULL, 7ULL, 11ULL, 13ULL, 17ULL, 19ULL, 23ULL, 29ULL, 31ULL, 37ULL})
        if (x % q == 0) return x == q;
    // Deterministic Miller-Rabin for 64-bit integers with these bases.
    uint64_t d = x - 1;
    int s = 0;
    while ((d & 1) == 0) {
        d >>= 1;
        ++s;
    }
    for (uint64_t a : {2ULL, 3ULL, 5ULL, 7ULL, 11ULL, 13ULL, 17ULL, 19ULL, 23ULL, 29ULL, 31ULL, 37ULL}) {
        uint64_t y = powmod(a, d, x);
        if (y == 1 || y == x - 1) continue;
        bool composite = true;
        for (int r = 1; r < s; ++r) {
            y = mulmod(y, y, x);
            if (y == x - 1) {
                composite = false;
                break;
            }
        }
        if (composite) return false;
    }
    return true;
}

CyclicPermutation::CyclicPermutation(uint64_t n, uint64_t seed) : n_(n) {
    if (n == 0 || n >= (uint64_t(1) << 62)) throw ConfigError("survey: the target space must hold 1..2^62 targets");
    // p > n (elements 1..p-1 map to indices 0..p-2); p >= 3 so the group has a generator != 1.
    p_ = n + 1 < 3 ? 3 : n + 1;
    while (!is_prime(p_)) ++p_;
    // Prime factors of p-1: g is a primitive root iff g^((p-1)/q) != 1 for each of them.
    std::vector<uint64_t> factors;
    uint64_t m = p_ - 1;
    for (uint64_t q = 2; q * q <= m; ++q)
        if (m % q == 0) {
            factors.push_back(q);
            while (m % q == 0) m /= q;
        }
    if (m > 1) factors.push_back(m);
    std::mt19937_64 rng(seed);
    for (;;) {
        const uint64_t cand = p_ == 3 ? 2 : 2 + rng() % (p_ - 3);
        bool primitive = true;
        for (uint64_t q : factors)
            if (powmod(cand, (p_ - 1) / q, p_) == 1) {
                primitive = false;
                break;
            }
        if (primitive) {
            g_ = cand;
            break;
        }
    }
    start_ = 1 + rng() % (p_ - 1);
    current_ = start_;
}

std::optional<uint64_t> CyclicPermutation::next() {
    while (emitted_ < n_ && steps_ < p_ - 1) {
        const uint64_t x = current_;
        current_ = mulmod(current_, g_, p_);
        ++steps_;
        if (x - 1 < n_) {
            ++emitted_;
            return x - 1;
        }
    }
    return std::nullopt;
}

void CyclicPermutation::seek(uint64_t steps, uint64_t emitted) {
    steps_ = steps;
    emitted_ = emitted;
    current_ = mulmod(start_, powmod(g_, steps, p_), p_);
}

}  // namespace iotwatch

// CyclicPermutation: visits 0..n-1 each exactly once in a pseudo-random order, as ZMap does:
// iterate x -> x*g mod p in the multiplicative group of integers modulo a prime p > n, with g a
// random primitive root (a generator of the whole group), skipping elements > n. The order is a
// pure function of (n, seed); the state is one number (steps taken), so a stopped campaign resumes
// with seek(steps) and neither repeats nor skips a target.
#pragma once
#include <cstdint>
#include <optional>

namespace iotwatch {

class CyclicPermutation {
public:
    /// n >= 1 and n < 2^62. Throws ConfigError otherwise.
    CyclicPermutation(uint64_t n, uint64_t seed);

    /// The next index, or nullopt when all n were returned.
    std::optional<uint64_t> next();
    /// Group steps taken so far (the resumable position; not the count of indices returned).
    uint64_t position() const { return steps_; }
    /// Indices returned so far.
    uint64_t emitted() const { return emitted_; }
    /// Continues from a stored position() (and the matching emitted count).
    void seek(uint64_t steps, uint64_t emitted);

    uint64_t prime() const { return p_; }
    uint64_t generator() const { return g_; }
    uint64_t size() const { return n_; }

    static bool is_prime(uint64_t x);

private:
    static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) { return uint64_t((unsigned __int128)a * b % m); }
    static uint64_t powmod(uint64_t a, uint64_t e, uint64_t m);
    uint64_t n_, p_, g_, start_;
    uint64_t current_;       // group element at `steps_`
    uint64_t steps_ = 0;     // steps taken (p - 1 is a full cycle)
    uint64_t emitted_ = 0;
};

}  // namespace iotwatch

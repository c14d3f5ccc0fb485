// BitWriter / BitReader: a bit stream inside a ByteWriter's output / a ByteReader's input, with
// the two codes checkpoints use for sorted integer sets: Exp-Golomb (order 0) for small counts and
// Rice (parameter k) for gaps. Bits are stored least significant first; the reader fails (through
// its ByteReader, naming the offset) on a stream that ends early or a code longer than allowed.
//
// Why: the telescope's (source, destination) pairs were ~36 MB of varint deltas at the final
// checkpoint of the 20 M-packet benchmark, and writing them was ~0.4 s of a ~3 s run; Rice-coded
// gaps take ~1.3 bytes a pair where varints took 2.
#pragma once
#include <cstdint>

#include "core/byte_buffer.h"

namespace iotwatch {

class BitWriter {
public:
    explicit BitWriter(ByteWriter& w) : w_(w) {}
    /// Writes the low `count` (<= 32) bits of `v`.
    /// A 64-bit accumulator stored 8 bytes at a time (the same bytes as 4 at a time, least
    /// significant first): half the appends, each a string size check and copy. Always inlined:
    /// as a call, it was a quarter of the time of Rice-coding 18 M gaps.
    [[gnu::always_inline]] void put(uint64_t v, int count) {
        v &= (uint64_t(1) << count) - 1;
        acc_ |= v << n_;  // n_ < 64
        n_ += count;
        if (n_ >= 64) {
            w_.put(acc_);
            n_ -= 64;
            acc_ = n_ ? v >> (count - n_) : 0;  // the bits of v that did not fit
        }
    }
    /// `q` one bits, then a zero.
    void put_unary(uint64_t q) {
        for (; q >= 32; q -= 32) put(0xFFFFFFFFu, 32);
        put((uint64_t(1) << q) - 1, static_cast<int>(q) + 1);
    }
    /// Exp-Golomb of order 0 (v < 2^32): floor(log2(v + 1)) zeros, then v + 1 from its leading 1.
    void put_exp_golomb(uint64_t v) {
        const uint64_t x = v + 1;
        const int bits = 64 - __builtin_clzll(x);
        put(0, bits - 1);
        for (int i = bits - 1; i >= 0; --i) put((x >> i) & 1, 1);
    }
    /// Rice code of `v` with parameter `k` (< 32): v >> k in unary, then its low k bits.
    void put_rice(uint64_t v, int k) {
        const uint64_t q = v >> k;
        if (q < 32 && q + 1 + static_cast<uint64_t>(k) <= 32) {  // usual case: one put(); q < 32 stops q + 1 wrapping
            put(((uint64_t(1) << q) - 1) | (v & ((uint64_t(1) << k) - 1)) << (q + 1), static_cast<int>(q) + 1 + k);
            return;
        }
        put_unary(q);
        if (k) put(v, k);
    }
    /// Writes the last partial bytes (zero-padded). Call once, at the end.
    void finish() {
        for (; n_ > 0; n_ -= 8) {
            w_.put(static_cast<uint8_t>(acc_));
            acc_ >>= 8;
        }
        acc_ = 0;
        n_ = 0;
    }

private:
    ByteWriter& w_;
    uint64_t acc_ = 0;
    int n_ = 0;  // bits in acc_, < 64 between calls
};

class BitReader {
public:
    /// Reads the `size` bytes at `data` (owned by `r`, which reports failures).
    BitReader(const ByteReader& r, const uint8_t* data, size_t size) : r_(r), p_(data), end_(data + size) {}
    uint64_t get(int count) {
        fill(count);
        const uint64_t v = acc_ & ((uint64_t(1) << count) - 1);
        acc_ >>= count;
        n_ -= count;
        return v;
    }
    /// Ones up to the next zero; fails past `limit` of them.
    uint64_t get_unary(uint64_t limit) {
        uint64_t q = 0;
        for (;;) {
            fill(1);
            const uint64_t ones = static_cast<uint64_t>(__builtin_ctzll(~acc_));  // acc_ has a zero above n_
            if (ones < static_cast<uint64_t>(n_)) {
                q += ones;
                if (q > limit) r_.fail("unary code longer than " + std::to_string(limit));
                acc_ >>= ones + 1;
                n_ -= static_cast<int>(ones) + 1;
                return q;
            }
            q += static_cast<uint64_t>(n_);
            if (q > limit) r_.fail("unary code longer than " + std::to_string(limit));
            acc_ = 0;
            n_ = 0;
        }
    }
    uint64_t get_exp_golomb() {
        int zeros = 0;
        while (get(1) == 0)
            if (++zeros > 32) r_.fail("Exp-Golomb code longer than 32 bits");
        uint64_t x = 1;
        for (int i = 0; i < zeros; ++i) x = x << 1 | get(1);
        return x - 1;
    }
    uint64_t get_rice(int k, uint64_t max_quotient) {
        const uint64_t q = get_unary(max_quotient);
        return q << k | (k ? get(k) : 0);
    }

private:
    void fill(int count) {
        while (n_ < count) {
            if (p_ == end_) r_.fail("bit stream ends early");
            acc_ |= uint64_t(*p_++) << n_;
            n_ += 8;
        }
    }
    const ByteReader& r_;
    const uint8_t* p_;
    const uint8_t* end_;
    uint64_t acc_ = 0;  // bits not yet read, next one lowest; zero above n_
    int n_ = 0;
};

}  // namespace iotwatch

// PortCounters: the packet count of each port slot of one open bin (TelescopeAggregator's levels:
// TCP ports in [0, 65536), UDP ports in [65536, 131072)), 32 bits a slot, with the rare counts
// past 2^32 carried into a short list beside the array. Reads give the whole 64-bit count.
//
// Why 32 bits: every TCP or UDP packet increments its port's count in the open 5-minute bin, at
// a slot that is random for backscatter (the victims answer to spoofed source ports). As 64-bit
// counters the array was 1 MB, twice the 512 kB L2 of the benchmark machine; at 512 kB, 1-worker
// ingest of the 20 M-packet benchmark went 3.47 -> 3.34 s (wall medians of 10 alternating runs,
// faster in 9). A count passes 2^32 only with more than 4.29 billion packets to one port in one
// bin (14 M packets/s for five minutes, or a whole day at the 1-day level): then the carry list
// keeps it exact.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace iotwatch {

class PortCounters {
public:
    explicit PortCounters(size_t slots) : low_(slots, 0) {}

    /// Adds one packet (the per-packet path: one 32-bit increment, a branch taken never in practice).
    [[gnu::always_inline]] void add_one(uint32_t slot) {
        if (++low_[slot] == 0) [[unlikely]]
            carry(slot, 1);
    }
    /// Adds `n` packets (folding a finer bin's count into a wider one).
    void add(uint32_t slot, uint64_t n) {
        const uint64_t sum = uint64_t(low_[slot]) + (n & 0xFFFFFFFFu);
        low_[slot] = static_cast<uint32_t>(sum);
        if (const uint64_t high = (sum >> 32) + (n >> 32)) [[unlikely]]
            carry(slot, high);
    }
    /// Sets the count of `slot` to `n` (restoring a checkpoint).
    void set(uint32_t slot, uint64_t n) {
        low_[slot] = static_cast<uint32_t>(n);
        drop_carry(slot);
        if (n >> 32) [[unlikely]]
            carry(slot, n >> 32);
    }
    /// The count of `slot`.
    uint64_t operator[](uint32_t slot) const {
        const uint64_t v = low_[slot];
        if (carries_.empty()) [[likely]]
            return v;
        for (const auto& [s, high] : carries_)
            if (s == slot) return v + (high << 32);
        return v;
    }
    /// The low 32 bits of the count of `slot`: 0 for a slot without packets, and for one whose
    /// count is a multiple of 2^32.
    uint32_t low(uint32_t slot) const { return low_[slot]; }
    /// Zeroes `slot` (clear_carries() must follow before the next read: the bin's reset).
    void zero(uint32_t slot) { low_[slot] = 0; }
    /// Drops every carry (after zero() on each slot that has a count).
    void clear_carries() { carries_.clear(); }

    /// Bytes of the counters (the carry list is empty but for counts past 2^32).
    size_t bytes() const { return low_.size() * sizeof(uint32_t) + carries_.size() * sizeof(carries_[0]); }

private:
    // `units` more multiples of 2^32 for `slot`. A linear list: it holds a slot only after 4.29
    // billion packets to it in one bin, so it is empty, or nearly, on any real telescope.
    [[gnu::noinline]] void carry(uint32_t slot, uint64_t units) {
        for (auto& [s, high] : carries_)
            if (s == slot) {
                high += units;
                return;
            }
        carries_.emplace_back(slot, units);
    }
    void drop_carry(uint32_t slot) {
        for (size_t i = 0; i < carries_.size(); ++i)
            if (carries_[i].first == slot) {
                carries_[i] = carries_.back();
                carries_.pop_back();
                return;
            }
    }

    std::vector<uint32_t> low_;                            // the low 32 bits of each slot's count
    std::vector<std::pair<uint32_t, uint64_t>> carries_;  // (slot, count >> 32) where that is > 0
};

}  // namespace iotwatch

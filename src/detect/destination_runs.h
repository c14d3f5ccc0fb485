// DestinationRuns: the exact set of distinct destinations of one scan (ScanDetector), built from
// batches rather than per-probe inserts.
//
// Layout: a sorted, duplicate-free prefix (`compacted`) followed by a tail of values appended
// since the last compaction (any order, duplicates allowed). Compacting sorts the tail, merges it
// into the prefix and drops duplicates; it runs when the tail has grown as long as the prefix (so
// every value is re-sorted O(log n) times, all of it sequential memory traffic) and whenever an
// exact count is needed. Once a dense darknet's set would cost more than a bitmap over the
// darknet, it becomes that bitmap.
//
// Why not a hash set: the scan detector's sets were inserted into one destination at a time, a
// cache miss per new destination on a set last touched an interval earlier (about 1.3 s of a
// 6-s `--detectors scan` run of the 20 M-packet benchmark, and 16 bytes per destination at half
// load). Here an interval's destinations of a key are appended in one sequential burst, 8 bytes
// each, and nothing is looked up until a count is asked for.
//
// Counts: lower_bound() (the prefix) and upper_bound() (prefix + tail) are free; count() is
// exact and compacts first. Values are dense darknet indexes (universe > 0) or 64-bit address
// hashes (universe == 0, no bitmap).
//
// An empty set can hold its first value inline (hold()), in the object's padding, with no heap
// block. The held value counts in upper_bound() and joins the others, in its place, at the next
// compaction. (Most scan states see a single probe, 2.29 M of the ~2.7 M the scan detector opens
// on the benchmark's day: the detector now keeps that first value in its own one-line state and
// logs it with the second probe, so a single-probe scan never touches its set; it uses hold()
// only when a held-only scan is counted or saved.)
#pragma once
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/byte_buffer.h"

namespace iotwatch {

class DestinationRuns {
public:
    /// Appends one destination (a dense index < universe, or a hash when universe == 0).
    void add(uint64_t value, uint64_t universe) {
        if (bitmap_) {  // (never with a held value: compact() places it before making a bitmap)
            set_bit(value);
            return;
        }
        v_.push_back(value);
        if (v_.size() >= 2 * n_ + kMinTail) compact(universe);
    }
    /// Keeps `value` (< 2^32) inline when the set is empty and returns true; otherwise returns
    /// false and the caller adds it as usual.
    bool hold(uint64_t value) {
        if (held_ || bitmap_ || !v_.empty() || value > UINT32_MAX) return false;
        held_ = true;
        held_value_ = static_cast<uint32_t>(value);
        return true;
    }
    /// Distinct destinations: at least / at most (no work), exactly (compacts the tail).
    uint64_t lower_bound() const { return n_; }
    uint64_t upper_bound() const { return (bitmap_ ? n_ : v_.size()) + held_; }
    uint64_t count(uint64_t universe) {
        compact(universe);
        return lower_bound();
    }
    /// Sorts and de-duplicates the tail into the prefix (and turns into a bitmap when that is
    /// smaller).
    void compact(uint64_t universe) {
        if (bitmap_) return;
        const bool held = std::exchange(held_, false);
        if (v_.size() == n_ && !held) return;
        if (v_.size() != n_) {
            const auto mid = v_.begin() + static_cast<std::ptrdiff_t>(n_);
            // The scan detector appends each interval's destinations of a key in ascending order,
            // so the tail is often sorted already, and often entirely above the prefix: both
            // checks are one pass over what the sort and the merge would read anyway.
            if (!std::is_sorted(mid, v_.end())) std::sort(mid, v_.end());
            if (n_ > 0 && *(mid - 1) >= *mid) std::inplace_merge(v_.begin(), mid, v_.end());
            v_.erase(std::unique(v_.begin(), v_.end()), v_.end());
        }
        if (held) {  // into its place (appended, it would have unsorted the first tail)
            const auto at = std::lower_bound(v_.begin(), v_.end(), uint64_t(held_value_));
            if (at == v_.end() || *at != held_value_) v_.insert(at, held_value_);
        }
        n_ = v_.size();
        if (universe > 0 && n_ * 64 >= universe) to_bitmap(universe);
    }
    /// Heap bytes held (for the memory report).
    uint64_t heap_bytes() const { return v_.capacity() * sizeof(uint64_t); }

    /// Checkpoint encoding: compacted values as varint deltas, or the bitmap's words.
    void save(ByteWriter& w, uint64_t universe) {
        compact(universe);
        w.put<uint8_t>(bitmap_);
        w.put<uint64_t>(n_);
        if (bitmap_) {
            w.put_vector(v_);
            return;
        }
        uint64_t prev = 0;
        for (uint64_t x : v_) {
            w.put_varint(x - prev);
            prev = x;
        }
    }
    /// Restores what save() wrote for the same universe; fails `r` on inconsistent data.
    void load(ByteReader& r, uint64_t universe) {
        *this = DestinationRuns{};
        const bool bitmap = r.get<uint8_t>() != 0;
        const uint64_t n = r.get<uint64_t>();
        if (bitmap) {
            if (universe == 0) r.fail("destination bitmap without a dense darknet");
            v_ = r.get_vector<uint64_t>();
            if (v_.size() != (universe + 63) / 64) r.fail("destination bitmap size differs from its universe");
            uint64_t bits = 0;
            for (uint64_t w : v_) bits += static_cast<uint64_t>(__builtin_popcountll(w));
            if (bits != n) r.fail("destination bitmap count differs from its bits");
            bitmap_ = true;
            n_ = n;
            return;
        }
        if (n > r.remaining()) r.fail("destination count exceeds the data");  // >= 1 byte each
        v_.reserve(n);
        uint64_t prev = 0;
        for (uint64_t i = 0; i < n; ++i) {
            const uint64_t d = r.get_varint();
            if (i > 0 && d == 0) r.fail("destination list not strictly ascending");
            if (d > ~prev) r.fail("destination list overflows");
            prev += d;
            if (universe > 0 && prev >= universe) r.fail("destination outside the darknet");
            v_.push_back(prev);
        }
        n_ = n;
    }

private:
    // A fresh set compacts at kMinTail values, then whenever its tail matches its prefix.
    static constexpr size_t kMinTail = 32;
    void set_bit(uint64_t index) {
        uint64_t& w = v_[index >> 6];
        const uint64_t bit = 1ULL << (index & 63);
        n_ += (w & bit) == 0;
        w |= bit;
    }
    void to_bitmap(uint64_t universe) {
        std::vector<uint64_t> values;
        values.swap(v_);
        v_.assign((universe + 63) / 64, 0);
        bitmap_ = true;
        n_ = 0;
        for (uint64_t x : values) set_bit(x);
    }

    std::vector<uint64_t> v_;  // sorted prefix + tail; bitmap mode: bits over the darknet
    uint64_t n_ = 0;           // length of the sorted prefix; bitmap mode: bits set
    bool bitmap_ = false;
    bool held_ = false;        // held_value_ is a value of the set not yet in v_ (hold())
    uint32_t held_value_ = 0;  // (these two fit in the padding after bitmap_)
};

}  // namespace iotwatch

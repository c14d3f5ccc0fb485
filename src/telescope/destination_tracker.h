// DestinationTracker: the exact set of distinct darknet destinations one source reached in a day.
// Scanners mostly hit new addresses, so an append-only list (compacted by sort+unique when it has
// doubled) is cheaper per packet than a hash set; a source that reaches more than 1/64 of a dense
// darknet switches to a bitmap over the darknet, so no source ever costs more than darknet_size/8
// bytes.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace iotwatch {

class DestinationTracker {
public:
    /// Adds destination `key` (a dense darknet index when `universe` > 0, otherwise a 64-bit address
    /// hash). `universe` is the dense darknet size, or 0 when indexes are not dense.
    void add(uint64_t key, uint64_t universe) {
        if (bitmap_) {
            uint64_t& w = v_[key >> 6];
            const uint64_t bit = 1ULL << (key & 63);
            count_ += (w & bit) == 0;
            w |= bit;
            return;
        }
        v_.push_back(key);
        if (v_.size() >= 2 * sorted_ + 16) compact(universe);
    }
    /// Number of distinct destinations added.
    uint64_t count(uint64_t universe) {
        if (!bitmap_) compact(universe);
        return bitmap_ ? count_ : v_.size();
    }
    /// Heap bytes held (for the memory report).
    uint64_t heap_bytes() const { return v_.capacity() * sizeof(uint64_t); }
    void clear() {
        std::vector<uint64_t>().swap(v_);
        sorted_ = 0;
        count_ = 0;
        bitmap_ = false;
    }

    // Serialization access (checkpoints).
    bool is_bitmap() const { return bitmap_; }
    const std::vector<uint64_t>& raw() const { return v_; }
    void restore(std::vector<uint64_t> raw, bool bitmap, uint64_t count) {
        v_ = std::move(raw);
        bitmap_ = bitmap;
        count_ = bitmap ? count : 0;
        sorted_ = 0;  // list mode: compact() re-sorts everything on the next count()
    }
    uint64_t bitmap_count() const { return count_; }

private:
    void compact(uint64_t universe) {
        if (sorted_ < v_.size()) {
            auto mid = v_.begin() + static_cast<std::ptrdiff_t>(sorted_);
            std::sort(mid, v_.end());
            std::inplace_merge(v_.begin(), mid, v_.end());
            v_.erase(std::unique(v_.begin(), v_.end()), v_.end());
            sorted_ = static_cast<uint32_t>(v_.size());
        }
        if (universe > 0 && v_.size() * 64 > universe) to_bitmap(universe);
    }
    void to_bitmap(uint64_t universe) {
        std::vector<uint64_t> bits((universe + 63) / 64, 0);
        for (uint64_t k : v_) bits[k >> 6] |= 1ULL << (k & 63);
        count_ = v_.size();
        v_.swap(bits);
        bitmap_ = true;
    }

    std::vector<uint64_t> v_;  // list mode: [0, sorted_) sorted unique, then unsorted appends; bitmap mode: bits
    uint32_t sorted_ = 0;
    bool bitmap_ = false;
    uint64_t count_ = 0;       // bitmap mode: bits set
};

}  // namespace iotwatch

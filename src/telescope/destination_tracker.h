// DestinationTracker: an exact set of distinct keys (darknet destinations, ports) filled one key at
// a time; the backscatter detector keeps an attack's attackers and attacker ports in it.
// A small open-addressing set (linear probing, power-of-two capacity, at most half full) while the
// set is small; once it would cost more than a bitmap over a dense darknet, it becomes that
// bitmap, so no set ever costs more than darknet_size/8 bytes and an insert is a few instructions
// either way. (The scan detector, which gets its destinations in sorted batches, uses
// DestinationRuns instead: a sorted run and an appended tail, no random insert.)
#pragma once
#include <cstdint>
#include <vector>

#include "core/byte_buffer.h"

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
        if (key == kEmpty) key = kEmpty - 1;  // only a 64-bit hash can collide with the marker
        if ((count_ + 1) * 2 > v_.size()) grow(universe);
        if (bitmap_) return add(key, universe);
        const size_t mask = v_.size() - 1;
        for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
            if (v_[i] == key) return;
            if (v_[i] == kEmpty) {
                v_[i] = key;
                ++count_;
                return;
            }
        }
    }
    /// Number of distinct destinations added.
    uint64_t count() const { return count_; }
    /// Heap bytes held (for the memory report).
    uint64_t heap_bytes() const { return v_.capacity() * sizeof(uint64_t); }
    void clear() {
        std::vector<uint64_t>().swap(v_);
        count_ = 0;
        bitmap_ = false;
    }

    // Serialization (checkpoints): the members as they are.
    bool is_bitmap() const { return bitmap_; }
    const std::vector<uint64_t>& raw() const { return v_; }
    /// Restores from raw(); returns false when the data is inconsistent (size not a power of two,
    /// or count differs from the contents).
    bool restore(std::vector<uint64_t> raw, bool bitmap, uint64_t count) {
        uint64_t n = 0;
        if (bitmap) {
            for (uint64_t w : raw) n += static_cast<uint64_t>(__builtin_popcountll(w));
        } else {
            if (!raw.empty() && (raw.size() & (raw.size() - 1))) return false;
            for (uint64_t k : raw) n += k != kEmpty;
        }
        if (n != count) return false;
        v_ = std::move(raw);
        bitmap_ = bitmap;
        count_ = count;
        return true;
    }

private:
    static constexpr uint64_t kEmpty = ~0ULL;
    static uint64_t mix(uint64_t x) {
        x ^= x >> 31;
        x *= 0x9E3779B97F4A7C15ULL;
        return x ^ (x >> 29);
    }
    void grow(uint64_t universe) {
        const size_t cap = v_.empty() ? 8 : v_.size() * 2;
        if (universe > 0 && cap * 64 >= universe) {  // the set would outgrow a bitmap: switch
            std::vector<uint64_t> bits((universe + 63) / 64, 0);
            for (uint64_t k : v_)
                if (k != kEmpty) bits[k >> 6] |= 1ULL << (k & 63);
            v_.swap(bits);
            bitmap_ = true;
            return;
        }
        std::vector<uint64_t> old;
        old.swap(v_);
        v_.assign(cap, kEmpty);
        const size_t mask = cap - 1;
        for (uint64_t k : old) {
            if (k == kEmpty) continue;
            size_t i = mix(k) & mask;
            while (v_[i] != kEmpty) i = (i + 1) & mask;
            v_[i] = k;
        }
    }

    std::vector<uint64_t> v_;  // set mode: slots (kEmpty = free); bitmap mode: bits over the darknet
    uint64_t count_ = 0;
    bool bitmap_ = false;
};

/// Checkpoint encoding of a tracker (shared by the detectors).
inline void save_tracker(ByteWriter& w, const DestinationTracker& t) {
    w.put<uint8_t>(t.is_bitmap());
    w.put(t.count());
    w.put_vector(t.raw());
}
/// Restores what save_tracker wrote; a bitmap must cover `universe` keys. Fails `r` on bad data.
inline void load_tracker(ByteReader& r, DestinationTracker& t, uint64_t universe) {
    const bool bitmap = r.get<uint8_t>() != 0;
    const uint64_t count = r.get<uint64_t>();
    auto raw = r.get_vector<uint64_t>();
    // (A bitmap needs a dense darknet: without one, add() would index an empty bitmap.)
    if (bitmap && universe == 0) r.fail("destination bitmap without a dense darknet");
    if (bitmap && raw.size() != (universe + 63) / 64) r.fail("destination bitmap size differs from its universe");
    if (!t.restore(std::move(raw), bitmap, count)) r.fail("inconsistent destination set");
}

}  // namespace iotwatch

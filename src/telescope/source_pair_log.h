// SourcePairLog: the day's (source id, destination) pairs of the telescope, for the exact number
// of distinct destinations per source (TelescopeAggregator).
//
// Every darknet packet appends its pair; compact() sorts and de-duplicates. The pairs are kept in
// groups of 2^kGroupBits consecutive source ids, so compacting is one in-cache radix sort per group
// (a few hundred kB) and the groups in order are the sorted whole. Why not one log sorted at once:
// splitting 20 M pairs by their top digit in place was a chain of dependent cache misses, 8.6% of
// a 1-worker ingest of the 20 M-packet benchmark, and splitting out of place needs a scratch of
// the log's size. A group's pairs live in fixed 64 kB chunks from a pool, not in a vector per
// group: vectors doubling in 500 groups mapped fresh pages at every growth (sys time +0.5 s on
// the benchmark; on this kind of virtual machine a first touch costs ~0.5 ns per byte), while
// chunks are written once and, after a day ends, reused by the next.
//
// Two entry widths. `DensePairLog` (uint32_t entries) is for destinations below 2^24 (the dense
// indexes of a darknet up to a /8, the usual case): an entry is the id's low 8 bits (the group
// gives the rest) and the 24-bit destination, so the log takes 4 bytes a pair instead of 8 (the
// 20 M-packet benchmark's log was 160 MB of fresh pages, and its sorts move half the bytes).
// `AddressPairLog` (uint64_t entries: id << 32 | destination) takes any 32-bit destination (IPv4
// addresses of a darknet that has no dense indexes). Both hand out keys as id << 32 | destination.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/huge_page_allocator.h"
#include "core/radix_sort.h"

namespace iotwatch {

template <typename Entry>
class SourcePairLog {
    static_assert(std::is_same_v<Entry, uint32_t> || std::is_same_v<Entry, uint64_t>);

public:
    /// Largest destination + 1 an entry holds.
    static constexpr uint64_t kDestinationLimit = sizeof(Entry) == 4 ? uint64_t(1) << 24 : uint64_t(1) << 32;

    /// Appends the pair (source `id`, `destination` < kDestinationLimit: a dense darknet index or
    /// an IPv4 address).
    /// Inlined into the telescope's per-packet loop: as a call, its register saves and restores
    /// were ~20 of its ~33 instructions a packet (cachegrind, a generated 2 M-packet day).
    [[gnu::always_inline]] void add(uint32_t id, uint32_t destination) {
        const size_t g = id >> kGroupBits;
        if (g >= groups_.size()) [[unlikely]]
            add_groups(g + 1);
        Group& group = groups_[g];
        if (group.tail == group.tail_end) [[unlikely]]
            new_chunk(group);
        if constexpr (sizeof(Entry) == 4)
            *group.tail++ = (id & kGroupMask) << 24 | destination;
        else
            *group.tail++ = uint64_t(id) << 32 | destination;
        ++group.count;
    }
    /// One compaction shared by two threads: the log's own thread calls compact(&share) and one
    /// other thread may call help_compact(share) meanwhile (or before, or after). Each claims the
    /// next group not yet claimed until none is left; compact() returns once every group is done.
    /// Why: at the final checkpoint of a 1-worker ingest the writer thread, its port rows written,
    /// waited ~0.35 s for this sort (the 20 M-packet benchmark) before it had source rows to write.
    struct Share {
        std::atomic<size_t> next{0};    // the next group to claim
        std::atomic<int> helping{0};    // help_compact() calls in progress
        std::atomic<bool> failed{false};  // a helper's group threw (out of memory): compact() throws
    };

    /// Sorts and de-duplicates every group changed since the last call; with `share`, together
    /// with a help_compact(*share) on another thread.
    void compact(Share* share = nullptr) {
        Share own;
        Share& s = share ? *share : own;
        compact_claimed(s, buffers_[0]);
        // A helper may still be inside the last group it claimed: wait for it. A helper that
        // comes later finds every group claimed and touches nothing.
        for (int h; (h = s.helping.load()) != 0;) s.helping.wait(h);
        for (Buffers& b : buffers_) {
            free_.insert(free_.end(), b.freed.begin(), b.freed.end());
            b.freed.clear();
        }
        if (s.failed) throw std::runtime_error("compacting the (source, destination) pairs failed on the helper thread");
    }
    /// The other thread's part of compact(&share) (at most one such thread per compaction).
    /// Touches only the groups it claims and its own sort buffers.
    void help_compact(Share& share) {
        share.helping.fetch_add(1);
        try {
            compact_claimed(share, buffers_[1]);
        } catch (...) {
            share.failed = true;
        }
        share.helping.fetch_sub(1);
        share.helping.notify_all();
    }
    /// Adds each source's pair count to distinct[id] (distinct destinations after compact()).
    void count_per_source(std::vector<uint64_t>& distinct) const {
        for_each([&](uint64_t k) { ++distinct[k >> 32]; });
    }
    /// Calls f(key) for every pair (key = id << 32 | destination), in key order after compact().
    template <typename F>
    void for_each(F&& f) const {
        for (size_t gi = 0; gi < groups_.size(); ++gi) {
            const uint64_t high = uint64_t(gi) << kGroupBits;
            for_each_entry(groups_[gi], [&](Entry e) {
                if constexpr (sizeof(Entry) == 4)
                    f((high | e >> 24) << 32 | (e & 0xFFFFFF));
                else
                    f(uint64_t(e));
            });
        }
    }
    /// True when every group is sorted and de-duplicated (after compact(), before new pairs).
    bool compacted() const {
        for (const Group& g : groups_)
            if (g.sorted != g.count) return false;
        return true;
    }
    size_t size() const {
        size_t n = 0;
        for (const Group& g : groups_) n += g.count;
        return n;
    }
    /// Bytes held: the chunks (in use and pooled), the groups and the sort buffers.
    uint64_t memory_bytes() const {
        uint64_t buffers = 0;
        for (const Buffers& b : buffers_) buffers += b.keys.capacity() + b.scratch.capacity();
        return (slabs_.size() * kSlab + buffers) * sizeof(Entry) + groups_.capacity() * sizeof(Group);
    }
    /// Drops every pair (a new day); the chunks stay in the pool for the next day's pairs.
    void clear() {
        for (Group& g : groups_) free_.insert(free_.end(), g.chunks.begin(), g.chunks.end());
        groups_.clear();
    }

private:
    static constexpr int kGroupBits = 8;  // 256 sources per group (a narrow entry keeps 8 id bits)
    static constexpr uint32_t kGroupMask = (1u << kGroupBits) - 1;
    static constexpr size_t kChunk = 65536 / sizeof(Entry);  // entries per chunk (64 kB)
    struct Group {
        std::vector<Entry*> chunks;
        Entry* tail = nullptr;      // next free entry in the last chunk
        Entry* tail_end = nullptr;  // end of the last chunk
        size_t count = 0;              // keys in the group
        size_t sorted = 0;             // count at the last compaction (all sorted and unique then)
    };
    /// One thread's sort buffers (reused), and the chunks its compactions left over.
    struct Buffers {
        std::vector<Entry> keys, scratch;
        std::vector<Entry*> freed;
    };
    void compact_claimed(Share& share, Buffers& b) {
        for (size_t gi; (gi = share.next.fetch_add(1)) < groups_.size();) {
            Group& g = groups_[gi];
            if (g.sorted != g.count) compact_group(g, b);
        }
    }
    void compact_group(Group& g, Buffers& b) {
        std::vector<Entry>& keys = b.keys;
        keys.resize(g.count);
        Entry* out = keys.data();
        for_each_entry(g, [&](Entry e) { *out++ = e; });
        // Within a group, entry order is key order (the group fixes the id's high bits).
        radix_sort(keys, b.scratch, [](Entry e) { return uint64_t(e); });
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
        // Back into the group's first chunks; the ones left over return to the pool (compact()).
        const size_t chunks = (keys.size() + kChunk - 1) / kChunk;
        for (size_t c = chunks; c < g.chunks.size(); ++c) b.freed.push_back(g.chunks[c]);
        g.chunks.resize(chunks);
        for (size_t c = 0; c < chunks; ++c) {
            const size_t from = c * kChunk, n = std::min(kChunk, keys.size() - from);
            std::copy(keys.data() + from, keys.data() + from + n, g.chunks[c]);
        }
        g.count = g.sorted = keys.size();
        g.tail = chunks ? g.chunks.back() + (g.count - (chunks - 1) * kChunk) : nullptr;
        g.tail_end = chunks ? g.chunks.back() + kChunk : nullptr;
    }
    template <typename F>
    static void for_each_entry(const Group& g, F&& f) {
        for (size_t c = 0; c < g.chunks.size(); ++c) {
            const size_t n = std::min(kChunk, g.count - c * kChunk);
            for (size_t i = 0; i < n; ++i) f(g.chunks[c][i]);
        }
    }
    // Out of line, so that add() stays small enough to inline into the per-packet path.
    [[gnu::noinline]] void add_groups(size_t n) { groups_.resize(n); }
    [[gnu::noinline]] void new_chunk(Group& g) {
        if (free_.empty()) {
            slabs_.emplace_back();
            for (size_t c = kSlab / kChunk; c-- > 0;) free_.push_back(slabs_.back().entries + c * kChunk);
        }
        g.chunks.push_back(free_.back());
        free_.pop_back();
        g.tail = g.chunks.back();
        g.tail_end = g.tail + kChunk;
    }

    std::vector<Group> groups_;
    // Chunks are carved from 2 MB slabs on transparent huge pages: appends go to ~500 group tails
    // at random, each in its own chunk, and 80 MB of 4 kB pages was a TLB miss and, first, a page
    // fault per 4 kB (see core/huge_page_allocator.h).
    static constexpr size_t kSlab = HugePageAllocator<Entry>::kHugePage / sizeof(Entry);  // entries
    struct Slab {
        Entry* entries = HugePageAllocator<Entry>().allocate(kSlab);
        Slab() = default;
        Slab(Slab&& o) noexcept : entries(std::exchange(o.entries, nullptr)) {}
        Slab(const Slab&) = delete;
        Slab& operator=(const Slab&) = delete;
        ~Slab() {
            if (entries) HugePageAllocator<Entry>().deallocate(entries, kSlab);
        }
    };
    std::vector<Slab> slabs_;            // every chunk ever made (owned here)
    std::vector<Entry*> free_;           // chunks of the slabs not in a group
    Buffers buffers_[2];                 // [0] compact()'s thread, [1] help_compact()'s
};

/// Destinations below 2^24 (dense darknet indexes): 4 bytes a pair.
using DensePairLog = SourcePairLog<uint32_t>;
/// Any 32-bit destination (IPv4 addresses): 8 bytes a pair.
using AddressPairLog = SourcePairLog<uint64_t>;

}  // namespace iotwatch

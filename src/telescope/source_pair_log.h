// SourcePairLog: the day's (source id, destination) pairs of the telescope, for the exact number
// of distinct destinations per source (TelescopeAggregator).
//
// Every darknet packet appends its pair to a staging chunk (64 kB, written front to back); full
// staging chunks are distributed to groups of 2^kGroupBits consecutive source ids, and
// compact() sorts and de-duplicates each group: one in-cache radix sort per group (a few hundred
// kB), and the groups in order are the sorted whole. Why not one log sorted at once: splitting
// 20 M pairs by their top digit in place was a chain of dependent cache misses, 8.6% of a
// 1-worker ingest of the 20 M-packet benchmark, and splitting out of place needs a scratch of the
// log's size. Why staging: appending each pair straight to its group's tail wrote one of ~500
// lines at random, each evicted between two of its pairs, and the packet loop stalled on those
// stores (a fifth of the telescope's per-packet samples); the distribution writes the same lines
// in a tight loop, or on another core. A group's pairs live in fixed 16 kB chunks from a pool,
// not in a vector per group: vectors doubling in 500 groups mapped fresh pages at every growth
// (sys time +0.5 s on the benchmark; on this kind of virtual machine a first touch costs ~0.5 ns
// per byte), while chunks are written once and reused (after a compaction, and by the next day).
//
// A group's sorted pairs are runs: sorted, de-duplicated arrays, each more than twice as long as
// the next one, so at most ~log2 of them. compact() sorts the group's chunks into one more run and
// merges all of them into one (a linear pass); the chunks return to the pool.
//
// Sorting in the background (start_background()): with one worker the machine's other core idled
// while packets were counted, and the final checkpoint then sorted the day's ~18 M pairs (0.6 s of
// the 20 M-packet benchmark's ~4.4 s). Instead, the adding thread hands each full staging chunk
// to a sorting thread, which distributes its pairs and, whenever a group's last chunk is full,
// sorts the group's chunks into a run, merges it with the runs before it while the last is at
// least half as long as the one before, and reuses the chunks. compact() then sorts only each
// group's last, partly filled chunk (which is why chunks are 16 kB, not 64: a quarter of the
// residue) and merges each group's runs.
//
// Two entry widths. `DensePairLog` (uint32_t entries) is for destinations below 2^24 (the dense
// indexes of a darknet up to a /8, the usual case): an entry is the id's low 8 bits (the group
// gives the rest) and the 24-bit destination, so the log takes 4 bytes a pair instead of 8 (the
// 20 M-packet benchmark's log was 160 MB of fresh pages, and its sorts move half the bytes).
// `AddressPairLog` (uint64_t entries: id << 32 | destination) takes any 32-bit destination (IPv4
// addresses of a darknet that has no dense indexes). Both hand out keys as id << 32 | destination.
#pragma once
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
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

    SourcePairLog() = default;
    SourcePairLog(const SourcePairLog&) = delete;
    SourcePairLog& operator=(const SourcePairLog&) = delete;
    ~SourcePairLog() { stop_background(); }

    /// Appends the pair (source `id`, `destination` < kDestinationLimit: a dense darknet index or
    /// an IPv4 address).
    /// Inlined into the telescope's per-packet loop: as a call, its register saves and restores
    /// were ~20 of its ~33 instructions a packet (cachegrind, a generated 2 M-packet day).
    /// The pair goes to a staging chunk, written front to back; when it is full its pairs are
    /// distributed to their groups' chunks (distribute()), by this thread, or by the sorting
    /// thread when there is one. Appending each pair straight to its group's tail, one of ~500
    /// lines written at random, each evicted between two of its pairs, stalled on the store:
    /// perf put a fifth of process()'s samples on it.
    [[gnu::always_inline]] void add(uint32_t id, uint32_t destination) {
        uint64_t*& tail = staged_tail_;
        // A staging chunk is aligned to its size: a tail on the boundary is a full chunk (or null).
        if ((reinterpret_cast<uintptr_t>(tail) & (kStageBytes - 1)) == 0) [[unlikely]]
            tail = next_stage();
        *tail++ = uint64_t(id) << 32 | destination;
    }

    /// From now on, full staging chunks are distributed, and full group chunks sorted, on a
    /// thread of this log's own (see the header comment); the results are the same. For a
    /// machine with a core to spare: the ingest job turns it on with one worker. Call from the
    /// thread that adds.
    void start_background() {
        if (background_) return;
        background_ = std::make_unique<Background>();
        background_->thread = std::thread([this] { sort_in_background(); });
    }
    /// Waits for the chunks handed over so far, then stops the sorting thread.
    void stop_background() {
        if (!background_) return;
        {
            std::unique_lock lock(mutex_);
            background_->stop = true;
        }
        background_->work.notify_one();
        background_->thread.join();
        stage_free_.insert(stage_free_.end(), background_->returned.begin(), background_->returned.end());
        background_.reset();
    }
    bool sorting_in_background() const { return background_ != nullptr; }

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
    /// with a help_compact(*share) on another thread. Waits for the background sorting first.
    void compact(Share* share = nullptr) {
        Share own;
        Share& s = share ? *share : own;
        std::exception_ptr background_error = settle();
        compact_claimed(s, buffers_[0]);
        // A helper may still be inside the last group it claimed: wait for it. A helper that
        // comes later finds every group claimed and touches nothing.
        for (int h; (h = s.helping.load()) != 0;) s.helping.wait(h);
        for (Buffers& b : buffers_) {
            free_.insert(free_.end(), b.freed.begin(), b.freed.end());
            b.freed.clear();
        }
        if (background_error) std::rethrow_exception(background_error);
        if (s.failed) throw std::runtime_error("compacting the (source, destination) pairs failed on the helper thread");
    }
    /// The other thread's part of compact(&share) (at most one such thread per compaction).
    /// Touches only the groups it claims and its own sort buffers.
    void help_compact(Share& share) {
        share.helping.fetch_add(1);
        try {
            settle();
            compact_claimed(share, buffers_[1]);
        } catch (...) {
            share.failed = true;
        }
        share.helping.fetch_sub(1);
        share.helping.notify_all();
    }
    /// Adds each source's pair count to distinct[id] (distinct destinations after compact()).
    /// Compacted, each group is one sorted run in which a source's entries are contiguous: their
    /// end is found by binary search instead of counting them one by one (~17 M pairs at the
    /// benchmark's final checkpoint, 0.063 s as increments of one counter after another).
    void count_per_source(std::vector<uint64_t>& distinct) const {
        if (!compacted()) {
            for_each([&](uint64_t k) { ++distinct[k >> 32]; });
            return;
        }
        for (size_t gi = 0; gi < runs_.size(); ++gi) {
            if (runs_[gi].empty()) continue;
            const Run& run = runs_[gi].front();
            const uint64_t high = uint64_t(gi) << kGroupBits;
            for (const Entry *at = run.begin(), *end = run.end(); at != end;) {
                const Entry e = *at;
                // The source's largest possible entry, and its id (as for_each() makes keys).
                const Entry last = sizeof(Entry) == 4 ? Entry(e | 0xFFFFFF) : Entry(e | 0xFFFFFFFF);
                const uint64_t id = sizeof(Entry) == 4 ? (high | uint64_t(e) >> 24) : uint64_t(e) >> 32;
                const Entry* next = std::upper_bound(at, end, last);
                distinct[id] += static_cast<uint64_t>(next - at);
                at = next;
            }
        }
    }
    /// Calls f(key) for every pair (key = id << 32 | destination), in key order after compact().
    template <typename F>
    void for_each(F&& f) const {
        wait_idle();
        for (size_t gi = 0; gi < groups_.size(); ++gi) {
            const uint64_t high = uint64_t(gi) << kGroupBits;
            for_each_entry(gi, [&](Entry e) {
                if constexpr (sizeof(Entry) == 4)
                    f((high | e >> 24) << 32 | (e & 0xFFFFFF));
                else
                    f(uint64_t(e));
            });
        }
        for (const uint64_t* k = staged_; k != staged_tail_ && staged_tail_; ++k) f(*k);  // not yet distributed
    }
    /// True when every group is sorted and de-duplicated (after compact(), before new pairs).
    bool compacted() const {
        wait_idle();
        if (staged()) return false;
        for (size_t gi = 0; gi < groups_.size(); ++gi)
            if (count(gi) || runs_[gi].size() > 1) return false;
        return true;
    }
    size_t size() const {
        wait_idle();
        size_t n = staged();
        for (size_t gi = 0; gi < groups_.size(); ++gi) n += count(gi);
        for (const Runs& runs : runs_)
            for (const Run& r : runs) n += r.size;
        return n;
    }
    /// Bytes held: the chunks (in use and pooled), the runs, the groups and the sort buffers.
    uint64_t memory_bytes() const {
        wait_idle();
        uint64_t entries = (slabs_.size() + stage_slabs_.size()) * kSlab;  // a slab is kSlab entries (2 MB)
        for (const Buffers& b : buffers_) entries += b.keys.capacity() + b.scratch.capacity();
        if (background_) entries += background_->buffers.keys.capacity() + background_->buffers.scratch.capacity();
        for (const Runs& runs : runs_)
            for (const Run& r : runs) entries += r.capacity;
        return entries * sizeof(Entry) + groups_.capacity() * sizeof(Group) + tails_.capacity() * sizeof(Entry*) +
               runs_.capacity() * sizeof(Runs);
    }
    /// Of memory_bytes(), the staging chunks' slabs. With background sorting their number
    /// depends on timing (how far the adding thread ran ahead of the sorting one, which returns
    /// the chunks it has distributed), not only on the pairs added.
    uint64_t staging_bytes() const {
        wait_idle();
        return stage_slabs_.size() * kSlab * sizeof(Entry);
    }
    /// Drops every pair (a new day); the chunks stay in the pool for the next day's pairs.
    void clear() {
        wait_idle();
        staged_tail_ = nullptr;
        for (Group& g : groups_) free_.insert(free_.end(), g.chunks.begin(), g.chunks.end());
        groups_.clear();
        tails_.clear();
        runs_.clear();
    }

private:
    static constexpr int kGroupBits = 8;  // 256 sources per group (a narrow entry keeps 8 id bits)
    static constexpr uint32_t kGroupMask = (1u << kGroupBits) - 1;
    static constexpr size_t kChunkBytes = 16384;  // chunks are aligned to their size (see distribute())
    static constexpr size_t kStageBytes = 65536;  // the same for staging chunks (see add())
    static constexpr size_t kStage = kStageBytes / sizeof(uint64_t);  // pairs per staging chunk
    static constexpr size_t kChunk = kChunkBytes / sizeof(Entry);  // entries per chunk
    /// A group's appended pairs, unsorted: full chunks, then the one its tail (tails_) writes to.
    struct Group {
        std::vector<Entry*> chunks;
    };
    /// Pairs in group gi's chunks.
    size_t count(size_t gi) const {
        const std::vector<Entry*>& chunks = groups_[gi].chunks;
        if (chunks.empty()) return 0;
        return (chunks.size() - 1) * kChunk + size_t(tails_[gi] - chunks.back());
    }
    /// Sorted, de-duplicated pairs of a group. Not a std::vector: a merge writes every element
    /// of its output once, and a vector would first have zeroed them.
    struct Run {
        std::unique_ptr<Entry[]> data;
        size_t size = 0, capacity = 0;
        const Entry* begin() const { return data.get(); }
        const Entry* end() const { return data.get() + size; }
    };
    /// A group's runs, longest first, each more than twice as long as the next one.
    using Runs = std::vector<Run>;
    /// One thread's sort buffers (reused), and the chunks its compactions left over.
    struct Buffers {
        std::vector<Entry> keys, scratch;
        std::vector<Entry*> freed;
    };
    /// The sorting thread and what it shares with the adding one (guarded by mutex_). While it
    /// runs, the groups (tails_, groups_, runs_, the group chunks' pool) are its own; the adding
    /// thread touches them only when it is idle (settle(), wait_idle()).
    struct Background {
        std::thread thread;
        std::deque<uint64_t*> jobs;     // full staging chunks handed over, not yet taken
        bool busy = false;              // a job taken, not yet done
        bool stop = false;
        std::vector<uint64_t*> returned;  // staging chunks distributed, for new appends
        std::exception_ptr error;       // the first job that failed (its pairs are lost: compact() throws)
        std::condition_variable work;   // a job or stop
        std::condition_variable idle;   // no job left, none busy
        Buffers buffers;                // the sorting thread's own
    };

    void compact_claimed(Share& share, Buffers& b) {
        for (size_t gi; (gi = share.next.fetch_add(1)) < groups_.size();)
            if (count(gi) || runs_[gi].size() > 1) compact_group(gi, b);  // (runs_ has a slot per group)
    }
    /// The group's chunks sorted into a run (the chunks return to the pool, compact()), then all
    /// its runs merged into one.
    void compact_group(size_t gi, Buffers& b) {
        Group& g = groups_[gi];
        Runs& runs = runs_[gi];
        if (const size_t n = count(gi)) {
            sort_entries(g.chunks, n, b);
            push_run(runs, b.keys);
            b.freed.insert(b.freed.end(), g.chunks.begin(), g.chunks.end());
            g.chunks.clear();
            tails_[gi] = nullptr;
        }
        merge_runs(runs, true);
    }
    /// The entries of `chunks` (`count` of them) into b.keys, sorted and de-duplicated.
    static void sort_entries(const std::vector<Entry*>& chunks, size_t count, Buffers& b) {
        std::vector<Entry>& keys = b.keys;
        keys.resize(count);
        Entry* out = keys.data();
        for (size_t c = 0; c < chunks.size(); ++c) {
            const size_t n = std::min(kChunk, count - c * kChunk);
            out = std::copy(chunks[c], chunks[c] + n, out);
        }
        // Within a group, entry order is key order (the group fixes the id's high bits).
        radix_sort(keys, b.scratch, [](Entry e) { return uint64_t(e); });
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    }
    static void push_run(Runs& runs, const std::vector<Entry>& sorted) {
        Run r;
        r.data.reset(new Entry[sorted.size()]);
        r.size = r.capacity = sorted.size();
        std::copy(sorted.begin(), sorted.end(), r.data.get());
        runs.push_back(std::move(r));
    }
    /// Merges the last two runs while the last is at least half as long as the one before it
    /// (`all`: until one is left). A pair in both is kept once.
    static void merge_runs(Runs& runs, bool all) {
        while (runs.size() >= 2) {
            Run& a = runs[runs.size() - 2];
            const Run& c = runs.back();
            if (!all && a.size > 2 * c.size) break;
            Run out;
            out.capacity = a.size + c.size;
            out.data.reset(new Entry[out.capacity]);
            out.size = merge_unique(a.begin(), a.size, c.begin(), c.size, out.data.get());
            a = std::move(out);
            runs.pop_back();
        }
    }
    /// Merges two sorted, de-duplicated arrays into `out`, each key once; returns the count.
    /// Branch-free in the loop: the arrays interleave at random, and a branch per element was
    /// mispredicted half of the time.
    static size_t merge_unique(const Entry* a, size_t na, const Entry* c, size_t nc, Entry* out) {
        size_t i = 0, j = 0, o = 0;
        while (i < na && j < nc) {
            const Entry x = a[i], y = c[j];
            out[o++] = x < y ? x : y;
            i += x <= y;
            j += y <= x;
        }
        out = std::copy(a + i, a + na, out + o);
        std::copy(c + j, c + nc, out);
        return o + (na - i) + (nc - j);
    }
    template <typename F>
    void for_each_entry(size_t gi, F&& f) const {
        if (gi < runs_.size())
            for (const Run& r : runs_[gi])
                for (Entry e : r) f(e);
        const Group& g = groups_[gi];
        const size_t total = count(gi);
        for (size_t c = 0; c < g.chunks.size(); ++c) {
            const size_t n = std::min(kChunk, total - c * kChunk);
            for (size_t i = 0; i < n; ++i) f(g.chunks[c][i]);
        }
    }

    /// Pairs in the staging chunk, not yet distributed.
    size_t staged() const { return staged_tail_ ? size_t(staged_tail_ - staged_) : 0; }
    /// Waits until the sorting thread has done every job handed to it (the adding thread hands
    /// over no more meanwhile), then distributes the staging chunk's pairs (whichever of the
    /// compacting threads comes first). Returns the background's error, if a job failed.
    std::exception_ptr settle() {
        std::unique_lock lock(mutex_);
        std::exception_ptr error;
        if (background_) {
            background_->idle.wait(lock, [&] { return background_->jobs.empty() && !background_->busy; });
            error = background_->error;
        }
        if (staged()) distribute(staged_, staged(), nullptr);
        staged_tail_ = nullptr;  // the chunk stays, for the next pairs
        return error;
    }
    void wait_idle() const {
        if (!background_) return;
        std::unique_lock lock(mutex_);
        background_->idle.wait(lock, [&] { return background_->jobs.empty() && !background_->busy; });
    }
    /// The sorting thread: takes full staging chunks until stopped, distributes their pairs to
    /// the groups, sorting each group's chunks into a run when its last is full (merging runs of
    /// similar length), and returns the staging chunks.
    void sort_in_background() {
        pthread_setname_np(pthread_self(), "pair-sort");
        Background& bg = *background_;
        std::unique_lock lock(mutex_);
        for (;;) {
            bg.work.wait(lock, [&] { return !bg.jobs.empty() || bg.stop; });
            if (bg.jobs.empty()) return;  // stopped, every job done
            uint64_t* chunk = bg.jobs.front();
            bg.jobs.pop_front();
            bg.busy = true;
            lock.unlock();
            try {
                distribute(chunk, kStage, &bg.buffers);
            } catch (...) {
                lock.lock();
                if (!bg.error) bg.error = std::current_exception();  // pairs were lost: compact() throws
                lock.unlock();
            }
            lock.lock();
            bg.returned.push_back(chunk);
            bg.busy = false;
            if (bg.jobs.empty()) bg.idle.notify_all();
        }
    }
    /// Appends `n` staged pairs to their groups' chunks. With `sort_here` (the sorting thread),
    /// a group whose chunks are all full is sorted into a run before it gets a new one.
    void distribute(const uint64_t* keys, size_t n, Buffers* sort_here) {
        for (size_t i = 0; i < n; ++i) {
            const uint64_t key = keys[i];
            const size_t g = key >> (32 + kGroupBits);
            if (g >= tails_.size()) [[unlikely]]
                add_groups(g + 1);
            Entry*& tail = tails_[g];
            if ((reinterpret_cast<uintptr_t>(tail) & (kChunkBytes - 1)) == 0) [[unlikely]]
                tail = new_chunk(g, sort_here);
            if constexpr (sizeof(Entry) == 4)
                *tail++ = static_cast<uint32_t>((key >> 32) & kGroupMask) << 24 | static_cast<uint32_t>(key);
            else
                *tail++ = key;
        }
    }

    // Out of line, so that add() stays small enough to inline into the per-packet path.
    [[gnu::noinline]] void add_groups(size_t n) {
        groups_.resize(n);
        tails_.resize(n, nullptr);
        runs_.resize(n);
    }
    /// The staging chunk for the next pairs: the current one, emptied (its pairs distributed
    /// here, or handed to the sorting thread, which then gets a fresh one), or a first one.
    [[gnu::noinline]] uint64_t* next_stage() {
        if (staged_ && staged_tail_) {  // full
            if (background_) {
                {
                    std::unique_lock lock(mutex_);
                    background_->jobs.push_back(staged_);
                    stage_free_.insert(stage_free_.end(), background_->returned.begin(), background_->returned.end());
                    background_->returned.clear();
                }
                background_->work.notify_one();
                staged_ = nullptr;
            } else {
                distribute(staged_, kStage, nullptr);
            }
        }
        if (!staged_) {
            if (stage_free_.empty()) {
                stage_slabs_.emplace_back();
                const size_t per_slab = kSlab * sizeof(Entry) / kStageBytes;
                uint64_t* base = reinterpret_cast<uint64_t*>(stage_slabs_.back().entries);
                for (size_t c = per_slab; c-- > 0;) stage_free_.push_back(base + c * kStage);
            }
            staged_ = stage_free_.back();
            stage_free_.pop_back();
        }
        return staged_;
    }
    /// A fresh chunk for group gi, whose last chunk is full (or which has none); returns its
    /// start. With `sort_here`, the group's full chunks are first sorted into a run and return
    /// to the pool.
    Entry* new_chunk(size_t gi, Buffers* sort_here) {
        Group& g = groups_[gi];
        if (sort_here && !g.chunks.empty()) {
            Runs& runs = runs_[gi];
            sort_entries(g.chunks, g.chunks.size() * kChunk, *sort_here);
            push_run(runs, sort_here->keys);
            free_.insert(free_.end(), g.chunks.begin(), g.chunks.end());
            g.chunks.clear();
            merge_runs(runs, false);
        }
        if (free_.empty()) {
            slabs_.emplace_back();
            for (size_t c = kSlab / kChunk; c-- > 0;) free_.push_back(slabs_.back().entries + c * kChunk);
        }
        g.chunks.push_back(free_.back());
        free_.pop_back();
        return g.chunks.back();
    }

    uint64_t* staged_ = nullptr;       // the staging chunk (see add())
    uint64_t* staged_tail_ = nullptr;  // where the next pair goes in it; null: it is empty (or none)
    std::vector<Entry*> tails_;  // per group: where its next pair goes (see distribute())
    std::vector<Group> groups_;
    std::vector<Runs> runs_;     // per group
    // Chunks are carved from 2 MB slabs on transparent huge pages: appends go to ~500 group tails
    // at random, each in its own chunk, and 80 MB of 4 kB pages was a TLB miss and, first, a page
    // fault per 4 kB (see core/huge_page_allocator.h).
    static constexpr size_t kSlab = HugePageAllocator<Entry>::kHugePage / sizeof(Entry);  // entries
    // A slab is 2 MB-aligned (HugePageAllocator), so its chunks are aligned to their size.
    static_assert(HugePageAllocator<Entry>::huge(kSlab) && HugePageAllocator<Entry>::kHugePage % kChunkBytes == 0);
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
    std::vector<Slab> stage_slabs_;      // staging chunks, 32 to a slab
    std::vector<uint64_t*> stage_free_;  // staging chunks not in use
    Buffers buffers_[2];                 // [0] compact()'s thread, [1] help_compact()'s
    mutable std::mutex mutex_;           // guards background_'s queues, and settle()
    std::unique_ptr<Background> background_;  // with start_background()
};

/// Destinations below 2^24 (dense darknet indexes): 4 bytes a pair.
using DensePairLog = SourcePairLog<uint32_t>;
/// Any 32-bit destination (IPv4 addresses): 8 bytes a pair.
using AddressPairLog = SourcePairLog<uint64_t>;

}  // namespace iotwatch

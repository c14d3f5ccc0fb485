// SourcePairLog: the day's (source id, destination) pairs of the telescope, for the exact number
// of distinct destinations per source (TelescopeAggregator).
//
// Every darknet packet appends its pair; compact() sorts and de-duplicates. The pairs are kept in
// groups of 2^kGroupBits consecutive source ids, so compacting is one in-cache radix sort per group
// (a few hundred kB) and the groups in order are the sorted whole. Why not one log sorted at once:
// splitting 20 M pairs by their top digit in place was a chain of dependent cache misses, 8.6% of
// a 1-worker ingest of the 20 M-packet benchmark, and splitting out of place needs a scratch of
// the log's size. A group's new pairs are appended to fixed 16 kB chunks from a pool, not to a
// vector per group: vectors doubling in 500 groups mapped fresh pages at every growth (sys time
// +0.5 s on the benchmark; on this kind of virtual machine a first touch costs ~0.5 ns per byte),
// while chunks are written once and reused (after a compaction, and by the next day).
//
// A group's sorted pairs are runs: sorted, de-duplicated arrays, each more than twice as long as
// the next one, so at most ~log2 of them. compact() sorts the group's chunks into one more run and
// merges all of them into one (a linear pass); the chunks return to the pool.
//
// Sorting in the background (start_background()): with one worker the machine's other core idled
// while packets were counted, and the final checkpoint then sorted the day's ~18 M pairs (0.6 s of
// the 20 M-packet benchmark's ~4.4 s). Instead, whenever a group's last chunk is full, the adding
// thread hands the group's chunks to a sorting thread, which sorts them into a run, merges it
// with the runs before it while the last is at least half as long as the one before, and gives
// the chunks back. compact() then sorts only each group's last, partly filled chunk (which is why
// chunks are 16 kB, not 64: a quarter of the residue) and merges each group's runs.
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
    /// The per-packet path touches only the group's tail pointer (8 bytes in an array of them,
    /// a few kB) and the line it writes: the tail's chunk is aligned to its size, so a tail on a
    /// chunk boundary means the chunk is full (or there is none: null), and the group's count
    /// follows from its chunks. With the tail, end and count in one 56-byte group record read
    /// at random, the record's line (often two: 56 does not divide 64) missed the cache: perf put
    /// a fifth of process()'s samples on the append.
    [[gnu::always_inline]] void add(uint32_t id, uint32_t destination) {
        const size_t g = id >> kGroupBits;
        if (g >= tails_.size()) [[unlikely]]
            add_groups(g + 1);
        Entry*& tail = tails_[g];
        if ((reinterpret_cast<uintptr_t>(tail) & (kChunkBytes - 1)) == 0) [[unlikely]]
            tail = new_chunk(g);
        if constexpr (sizeof(Entry) == 4)
            *tail++ = (id & kGroupMask) << 24 | destination;
        else
            *tail++ = uint64_t(id) << 32 | destination;
    }

    /// From now on, full chunks are sorted on a thread of this log's own (see the header
    /// comment); the results are the same. For a machine with a core to spare: the ingest job
    /// turns it on with one worker. Call from the thread that adds.
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
        free_.insert(free_.end(), background_->returned.begin(), background_->returned.end());
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
    void count_per_source(std::vector<uint64_t>& distinct) const {
        for_each([&](uint64_t k) { ++distinct[k >> 32]; });
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
    }
    /// True when every group is sorted and de-duplicated (after compact(), before new pairs).
    bool compacted() const {
        wait_idle();
        for (size_t gi = 0; gi < groups_.size(); ++gi)
            if (count(gi) || (gi < runs_.size() && runs_[gi].size() > 1)) return false;
        return true;
    }
    size_t size() const {
        wait_idle();
        size_t n = 0;
        for (size_t gi = 0; gi < groups_.size(); ++gi) n += count(gi);
        for (const Runs& runs : runs_)
            for (const Run& r : runs) n += r.size;
        return n;
    }
    /// Bytes held: the chunks (in use and pooled), the runs, the groups and the sort buffers.
    uint64_t memory_bytes() const {
        wait_idle();
        uint64_t entries = slabs_.size() * kSlab;
        for (const Buffers& b : buffers_) entries += b.keys.capacity() + b.scratch.capacity();
        if (background_) entries += background_->buffers.keys.capacity() + background_->buffers.scratch.capacity();
        for (const Runs& runs : runs_)
            for (const Run& r : runs) entries += r.capacity;
        return entries * sizeof(Entry) + groups_.capacity() * sizeof(Group) + tails_.capacity() * sizeof(Entry*) +
               runs_.capacity() * sizeof(Runs);
    }
    /// Drops every pair (a new day); the chunks stay in the pool for the next day's pairs.
    void clear() {
        settle();
        for (Group& g : groups_) free_.insert(free_.end(), g.chunks.begin(), g.chunks.end());
        groups_.clear();
        tails_.clear();
        runs_.clear();
    }

private:
    static constexpr int kGroupBits = 8;  // 256 sources per group (a narrow entry keeps 8 id bits)
    static constexpr uint32_t kGroupMask = (1u << kGroupBits) - 1;
    static constexpr size_t kChunkBytes = 16384;  // chunks are aligned to their size (see add())
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
    /// Full chunks of a group handed to the sorting thread.
    struct Job {
        size_t group;
        std::vector<Entry*> chunks;
    };
    /// The sorting thread and what it shares with the adding one (guarded by mutex_).
    struct Background {
        std::thread thread;
        std::deque<Job> jobs;           // handed over, not yet taken
        bool busy = false;              // a job taken, not yet done
        bool stop = false;
        std::vector<Entry*> returned;   // chunks sorted into runs, for new appends
        std::exception_ptr error;       // the first job that failed (its pairs are lost: compact() throws)
        std::condition_variable work;   // a job or stop
        std::condition_variable idle;   // no job left, none busy
        Buffers buffers;                // the sorting thread's own
    };

    void compact_claimed(Share& share, Buffers& b) {
        for (size_t gi; (gi = share.next.fetch_add(1)) < groups_.size();)
            if (count(gi) || runs_[gi].size() > 1) compact_group(gi, b);
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

    /// Waits until the sorting thread has done every job handed to it (the adding thread hands
    /// over no more meanwhile), then gives every group its (possibly empty) runs. Returns the
    /// background's error, if a job failed.
    std::exception_ptr settle() {
        std::unique_lock lock(mutex_);
        std::exception_ptr error;
        if (background_) {
            background_->idle.wait(lock, [&] { return background_->jobs.empty() && !background_->busy; });
            error = background_->error;
        }
        if (runs_.size() < groups_.size()) runs_.resize(groups_.size());
        return error;
    }
    void wait_idle() const {
        if (!background_) return;
        std::unique_lock lock(mutex_);
        background_->idle.wait(lock, [&] { return background_->jobs.empty() && !background_->busy; });
    }
    /// The sorting thread: takes jobs until stopped, sorts each into a run of its group, merges
    /// runs of similar length and returns the chunks. Only it touches runs_ while it runs; the
    /// adding thread reads them after settle() or wait_idle().
    void sort_in_background() {
        pthread_setname_np(pthread_self(), "pair-sort");
        Background& bg = *background_;
        std::unique_lock lock(mutex_);
        for (;;) {
            bg.work.wait(lock, [&] { return !bg.jobs.empty() || bg.stop; });
            if (bg.jobs.empty()) return;  // stopped, every job done
            Job job = std::move(bg.jobs.front());
            bg.jobs.pop_front();
            bg.busy = true;
            if (runs_.size() <= job.group) runs_.resize(job.group + 1);
            Runs& runs = runs_[job.group];
            lock.unlock();
            bool sorted = false;
            try {
                sort_entries(job.chunks, job.chunks.size() * kChunk, bg.buffers);
                push_run(runs, bg.buffers.keys);
                sorted = true;
                merge_runs(runs, false);
            } catch (...) {
                lock.lock();
                if (!sorted && !bg.error) bg.error = std::current_exception();
                lock.unlock();
            }
            lock.lock();
            bg.returned.insert(bg.returned.end(), job.chunks.begin(), job.chunks.end());
            bg.busy = false;
            if (bg.jobs.empty()) bg.idle.notify_all();
        }
    }

    // Out of line, so that add() stays small enough to inline into the per-packet path.
    [[gnu::noinline]] void add_groups(size_t n) {
        groups_.resize(n);
        tails_.resize(n, nullptr);
    }
    /// A fresh chunk for group gi, whose last chunk is full (or which has none); returns its start.
    [[gnu::noinline]] Entry* new_chunk(size_t gi) {
        Group& g = groups_[gi];
        if (background_ && !g.chunks.empty()) {  // every chunk of the group is full: hand them over
            {
                std::unique_lock lock(mutex_);
                background_->jobs.push_back(Job{gi, std::move(g.chunks)});
                if (free_.empty()) free_.swap(background_->returned);
            }
            background_->work.notify_one();
            g.chunks.clear();
        }
        if (free_.empty()) {
            slabs_.emplace_back();
            for (size_t c = kSlab / kChunk; c-- > 0;) free_.push_back(slabs_.back().entries + c * kChunk);
        }
        g.chunks.push_back(free_.back());
        free_.pop_back();
        return g.chunks.back();
    }

    std::vector<Entry*> tails_;  // per group: where its next pair goes (see add())
    std::vector<Group> groups_;
    std::vector<Runs> runs_;  // per group; the sorting thread's while it runs (see settle())
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
    Buffers buffers_[2];                 // [0] compact()'s thread, [1] help_compact()'s
    mutable std::mutex mutex_;           // guards background_'s queues and runs_'s size
    std::unique_ptr<Background> background_;  // with start_background()
};

/// Destinations below 2^24 (dense darknet indexes): 4 bytes a pair.
using DensePairLog = SourcePairLog<uint32_t>;
/// Any 32-bit destination (IPv4 addresses): 8 bytes a pair.
using AddressPairLog = SourcePairLog<uint64_t>;

}  // namespace iotwatch

// HugePageAllocator: a std::allocator for large blocks read or written at random (FlatTable's
// slots, the scan detector's states, the logs that are radix-sorted), which asks the kernel to
// back them with 2 MB transparent huge pages. HugePageVector<T> is a std::vector using it.
//
// Why: the per-source table of the 20 M-packet benchmark is 32 MB probed at random, one probe a
// packet. With 4 kB pages that is 8192 pages, far beyond the TLB's reach, so most probes also
// walk the page table; with 2 MB pages it is 16. Debian's kernels default transparent huge
// pages to `madvise` mode, in which only memory marked with madvise(MADV_HUGEPAGE) gets them,
// and glibc's malloc marks nothing. Measured on that benchmark, 1 worker: 5.05 -> 4.68 s (median
// of 7 alternating runs). Where the kernel has THP disabled, madvise fails and is ignored: the
// memory is ordinary pages, as before.
//
// The cost: the kernel must find a free 2 MB page at the first touch. With THP `defrag` set to
// `madvise` (Debian's default) it compacts memory for one when none is free, which can stall on a
// long-running machine whose memory is fragmented. IOTWATCH_HUGE_PAGES=0 in the environment turns
// the request off (read once); the blocks are then ordinary pages.
//
// Blocks of at least kHugeThreshold bytes are 2 MB-aligned (a huge page can only back an aligned
// 2 MB range) and rounded up to a 2 MB multiple; smaller ones come from operator new (aligned to
// a cache line, as a table of 64-byte slots needs). madvise is called before the first touch, so
// the page faults themselves map huge pages (no wait for khugepaged).
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace iotwatch {

template <typename T>
class HugePageAllocator {
public:
    using value_type = T;
    static constexpr size_t kHugePage = size_t(2) << 20;
    /// Blocks from this size up are huge-page backed (smaller ones would waste most of a page).
    static constexpr size_t kHugeThreshold = kHugePage;

    HugePageAllocator() = default;
    template <typename U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

    T* allocate(size_t n) {
        if (n > size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
        const size_t bytes = n * sizeof(T);
        if (bytes < kHugeThreshold) return static_cast<T*>(::operator new(bytes, std::align_val_t(kSmallAlign)));
        void* p = std::aligned_alloc(kHugePage, rounded(bytes));
        if (!p) throw std::bad_alloc();
        if (huge_pages_wanted()) ::madvise(p, rounded(bytes), MADV_HUGEPAGE);  // a hint: failure leaves ordinary pages
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t n) noexcept {
        if (n * sizeof(T) < kHugeThreshold)
            ::operator delete(p, std::align_val_t(kSmallAlign));
        else
            std::free(p);
    }
    /// True when a block of n elements is huge-page backed (2 MB-aligned).
    static constexpr bool huge(size_t n) { return n * sizeof(T) >= kHugeThreshold; }

    template <typename U>
    bool operator==(const HugePageAllocator<U>&) const noexcept {
        return true;
    }

    /// False when the environment says IOTWATCH_HUGE_PAGES=0.
    static bool huge_pages_wanted() {
        static const bool wanted = [] {
            const char* v = std::getenv("IOTWATCH_HUGE_PAGES");
            return !(v && v[0] == '0' && v[1] == '\0');
        }();
        return wanted;
    }

private:
    static constexpr size_t kSmallAlign = alignof(T) > 64 ? alignof(T) : 64;
    static constexpr size_t rounded(size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }
};

template <typename T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace iotwatch

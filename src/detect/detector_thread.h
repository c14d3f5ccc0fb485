// DetectorThread: runs an unpartitioned worker's detectors on a thread of their own, fed through a
// single-producer, single-consumer ring, so that on a machine with a second core detection runs
// beside the counting instead of after it in every packet's path.
//
// Why: on the 20 M-packet benchmark the detectors (almost all of it the scan detector's per-probe
// state misses) cost more CPU than the counting itself; in the worker's loop they doubled the
// time of a 1-worker ingest while the machine's other core idled. Here the worker copies each
// darknet packet (and its dense index and source id) into the ring, a sequential write, and this
// thread calls the detectors in the same order with the same arguments as the worker would have,
// so every result is identical (tests/integration/detection_threads.sh compares the stores).
//
// Contract:
// - One producer thread calls observe(), end_interval() and publish(); drain() may be called by
//   any one thread at a time while the producer is not producing (the ingest job's checkpoint
//   calls it from its helper thread while the worker waits).
// - After drain() returns, the caller may use the detectors directly (open_results, serialize,
//   finish, restore) until the next observe()/end_interval(): the thread is idle meanwhile, and
//   publishing the next entries orders those calls before its next ones.
// - What the detectors emit is collected by take_output() at the producer's interval ends (what
//   the thread has emitted up to the interval ends it has processed) and after drain() (all).
// - The source-hint word of the hinted detector (Detector::uses_source_hint) lives here, in an
//   array indexed by the aggregator's source id, not in the source's record (which this thread
//   may not read); like the record's word it is only a hint, verified before use.
// - Detectors that take digests (Detector::uses_source_ids) get them through observe_digest(),
//   four to an entry, with source_added() and source_ids_reset() in order among them; the others
//   get packets through observe(). The producer feeds each kind only if the thread has detectors
//   of that kind (takes_packets(), takes_digests()).
// - An exception of a detector stops detection; drain() rethrows it.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "capture/decoded_packet.h"
#include "core/huge_page_allocator.h"
#include "detect/detector.h"

namespace iotwatch {

class DetectorThread {
public:
    // 262,144 entries (32 MB): the worker and the thread each stall for milliseconds at their own
    // interval work (the worker closing bins, the scan detector sorting its log and sweeping its
    // states), and the queue must cover that for the other to go on. `--detect`, 1 worker,
    // alternating runs on the 20 M-packet benchmark: 32 k entries 4.76-5.13 s, 256 k entries
    // 4.41-4.62 s (5 each), 512 k no better. On huge pages: written once around, in order.
    static constexpr uint64_t kDefaultCapacity = 262144;
    // Polls of the ring before sleeping on a condition variable (each a few tens of ns): a worker
    // publishes a batch every few microseconds, and a futex wait and wake per batch would cost
    // more than the polling.
    static constexpr int kDefaultSpins = 2000;
    /// Runs `source`, `keyed` and `global` detectors (Detector::Scope, all unpartitioned) with
    /// `hinted` (one of `source`, or null) given the source hint. The detectors must outlive this.
    /// `capacity`: ring entries (rounded up to a power of two); tests use small rings.
    /// `consumer_spins`: how often the thread polls an empty ring before it sleeps until the
    /// producer publishes. `wake_batch`: a sleeping thread is woken when at least this many
    /// entries wait, or at an interval's end, a drain() or a full ring (1: whenever any wait).
    DetectorThread(std::vector<Detector*> source, std::vector<Detector*> keyed, std::vector<Detector*> global,
                   Detector* hinted, uint64_t capacity = kDefaultCapacity, int consumer_spins = kDefaultSpins,
                   uint64_t wake_batch = 1);
    ~DetectorThread();
    DetectorThread(const DetectorThread&) = delete;
    DetectorThread& operator=(const DetectorThread&) = delete;

    /// The thread has detectors that take whole packets (observe()) / digests (observe_digest()).
    bool takes_packets() const { return takes_packets_; }
    bool takes_digests() const { return !digest_.empty(); }
    /// Queues one darknet packet (producer). Visible to the thread after the next publish(), or
    /// once enough entries are queued.
    void observe(const DecodedPacket& p, uint64_t dense_index, uint32_t source_id) {
        seal_digests();
        const uint64_t need = p.has_quoted ? 2 : 1;  // published together
        if (tail_ + need - cached_head_ > capacity_) wait_for_room(need);
        Entry& e = ring_[tail_ & mask_];
        std::memcpy(e.packet, &p, kPacketPrefix);
        e.l4_offset = p.l4_offset;
        e.l3_offset = p.l3_offset;
        e.dense_index = dense_index;
        e.source_id = source_id;
        e.kind = Kind::kObserve;
        if (p.has_quoted) {
            e.kind = Kind::kObserveQuoted;
            Entry& q = ring_[(tail_ + 1) & mask_];  // the quoted header in the next slot
            std::memcpy(q.packet, &p.quoted, sizeof(QuotedHeader));
            q.kind = Kind::kQuote;
        }
        tail_ += need;
        if (tail_ - published_plain_ >= kPublishEvery) publish();
    }
    /// Queues a packet's digest for the detectors that take digests (producer).
    void observe_digest(const PacketDigest& d) {
        if (digests_open_ == 0 && tail_ + 1 - cached_head_ > capacity_) wait_for_room(1);
        std::memcpy(digest_bytes(ring_[tail_ & mask_]) + digests_open_ * sizeof(PacketDigest), &d, sizeof d);
        if (++digests_open_ == kDigestsPerEntry) {
            seal_digests();
            if (tail_ - published_plain_ >= kPublishEvery) publish();
        }
    }
    /// Queues source_added(id, src) / source_ids_reset() for the detectors that take digests.
    void source_added(uint32_t id, const IpAddress& src);
    void source_ids_reset();
    /// Queues every detector's end_interval(now_ns) and publishes.
    void end_interval(int64_t now_ns);
    /// Makes the queued entries visible to the thread; `urgent`: and wakes it even if fewer than
    /// its wake batch wait.
    void publish(bool urgent = false);
    /// Publishes and waits until the thread has processed everything queued; rethrows a
    /// detector's exception.
    void drain();
    /// Moves what the detectors emitted and the thread has passed on so far into `out`.
    void take_output(DetectionOutput& out);
    /// Forgets the source hints (after a restore: the detectors' state was replaced).
    void clear_hints();

private:
    enum class Kind : uint8_t { kObserve, kObserveQuoted, kQuote, kEndInterval, kSync, kDigests, kSourceAdded,
                                kSourceIdsReset };
    // A packet as two cache lines, not the three of a DecodedPacket: its fields up to the quoted
    // header, copied as they are, and the quoted header (ICMP errors only) in a slot of its own
    // that follows. The thread rebuilds the DecodedPacket. A third fewer bytes to copy and read
    // than whole DecodedPackets (192-byte entries), though the wall time measured no different.
    static constexpr size_t kPacketPrefix = offsetof(DecodedPacket, quoted);
    static_assert(std::is_trivially_copyable_v<DecodedPacket> && offsetof(DecodedPacket, has_quoted) < kPacketPrefix &&
                  offsetof(DecodedPacket, l4_offset) >= kPacketPrefix + sizeof(QuotedHeader) &&
                  offsetof(DecodedPacket, l3_offset) >= kPacketPrefix + sizeof(QuotedHeader));
    struct alignas(64) Entry {
        unsigned char packet[kPacketPrefix];  // DecodedPacket's first bytes; kQuote: a QuotedHeader
        uint64_t dense_index;
        uint32_t source_id;
        uint32_t l4_offset;
        uint16_t l3_offset;
        Kind kind;
    };
    static_assert(sizeof(Entry) == 128 && sizeof(QuotedHeader) <= kPacketPrefix);
    static constexpr uint64_t kPublishEvery = 64;
    // A kDigests entry: this many digests in the bytes before source_id (`packet` and
    // dense_index), their count in source_id.
    static constexpr uint32_t kDigestsPerEntry = 4;
    static_assert(kDigestsPerEntry * sizeof(PacketDigest) <= offsetof(Entry, source_id));
    static unsigned char* digest_bytes(Entry& e) { return reinterpret_cast<unsigned char*>(&e); }
    static const unsigned char* digest_bytes(const Entry& e) { return reinterpret_cast<const unsigned char*>(&e); }

    /// Queues the entry of the digests written so far, if any (not yet published).
    void seal_digests() {
        if (digests_open_ == 0) return;
        Entry& e = ring_[tail_ & mask_];
        e.source_id = digests_open_;
        e.kind = Kind::kDigests;
        ++tail_;
        digests_open_ = 0;
    }
    /// The next free slot for a one-slot entry.
    Entry& slot() {
        seal_digests();
        if (tail_ + 1 - cached_head_ > capacity_) wait_for_room(1);
        return ring_[tail_ & mask_];
    }
    /// Publishes what is queued and waits until `slots` more entries fit.
    void wait_for_room(uint64_t slots);
    void run();
    /// The packet of an observe entry at `index` (its quote, if any, at index + 1).
    DecodedPacket unpack(uint64_t index) const;
    void process(uint64_t index, DetectionOutput& out);
    void prefetch(uint64_t index, int stage) const;
    void pass_on(DetectionOutput& out);

    std::vector<Detector*> digest_;  // the kPerSource ones that take digests (before source_: it fills them)
    std::vector<Detector*> source_, keyed_, global_;
    Detector* hinted_;
    bool takes_packets_;
    bool packet_at_stage0_;  // a detector's stage-0 prefetch reads the packet (not only the hinted one)
    int consumer_spins_;     // polls of an empty ring before the thread sleeps
    uint64_t wake_batch_;    // entries waiting that wake a sleeping thread
    uint64_t capacity_, mask_;
    HugePageVector<Entry> ring_;
    // Producer side, on a line of its own: the thread reads the fields above for every entry
    // (ring_, mask_), and sharing their line with these, which the producer writes for every
    // packet, cost the scan thread ~5% of its time (perf: the load of ring_'s pointer).
    alignas(64) uint64_t tail_ = 0;  // next entry to write
    uint64_t published_plain_ = 0; // the producer's copy of published_
    uint64_t cached_head_ = 0;     // the producer's last look at head_
    uint32_t digests_open_ = 0;    // digests written into the entry at tail_, not yet queued
    uint64_t urgent_plain_ = 0;    // the producer's copy of urgent_
    // Shared. Each on its own line: the producer writes published_, the thread head_.
    alignas(64) std::atomic<uint64_t> published_{0};
    std::atomic<uint64_t> urgent_{0};  // the thread is woken for the entries before this one
    alignas(64) std::atomic<uint64_t> head_{0};
    alignas(64) std::atomic<bool> thread_sleeping_{false};
    std::atomic<bool> producer_sleeping_{false};
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable wake_thread_, wake_producer_;
    DetectionOutput ready_;        // emitted and passed on (mu_)
    std::exception_ptr error_;     // a detector's (mu_)
    // The thread's own.
    std::vector<uint64_t> hints_;  // by source id
    std::thread thread_;
};

}  // namespace iotwatch

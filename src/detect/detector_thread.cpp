#include "detect/detector_thread.h"

#include <algorithm>
#include <bit>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IOTWATCH_PAUSE() _mm_pause()
#else
#define IOTWATCH_PAUSE() ((void)0)
#endif

namespace iotwatch {
namespace {

constexpr int kSpins = DetectorThread::kDefaultSpins;  // the producer's polls, when it waits
// Prefetch distances in entries, as the aggregator's inline path uses (Detector::prefetch).
constexpr uint64_t kStage0Ahead = 16;
constexpr uint64_t kStage1Ahead = 8;
// The entries themselves, written by the other core, are fetched further ahead still.
constexpr uint64_t kEntryAhead = 32;

/// The detectors of `source` that take packets; those that take digests go to `digest`.
std::vector<Detector*> split_digest_takers(const std::vector<Detector*>& source, std::vector<Detector*>& digest) {
    std::vector<Detector*> packets;
    for (Detector* d : source) (d->uses_source_ids() ? digest : packets).push_back(d);
    return packets;
}

}  // namespace

DetectorThread::DetectorThread(std::vector<Detector*> source, std::vector<Detector*> keyed,
                               std::vector<Detector*> global, Detector* hinted, uint64_t capacity,
                               int consumer_spins, uint64_t wake_batch)
    : source_(split_digest_takers(source, digest_)), keyed_(std::move(keyed)), global_(std::move(global)),
      hinted_(hinted), takes_packets_(!source_.empty() || !keyed_.empty() || !global_.empty()),
      packet_at_stage0_(!global_.empty() || std::any_of(source_.begin(), source_.end(), [&](Detector* d) { return d != hinted_; })),
      consumer_spins_(consumer_spins), wake_batch_(std::max<uint64_t>(wake_batch, 1)),
      capacity_(std::bit_ceil(std::max<uint64_t>(capacity, 64))), mask_(capacity_ - 1), ring_(capacity_) {
    thread_ = std::thread([this] { run(); });
}

DetectorThread::~DetectorThread() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_.store(true);
        wake_thread_.notify_one();
    }
    thread_.join();
}

void DetectorThread::publish(bool urgent) {
    seal_digests();
    if (published_plain_ == tail_ && (!urgent || urgent_plain_ == tail_)) return;
    published_plain_ = tail_;
    published_.store(tail_, std::memory_order_seq_cst);
    if (urgent) {  // after published_: a thread woken for urgent_ finds the entries published
        urgent_plain_ = tail_;
        urgent_.store(tail_, std::memory_order_seq_cst);
    }
    // Paired with run()'s store of thread_sleeping_ before it rechecks published_ and urgent_:
    // one of the two sides sees the other's store, so a wake-up is never lost. The condition is
    // the one the thread sleeps on (its head_ is its position when it sleeps).
    if (thread_sleeping_.load(std::memory_order_seq_cst) &&
        (urgent || tail_ - head_.load(std::memory_order_seq_cst) >= wake_batch_)) {
        std::lock_guard<std::mutex> lock(mu_);
        wake_thread_.notify_one();
    }
}

void DetectorThread::end_interval(int64_t now_ns) {
    Entry& e = slot();
    std::memcpy(e.packet, &now_ns, sizeof now_ns);
    e.kind = Kind::kEndInterval;
    ++tail_;
    publish(true);
}

void DetectorThread::source_added(uint32_t id, const IpAddress& src) {
    Entry& e = slot();
    std::memcpy(e.packet, &src, sizeof src);
    e.source_id = id;
    e.kind = Kind::kSourceAdded;
    ++tail_;
}

void DetectorThread::source_ids_reset() {
    slot().kind = Kind::kSourceIdsReset;
    ++tail_;
}

void DetectorThread::wait_for_room(uint64_t slots) {
    publish(true);  // the thread may be waiting for exactly these
    for (int i = 0; i < kSpins; ++i) {
        cached_head_ = head_.load(std::memory_order_acquire);
        if (tail_ + slots - cached_head_ <= capacity_) return;
        IOTWATCH_PAUSE();
    }
    std::unique_lock<std::mutex> lock(mu_);
    producer_sleeping_.store(true, std::memory_order_seq_cst);
    wake_producer_.wait(lock, [&] { return tail_ + slots - head_.load(std::memory_order_seq_cst) <= capacity_; });
    producer_sleeping_.store(false, std::memory_order_relaxed);
    cached_head_ = head_.load(std::memory_order_acquire);
}

void DetectorThread::drain() {
    Entry& e = slot();
    e.kind = Kind::kSync;
    ++tail_;
    publish(true);
    bool done = false;
    for (int i = 0; i < kSpins && !done; ++i) {
        done = head_.load(std::memory_order_acquire) == tail_;
        if (!done) IOTWATCH_PAUSE();
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (!done) {
        producer_sleeping_.store(true, std::memory_order_seq_cst);
        wake_producer_.wait(lock, [&] { return head_.load(std::memory_order_seq_cst) == tail_; });
        producer_sleeping_.store(false, std::memory_order_relaxed);
    }
    cached_head_ = tail_;
    if (error_) std::rethrow_exception(error_);
}

void DetectorThread::take_output(DetectionOutput& out) {
    std::lock_guard<std::mutex> lock(mu_);
    out.take_detections_from(ready_);
}

void DetectorThread::clear_hints() { hints_.clear(); }

void DetectorThread::pass_on(DetectionOutput& out) {
    if (out.detections_empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    ready_.take_detections_from(out);
}

DecodedPacket DetectorThread::unpack(uint64_t index) const {
    const Entry& e = ring_[index & mask_];
    DecodedPacket p;
    std::memcpy(static_cast<void*>(&p), e.packet, kPacketPrefix);
    if (e.kind == Kind::kObserveQuoted)
        std::memcpy(static_cast<void*>(&p.quoted), ring_[(index + 1) & mask_].packet, sizeof(QuotedHeader));
    p.l4_offset = e.l4_offset;
    p.l3_offset = e.l3_offset;
    return p;
}

void DetectorThread::prefetch(uint64_t index, int stage) const {
    const Entry& e = ring_[index & mask_];
    if (e.kind != Kind::kObserve && e.kind != Kind::kObserveQuoted) return;
    if (stage == 0 && !packet_at_stage0_) {  // only the hint word's line: no packet to rebuild
        if (hinted_ && e.source_id < hints_.size()) __builtin_prefetch(&hints_[e.source_id]);
        return;
    }
    const DecodedPacket p = unpack(index);
    for (const Detector* d : source_) {
        if (d != hinted_) {
            d->prefetch(p, stage);
        } else if (e.source_id < hints_.size()) {
            if (stage == 0)
                __builtin_prefetch(&hints_[e.source_id]);
            else
                d->prefetch_hinted(p, hints_[e.source_id]);
        } else if (stage == 1) {
            d->prefetch_hinted(p, 0);
        }
    }
    for (const Detector* d : global_) d->prefetch(p, stage);
}

// The calls TelescopeAggregator::process() makes for an unpartitioned worker, in its order.
void DetectorThread::process(uint64_t index, DetectionOutput& out) {
    const Entry& e = ring_[index & mask_];
    if (e.kind == Kind::kEndInterval) {
        int64_t now_ns;
        std::memcpy(&now_ns, e.packet, sizeof now_ns);
        for (Detector* d : global_) d->end_interval(now_ns, out);
        for (Detector* d : keyed_) d->end_interval(now_ns, out);
        for (Detector* d : source_) d->end_interval(now_ns, out);
        for (Detector* d : digest_) d->end_interval(now_ns, out);
        return;
    }
    if (e.kind == Kind::kDigests) {
        for (uint32_t i = 0; i < e.source_id; ++i) {
            PacketDigest digest;
            std::memcpy(&digest, digest_bytes(e) + i * sizeof(PacketDigest), sizeof digest);
            for (Detector* d : digest_) d->observe_digest(digest, out);
        }
        return;
    }
    if (e.kind == Kind::kSourceAdded) {
        IpAddress src;
        std::memcpy(static_cast<void*>(&src), e.packet, sizeof src);
        for (Detector* d : digest_) d->source_added(e.source_id, src);
        return;
    }
    if (e.kind == Kind::kSourceIdsReset) {
        for (Detector* d : digest_) d->source_ids_reset();
        return;
    }
    if (e.kind != Kind::kObserve && e.kind != Kind::kObserveQuoted) return;
    const DecodedPacket p = unpack(index);
    for (Detector* d : global_) d->observe(p, e.dense_index, out);
    for (Detector* d : keyed_) {
        IpAddress key;
        if (d->partition_key(p, key)) d->observe(p, e.dense_index, out);
    }
    for (Detector* d : source_) {
        if (d == hinted_) {
            if (e.source_id >= hints_.size()) hints_.resize(std::max<size_t>(size_t(e.source_id) + 1, hints_.size() * 2), 0);
            d->observe_hinted(p, e.dense_index, hints_[e.source_id], out);
        } else {
            d->observe(p, e.dense_index, out);
        }
    }
}

void DetectorThread::run() {
    const uint64_t kMask = mask_;
    DetectionOutput out;
    uint64_t head = 0, pf0 = 0, pf1 = 0;
    bool failed = false;
    for (;;) {
        uint64_t avail = published_.load(std::memory_order_acquire);
        for (int i = 0; i < consumer_spins_ && avail == head; ++i) {
            IOTWATCH_PAUSE();
            avail = published_.load(std::memory_order_acquire);
        }
        if (avail == head) {
            std::unique_lock<std::mutex> lock(mu_);
            thread_sleeping_.store(true, std::memory_order_seq_cst);
            wake_thread_.wait(lock, [&] {
                return published_.load(std::memory_order_seq_cst) - head >= wake_batch_ ||
                       urgent_.load(std::memory_order_seq_cst) > head || stop_.load(std::memory_order_relaxed);
            });
            thread_sleeping_.store(false, std::memory_order_relaxed);
            if (published_.load(std::memory_order_acquire) == head) return;  // stopped, nothing left
            continue;
        }
        while (head < avail) {
            // Room is handed back in steps, not per entry (head_ is a line the producer reads).
            const uint64_t end = std::min(avail, head + 64);
            for (; head < end; ++head) {
                if (head + kEntryAhead < avail) {
                    const char* next = reinterpret_cast<const char*>(&ring_[(head + kEntryAhead) & kMask]);
                    for (size_t line = 0; line < sizeof(Entry); line += 64) __builtin_prefetch(next + line);
                }
                for (; pf0 < std::min(avail, head + kStage0Ahead); ++pf0) prefetch(pf0, 0);
                for (; pf1 < std::min(avail, head + kStage1Ahead); ++pf1) prefetch(pf1, 1);
                const Kind kind = ring_[head & kMask].kind;
                try {
                    if (!failed) process(head, out);
                    // What ended by an interval's end is passed on then; a sync passes on the rest.
                    if (kind == Kind::kEndInterval || kind == Kind::kSync) pass_on(out);
                } catch (...) {
                    std::lock_guard<std::mutex> lock(mu_);
                    if (!error_) error_ = std::current_exception();
                    failed = true;
                }
            }
            head_.store(head, std::memory_order_seq_cst);
            if (producer_sleeping_.load(std::memory_order_seq_cst)) {
                std::lock_guard<std::mutex> lock(mu_);
                wake_producer_.notify_one();
            }
        }
    }
}

}  // namespace iotwatch

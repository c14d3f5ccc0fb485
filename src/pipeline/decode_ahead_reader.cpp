#include "pipeline/decode_ahead_reader.h"

#include <algorithm>

#include "capture/raw_packet.h"

namespace iotwatch {

DecodeAheadReader::DecodeAheadReader(std::unique_ptr<PacketSource> source, uint64_t sync_records)
    : source_(std::move(source)), sync_records_(sync_records), ring_(kRingBatches) {
    for (Batch& b : ring_) b.packets.resize(kBatchPackets);
    thread_ = std::thread([this] { run(); });
}

DecodeAheadReader::~DecodeAheadReader() {
    cancel_.store(true);
    // Changes the value the reader may be waiting on, so that a wait it enters after the notify
    // returns at once (tail_ is not read by anyone else once the reader stops).
    tail_.fetch_add(1);
    tail_.notify_all();
    thread_.join();
}

const DecodeAheadReader::Batch& DecodeAheadReader::front() {
    const uint32_t t = tail_.load(std::memory_order_relaxed);
    for (uint32_t h = head_.load(std::memory_order_acquire); h == t; h = head_.load(std::memory_order_acquire))
        head_.wait(h, std::memory_order_acquire);
    return ring_[t % kRingBatches];
}

void DecodeAheadReader::pop() {
    const uint32_t t = tail_.load(std::memory_order_relaxed) + 1;
    // Sequentially consistent with the reader's store of reader_waiting_ and load of tail_: either
    // it sees this slot free or this sees it waiting.
    tail_.store(t);
    if (reader_waiting_.load() && head_.load(std::memory_order_acquire) - t <= kRingBatches / 2) tail_.notify_one();
}

void DecodeAheadReader::run() {
    uint64_t since_sync = 0;
    for (uint32_t h = 0;; ++h) {
        if (h - tail_.load(std::memory_order_acquire) == kRingBatches) {
            for (;;) {  // full: sleep until half of the ring is free
                reader_waiting_.store(true);
                const uint32_t t = tail_.load();
                if (cancel_.load()) return;
                if (h - t <= kRingBatches / 2) break;
                tail_.wait(t);
            }
            reader_waiting_.store(false, std::memory_order_relaxed);
        }
        if (cancel_.load(std::memory_order_relaxed)) return;
        Batch& b = ring_[h % kRingBatches];
        b.filled = 0;
        b.wire_bytes = 0;
        b.sync = b.end = false;
        b.error = nullptr;
        try {
            const uint64_t want = std::min<uint64_t>(kBatchPackets, sync_records_ - since_sync);
            RawPacket raw;
            while (b.filled < want) {
                if (!source_->next(raw)) {
                    b.end = true;
                    break;
                }
                b.wire_bytes += raw.wirelen;
                decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, b.packets[b.filled]);
                ++b.filled;
            }
        } catch (...) {
            b.error = std::current_exception();
            b.end = true;
        }
        b.offset = source_->current_offset();
        since_sync += b.filled;
        if (since_sync == sync_records_) {
            since_sync = 0;
            b.sync = !b.error;
        }
        head_.store(h + 1, std::memory_order_release);
        head_.notify_one();
        if (b.end) return;
    }
}

}  // namespace iotwatch

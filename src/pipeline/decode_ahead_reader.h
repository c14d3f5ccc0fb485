#pragma once
// DecodeAheadReader: reads and decodes one capture's records on a thread of its own, a batch
// ahead of the worker that counts them. With one worker and a second core, the record walk and
// decoding (a sixth of the worker's time on the benchmark capture) leave the worker's critical
// path; the worker then only counts. The packets, their order and the batch boundaries at every
// kSyncRecords-th record are those the worker would have read itself, so results are the same.
//
// Owns: the reading thread and a ring of decoded batches. Does not count, classify or store.

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "capture/decoded_packet.h"
#include "capture/packet_source.h"

namespace iotwatch {

class DecodeAheadReader {
public:
    /// Records decoded into one batch (at most; a batch also ends at a sync point or the end).
    static constexpr size_t kBatchPackets = 256;
    /// Batches in the ring: 65,536 records, ~9 MB. The ring must cover the milliseconds for which
    /// the scheduler gives the reader's core to the other threads there (the pair sort, the
    /// store writer): with 16 batches the worker waited for the reader at 23 k of the benchmark's
    /// 78 k batches, with 256 at 9 (wall medians of 5 alternating runs: 16: 3.63 s, 64: 3.36 s,
    /// 256: 3.30 s, 1,024: 3.26 s). The reader, once the ring is full, sleeps until half of it is
    /// free, so that it is woken once per kRingBatches / 2 batches, not per batch.
    static constexpr uint32_t kRingBatches = 256;

    /// One batch of decoded records, in capture order.
    struct Batch {
        std::vector<DecodedPacket> packets;  // kBatchPackets entries; the first `filled` are valid
        size_t filled = 0;
        uint64_t wire_bytes = 0;   // the records' wire lengths
        uint64_t offset = 0;       // the source's byte offset after the batch's last record
        bool sync = false;         // the batch ends at a multiple of `sync_records` records
        bool end = false;          // the last batch: the input ended, or failed (see error)
        std::exception_ptr error;  // with end: what next() threw after the batch's records
    };

    /// Starts reading `source` (already positioned) on a new thread. A sync point falls after
    /// every `sync_records` records counted from here.
    DecodeAheadReader(std::unique_ptr<PacketSource> source, uint64_t sync_records);
    /// Stops the reading thread (it may be blocked on a full ring) and joins it.
    ~DecodeAheadReader();
    DecodeAheadReader(const DecodeAheadReader&) = delete;
    DecodeAheadReader& operator=(const DecodeAheadReader&) = delete;

    /// The next batch, waiting for it if need be. Valid until pop().
    const Batch& front();
    /// Frees the front batch for the reader.
    void pop();

private:
    void run();

    std::unique_ptr<PacketSource> source_;
    const uint64_t sync_records_;
    std::vector<Batch> ring_;
    // Counts of batches published and consumed (wrapping; their difference is the fill level).
    alignas(64) std::atomic<uint32_t> head_{0};
    alignas(64) std::atomic<uint32_t> tail_{0};
    std::atomic<bool> reader_waiting_{false};
    std::atomic<bool> cancel_{false};
    std::thread thread_;
};

}  // namespace iotwatch

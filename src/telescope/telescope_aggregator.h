// TelescopeAggregator: counts every packet that reaches the darknet, per UTC time bin (5 min, 1 h,
// 1 day), per class, per destination port and per source, with exact unique counts.
//
// Shape (after CAIDA corsaro's interval plugins): process() per packet; when a packet's time passes
// the end of the open bin, the bin is closed and its rows are handed to the BinSink in one batch
// (never per packet). flush_open() emits the rows of the still-open bins without closing them, so
// a run can end, checkpoint its state, and a later run resume and rewrite those bins complete.
//
// Why it is fast: one hash lookup per packet for all source-level state (the source's day record
// remembers in which 5-min and 1-h bin it was last counted, so unique-source counts at every width
// come from that one lookup); everything else is sequential: (source, port) and (source,
// destination) keys are appended to logs that are radix-sorted when bins close, and
// per-destination state lives in flat arrays indexed by the darknet's dense address index.
//
// Packets older than the open 5-min bin (out-of-order input) are counted in the open bin and in the
// `late` counter; they are never dropped.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "capture/decoded_packet.h"
#include "core/flat_table.h"
#include "detect/detector.h"
#include "detect/detector_thread.h"
#include "store/rows.h"
#include "telescope/darknet.h"
#include "telescope/source_pair_log.h"

namespace iotwatch {

/// A partitioned worker's darknet destinations of one bin, with the classes of the packets each
/// was sent by the worker's sources. Unique destinations do not add up across workers (the
/// sources of two workers may probe the same address), so RowMerger unites these and counts them.
struct DestinationMarks {
    int64_t bin_start = 0;  // seconds
    int32_t width = 0;
    /// Dense darknets: kClassCount bitmaps of equal size (class c's is the c-th), bit i for the
    /// darknet's dense index i. Empty for other darknets.
    std::vector<uint64_t> bits;
    /// Other darknets: each destination with its class bits (1 << class), in no order.
    std::vector<std::pair<IpAddress, uint16_t>> sparse;
};

/// Unique destinations per class and (last) of all classes, from DestinationMarks' `bits` (the
/// kClassCount bitmaps, or empty) and `sparse` (each destination once), e.g. united from several
/// workers.
std::array<uint64_t, kClassCount + 1> count_destinations(const std::vector<uint64_t>& bits,
                                                         const std::vector<std::pair<IpAddress, uint16_t>>& sparse);

/// Rows of the bins closed (or flushed) together.
/// The rows of one close event, and what the detectors emitted since the previous one.
struct BinRows : DetectionOutput {
    std::vector<ClassBinRow> classes;
    std::vector<PortBinRow> ports;
    std::vector<BinMetaRow> meta;
    std::vector<SensorBinRow> sensors;
    std::vector<SourceDayRow> sources;
    /// Partitioned workers only (their class rows' `destinations` are 0): one entry per closed or
    /// flushed bin, united and counted by RowMerger, which passes none on.
    std::vector<DestinationMarks> destination_marks;
    bool empty() const { return classes.empty() && meta.empty() && sources.empty() && detections_empty(); }
    void clear();
};

/// Receives batches of rows. `final_rows` is false for flush_open() batches (bins still open).
/// It is called once per close event even when the batch is empty, so that workers fed the same
/// packets produce the same sequence of calls.
class BinSink {
public:
    virtual ~BinSink() = default;
    virtual void on_rows(const BinRows& rows, bool final_rows) = 0;
    /// The same for rows the caller gives away (a sink that keeps them may take them, not copy).
    virtual void on_rows_owned(BinRows&& rows, bool final_rows) { on_rows(rows, final_rows); }
};

/// Memory figures for the benchmark and --stats.
struct AggregatorMemory {
    uint64_t active_sources = 0;
    uint64_t source_state_bytes = 0;     // fixed per-source record + index slot, all sources
    uint64_t destination_set_bytes = 0;  // heap of the per-source destination sets
    uint64_t port_table_bytes = 0;       // (source, port) logs of the open bins
    uint64_t fixed_bytes = 0;            // per-bin arrays (ports, destination masks)
    uint64_t total() const { return source_state_bytes + destination_set_bytes + port_table_bytes + fixed_bytes; }
};

class TelescopeAggregator {
public:
    TelescopeAggregator(const Darknet& darknet, BinSink& sink);
    ~TelescopeAggregator();
    TelescopeAggregator(const TelescopeAggregator&) = delete;
    TelescopeAggregator& operator=(const TelescopeAggregator&) = delete;

    /// Makes this aggregator one of `count` workers that see the same packets: it counts only
    /// sources whose address hash falls in partition `index` (so per-source state and unique-source
    /// counts are disjoint and add up), and worker 0 also counts non-IP and undecodable frames.
    /// Each worker marks the destinations of its own sources' packets and hands them over with
    /// its rows (BinRows::destination_marks). Merging the workers' rows is then a sum per key and
    /// a union of the marks (RowMerger). Call before the first packet.
    ///
    /// A worker needs only the timestamp of a packet whose source it does not own (a kForeign
    /// entry), and not even that when the packet opens no later bin than the ones it was given
    /// (see five_minute_bin_end_ns()); process_batch() and count_skipped() cover both cases.
    void set_partition(uint32_t index, uint32_t count);
    /// True when this worker owns address `a` (sources, and the keys of kPerKey detectors);
    /// always when unpartitioned.
    bool owns_address(const IpAddress& a) const { return partition_count_ == 1 || owns_hash(a.hash()); }
    /// True when a packet of another worker's source whose IP protocol (peek_source()) is
    /// `ip_protocol` changes nothing here but the bins its timestamp may open: this worker runs
    /// no all-packet detector and every per-key detector keys such packets by their source
    /// (Detector::keyed_by_source). Its reader may then hand it over as a kForeign entry,
    /// undecoded. Always true without detectors.
    bool foreign_skippable(uint8_t ip_protocol) const {
        if (partition_index_ == 0 && !global_detectors_.empty()) return false;
        for (const Detector* d : keyed_detectors_)
            if (!d->keyed_by_source(ip_protocol)) return false;
        return true;
    }

    /// Runs `detectors` on the darknet packets (detect/detector.h). What they emit is handed to the
    /// sink with the rows of the next bin close (or flush). Call before the first packet. In
    /// partitioned mode per-source detectors see the worker's own sources, per-key detectors the
    /// worker's own keys, and all-packet detectors run on worker 0 only. Every worker must be
    /// given the same detector list.
    void set_detectors(std::vector<std::unique_ptr<Detector>> detectors);
    /// Runs the detectors given by set_detectors() on a thread of their own (DetectorThread)
    /// instead of in this worker's per-packet path; results are identical. Unpartitioned workers
    /// only (ignored otherwise); call after set_detectors() and before the first packet. For a
    /// machine with a core to spare: the ingest job turns it on with one worker.
    void run_detectors_on_thread();
    /// Sorts the day's (source, destination) pairs on a thread of their own while packets are
    /// counted (SourcePairLog::start_background()), so that a checkpoint has little left to sort;
    /// results are identical. For a machine with a core to spare: the ingest job turns it on
    /// with one worker. Call before the first packet.
    void sort_pairs_in_background();
    bool detectors_on_thread() const { return detector_thread_ != nullptr; }
    /// The scan-event and backscatter detectors with these thresholds (what --detect turns on
    /// without a model).
    void enable_detection(ScanThresholds scans = {}, BackscatterThresholds attacks = {});

    /// Counts one decoded frame (any DecodeStatus; non-IP and undecodable frames are counted too).
    void process(const DecodedPacket& p);
    /// Counts `n` frames in order; prefetches per-source state a few packets ahead (faster than n
    /// calls of process() when sources do not fit in cache).
    void process_batch(const DecodedPacket* p, size_t n);
    /// Emits the rows of the open bins as they stand (not final); state is kept. The same rows
    /// as prepare_flush(), prepare_flush_sources() and both hand-overs, in one sink call.
    void flush_open();
    /// flush_open() in steps, so that a second thread can write rows while this one computes:
    /// prepare_flush() computes the open bins' rows and the detectors' open results, and
    /// hand_over_flush() hands them to the sink; prepare_flush_sources() computes the day's
    /// source rows (the slow part: the distinct destinations), hand_over_flush_sources() hands
    /// them over in a second sink call (made even when there are none, so that partitioned
    /// workers' calls still pair up in the RowMerger). Each hand-over reads only its prepared
    /// rows, so it may run on another thread while this one runs the next prepare step or
    /// serialize(), once its own prepare step has returned (nothing else may run meanwhile).
    /// prepare_pairs() does the first part of prepare_flush_sources() (sorting the day's
    /// (source, destination) pairs) and may run on one thread while prepare_flush() and then
    /// hand_over_flush() run on another: it touches only the pair logs, which they do not.
    /// Given a `share`, that other thread may then help with help_prepare_pairs(*share) (the
    /// pair logs' groups are handed out to both); prepare_pairs() returns when all are sorted.
    void prepare_flush();
    void hand_over_flush();
    struct PairsShare {
        DensePairLog::Share dense;
        AddressPairLog::Share wide;
    };
    void prepare_pairs(PairsShare* share = nullptr);
    void help_prepare_pairs(PairsShare& share);
    void prepare_flush_sources();
    void hand_over_flush_sources();
    /// Closes every open bin (final rows) and resets; used at the end of a non-resumable run.
    void close_all();

    /// Serializes the open state (for a checkpoint) / restores it. restore() throws InputError on a
    /// corrupt blob and ConfigError when it was made for a different darknet.
    std::string serialize() const;
    /// serialize(), appended to `w` (no copy of the state for a caller that adds to it).
    void serialize(class ByteWriter& w) const;
    void restore(const std::string& blob);

    AggregatorMemory memory() const;
    /// Bytes of the fixed per-source record (index slot + state), for the benchmark's printout.
    static uint64_t bytes_per_source_record();
    uint64_t packets_seen() const { return packets_seen_; }
    /// Counts `n` frames a partitioned worker's reader left out, undecoded: another worker's
    /// sources, none of which would open a later bin (they change nothing else here).
    void count_skipped(uint64_t n) { packets_seen_ += n; }
    /// The first timestamp past the 5-min bin that holds `ts_ns` as process() places packets
    /// (INT64_MAX for the last bin of the range). A packet earlier than this bound for every
    /// packet already given to process() opens no bin.
    static int64_t five_minute_bin_end_ns(int64_t ts_ns);

private:
    struct Level;
    struct SourceState;
    /// A (source, port) pair of a bin and its packets: key = source id << 17 | udp << 16 | port.
    struct PortPair {
        uint64_t key;
        uint64_t packets;
    };
    // (source, port) logs run to millions of pairs, radix-sorted at every bin close: on huge
    // pages, as the sorts scatter over 2048 buckets at once (core/huge_page_allocator.h).
    using PortPairs = HugePageVector<PortPair>;
    struct AddressHash {
        uint64_t operator()(const IpAddress& a) const { return a.hash(); }
    };

    /// Counts a TCP/UDP packet of source `s` to port slot `pi` (udp << 16 | port) for the unique
    /// sources per port and the source's ports: in the source's inline pairs, or the 5-min log.
    void count_port(SourceState& s, uint32_t pi);
    /// True when this worker counts the sources whose address hash() is `address_hash` (always,
    /// unpartitioned): owns_address() with the hash already computed.
    bool owns_hash(uint64_t address_hash) const {
        // Partition on high hash bits: the table indexes with the low ones, which must stay uniform.
        return partition_count_ == 1 || (address_hash >> 40) % partition_count_ == partition_index_;
    }
    /// process() with the ownership already known.
    void process(const DecodedPacket& p, bool owner, uint64_t src_hash);  // src_hash: of source_key(p.src)
    void start_bins(int64_t ts_s);
    // True when the packet is older than the open bin. Inline for the common case, a packet of
    // the open 5-min bin (two compares; the full computation was ~40 instructions a packet).
    bool advance(int64_t ts_ns) {
        if (ts_ns >= open5_start_ns_ && ts_ns < open5_end_ns_) [[likely]]
            return false;
        return advance_slow(ts_ns);
    }
    bool advance_slow(int64_t ts_ns);
    void set_open_window();  // open5_*_ns_ from cur5_ (call whenever cur5_ or started_ change)
    void close_level(Level& level, BinRows& out, bool reset);
    void emit_sources(BinRows& out, const PortPairs& day_ports);
    /// Sorts the 5-min port log in place and writes its distinct (source, port) pairs with packet
    /// counts to `out`.
    void dedupe_port_log(HugePageVector<uint64_t>& log, PortPairs& out);
    /// Sorts pairs by key and merges equal keys (summing packets), in place.
    void dedupe_port_pairs(PortPairs& pairs);
    /// Appends to `out` the union of `a` and `b`, each sorted by key with distinct keys (as
    /// dedupe_port_pairs() leaves them), the packets of a key in both summed: sorted and distinct.
    static void merge_port_pairs(std::span<const PortPair> a, std::span<const PortPair> b, PortPairs& out);
    /// Sorts and de-duplicates the day's port log (as dedupe_port_pairs() would) by merging its
    /// runs (port_logday_runs_); leaves it one run.
    void compact_day_port_log();
    /// Unique sources per port of a bin from its distinct pairs.
    static void count_port_sources(const PortPairs& pairs, Level& level);
    /// Closes the port logs up to `levels` (1: 5 min, 2: + hour, 3: + day) into the live levels.
    void close_port_logs(int levels);
    void reset_day();
    /// Sorts and de-duplicates the (source, destination) logs; afterwards they hold each pair once.
    void compact_pairs(PairsShare* share = nullptr);

    const Darknet& darknet_;
    BinSink& sink_;
    std::vector<std::unique_ptr<Level>> levels_;  // 5 min, 1 h, 1 day
    bool started_ = false;
    uint32_t cur5_ = 0;   // 1 + index of the open 5-min bin (0 = none)
    uint32_t cur1h_ = 0;  // 1 + index of the open 1-h bin
    int64_t open5_start_ns_ = 1;  // [start, end): timestamps of the open 5-min bin (empty when none)
    int64_t open5_end_ns_ = 0;
    // Per-source state lives inline in the open-addressing table: one cache miss per packet.
    // Slots of 128 bytes on 64-byte boundaries: two cache lines each. Unaligned 120-byte slots
    // straddled three lines in six of eight positions, and every packet touches the whole record.
    FlatTable<IpAddress, SourceState, AddressHash, 64> sources_;
    uint32_t next_source_id_ = 0;
    // Unique sources per port and per-source ports, exactly, without a per-packet hash lookup: each
    // TCP/UDP packet appends its (source, port) key to the 5-min log; closing a 5-min bin sorts and
    // de-duplicates it into the hour log, closing an hour into the day log (measured: the (source,
    // port) hash table it replaces was 22% of ingest time).
    HugePageVector<uint64_t> port_log5_;
    PortPairs port_log1h_;
    PortPairs port_logday_;
    size_t port_logday_deduped_ = 0;
    // Starts of the sorted, distinct runs port_logday_ is made of (its pairs as last compacted,
    // then each hour's, appended at the hour's close); empty when its order is not known.
    std::vector<size_t> port_logday_runs_;
    // Distinct destinations per source and day, exactly: every darknet packet appends its
    // (source id, destination) pair to a log, sorted and de-duplicated at checkpoints and day
    // ends. A sequential append per packet instead of a random access into a per-source set
    // (measured: the per-source sets were 23% of ingest time and 2.6 kB per source).
    DensePairLog pairs_;            // IPv4 destinations of a dense darknet: (id, dense index)
    AddressPairLog pairs_wide_;     // IPv4 destinations otherwise: (id, address)
    std::vector<std::pair<uint32_t, uint64_t>> pairs6_;  // IPv6 destinations: (id, address hash)
    // Reused buffers of the radix sorts and of the closing 5-min bin's distinct pairs: allocating
    // them per sort mapped fresh pages each time (see radix_sort).
    HugePageVector<uint64_t> scratch_keys_;
    PortPairs scratch_pairs_;
    PortPairs five_;
    /// Hands what the detectors emitted since the last close to rows_.
    void take_detections();

    std::vector<std::unique_ptr<Detector>> detectors_;  // in registry order
    std::vector<Detector*> source_detectors_;           // scope kPerSource: fed the owned sources' packets
    std::vector<Detector*> digest_detectors_;           // scope kPerSource: fed their digests (uses_source_ids)
    std::vector<Detector*> keyed_detectors_;            // scope kPerKey: fed the owned keys
    std::vector<Detector*> global_detectors_;           // scope kAllPackets: fed everything on worker 0
    Detector* hinted_detector_ = nullptr;               // the kPerSource detector given SourceState::detector_hint
    /// True when this worker runs `d`'s intervals and results (all but kAllPackets off worker 0).
    bool runs_here(const Detector& d) const {
        return partition_index_ == 0 || d.scope() != Detector::Scope::kAllPackets;
    }
    // With run_detectors_on_thread(): the thread the detectors run on (declared after detectors_,
    // so it stops before they go). Every direct use of the detectors waits for it first
    // (sync_detectors()); const members may drain it too: that only completes queued work.
    std::unique_ptr<DetectorThread> detector_thread_;
    // A second detector thread (with a ring of its own: the digests of every darknet packet) for
    // the per-source detectors other than the hinted one, when there are others: the SVM's
    // feature windows.
    std::unique_ptr<DetectorThread> side_thread_;
    /// Calls f(thread) for detector_thread_ and side_thread_, those that run. Const: draining a
    /// thread only completes queued work.
    template <typename F>
    void for_each_detector_thread(F&& f) const {
        if (detector_thread_) f(*detector_thread_);
        if (side_thread_) f(*side_thread_);
    }
    /// Tells the detectors that take digests that source number `id` is `src` / that the numbers
    /// start again (directly, or queued on their thread).
    void announce_source(uint32_t id, const IpAddress& src);
    void announce_source_ids_reset();
    /// Waits until the detector thread has processed every queued packet and takes its output
    /// into pending_; the detectors may then be called directly. No-op without the thread.
    void sync_detectors();
    DetectionOutput pending_;                           // emitted, not yet handed to the sink
    uint64_t packets_seen_ = 0;
    uint32_t partition_index_ = 0;
    uint32_t partition_count_ = 1;
    BinRows rows_;
    BinRows source_rows_;                     // prepare_flush_sources()'s rows
    PortPairs flush_day_ports_;  // the day's (source, port) pairs, from prepare_flush()
};

}  // namespace iotwatch

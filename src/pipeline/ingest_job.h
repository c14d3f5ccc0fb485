// IngestJob: the telescope's main loop, capture -> decode -> classify/aggregate -> store.
//
// Crash safety: rows and a checkpoint (the inputs done, the position in the current input, and the
// aggregator's open state) are committed together in one store transaction, at the end of every
// input and every `checkpoint_seconds` of wall time. A run killed at any point (even kill -9) and
// started again with the same arguments resumes from the last checkpoint: totals equal those of an
// uninterrupted run and nothing is counted twice. The same mechanism makes incremental ingest work:
// a later run over a directory that received new files continues the open bins.
//
// Threads: with N workers each worker reads the same file and counts the sources of its hash
// partition (TelescopeAggregator::set_partition); RowMerger sums their rows per key. Workers meet at
// a barrier every kSyncRecords records, where checkpoints and stop requests are handled with every
// worker at the same record. A checkpoint names its worker count; resume with the same --threads.
// One more thread writes the rows of the bins the workers close into the store while they read a
// file (drained before every checkpoint), and a checkpoint uses a second thread too (ingest_job.cpp).
#pragma once
#include "detect/detector.h"
#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "capture/packet_source.h"
#include "core/error.h"
#include "pipeline/packet_stream.h"
#include "store/store.h"
#include "telescope/darknet.h"
#include "telescope/telescope_aggregator.h"

namespace iotwatch {

struct IngestOptions {
    std::vector<std::string> inputs;     // files, directories, "-" (stdin)
    std::string live_interface;          // non-empty: capture live from this interface instead
    std::string bpf_filter;              // live only
    std::string live_feed;               // live only: HOST:PORT (loopback) of `serve --live-from`
    /// Non-null: read this endless stream instead of files or a live capture (the centre's merge of
    /// its sensors); its position is checkpointed. Not owned; must outlive run().
    ResumablePacketStream* stream = nullptr;
    ReaderKind reader = ReaderKind::kAuto;
    double checkpoint_seconds = 60.0;    // wall-time interval of intermediate checkpoints
    bool reset = false;                  // ignore (and replace) an existing checkpoint
    bool progress = false;               // progress lines on stderr
    unsigned threads = 1;                // worker threads for files (stdin and live use one)
    /// Detector modules to run (detect/detector.h registry names); empty: none.
    std::vector<std::string> detectors;
    DetectorConfig detector_config;      // thresholds (config [detect]) and the SVM model
    /// With one worker, run the detectors on a thread of their own (DetectorThread): kAuto when
    /// the machine has a second core. Results are the same either way.
    enum class DetectorThreadMode { kAuto, kOn, kOff };
    DetectorThreadMode detector_thread = DetectorThreadMode::kAuto;
    /// With one worker, sort the day's (source, destination) pairs on a thread of their own while
    /// packets are counted (TelescopeAggregator::sort_pairs_in_background()): kAuto when the
    /// machine has a second core. Results are the same either way.
    DetectorThreadMode pair_sort_thread = DetectorThreadMode::kAuto;
    /// With one worker reading files, read and decode its records on a thread of their own
    /// (DecodeAheadReader): kAuto when the machine has a second core and no detector thread runs.
    /// Results are the same either way.
    DetectorThreadMode decode_thread = DetectorThreadMode::kAuto;
};

/// Records between worker barriers (checkpoint/stop/progress points).
inline constexpr uint64_t kSyncRecords = 1 << 18;

/// What one input contributed, and how it ended.
struct InputReport {
    std::string name;
    uint64_t frames = 0;
    bool skipped = false;         // already done according to the checkpoint
    std::optional<std::string> error;  // InputError text (file, offset, what)
};

struct IngestResult {
    uint64_t frames = 0;          // frames read in this run
    uint64_t wire_bytes = 0;
    double seconds = 0;
    double checkpoint_seconds = 0;  // of `seconds`, spent writing checkpoints (rows + state)
    bool interrupted = false;     // stopped by a signal; state checkpointed
    bool resumed = false;         // continued from a checkpoint
    std::vector<InputReport> inputs;
    AggregatorMemory memory;      // at the end of the run (summed over workers)
    unsigned threads = 1;         // workers actually used
    bool decode_thread = false;   // a file's records were read and decoded on a thread of their own
    CaptureDropStats drops;       // live capture only
    bool had_input_errors() const {
        for (const auto& i : inputs)
            if (i.error) return true;
        return false;
    }
};

class IngestJob {
public:
    IngestJob(IngestOptions options, const Darknet& darknet, Store& store);
    /// Runs to the end of the inputs or until *stop becomes true. InputErrors of single inputs are
    /// reported in the result (the run goes on with the next input); StoreError/ConfigError throw.
    IngestResult run(const std::atomic<bool>* stop, std::ostream& log);

private:
    IngestOptions options_;
    const Darknet& darknet_;
    Store& store_;
};

/// Identity of an input for the checkpoint: absolute path and size ("-" for stdin).
std::string input_identity(const std::string& path);

}  // namespace iotwatch

// Detector: the one interface every telescope detector implements (the shape of CAIDA corsaro's
// per-interval plugins and ZMap's modules). The aggregator owns the detectors it is asked for and
// drives them:
//   observe(packet)        for every darknet packet the detector's scope gives it, in time order
//                          (or observe_digest(), for a detector that uses_source_ids());
//   end_interval(now)      at every 5-minute bin boundary (expire idle state, emit what ended);
//   finish()               at the end of input (emit everything still open);
//   open_results()         at checkpoints: what is open but already qualifies, not closed;
//   serialize()/restore()  open state for checkpoints (a restored detector continues exactly).
// Contract: a detector emits only into the DetectionOutput it is handed, never keeps references to
// packets, keeps no global state, and its output for a packet sequence does not depend on where
// checkpoints fall. Scope kPerSource detectors see only the sources their worker owns (so they
// scale with --threads); kPerKey detectors see the packets whose partition_key() their worker owns
// (the same hash partition as sources: backscatter is keyed by its victim, which for ICMP errors
// is not the packet's source, and every packet of a victim reaches the same worker);
// kAllPackets detectors run once, on worker 0, and see every darknet packet. One kPerSource
// detector may keep a hint word in each source's record (uses_source_hint()).
// Modules are listed in one registry, detector_modules().
#pragma once
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capture/decoded_packet.h"
#include "detect/backscatter_detector.h"
#include "detect/packet_digest.h"
#include "detect/scan_detector.h"
#include "store/rows.h"
#include "telescope/darknet.h"

namespace iotwatch {

class ByteWriter;
class ByteReader;

/// What detectors emit; the aggregator hands it to the store with the bin rows.
struct DetectionOutput {
    std::vector<ScanEvent> scans;       // scan events that ended
    std::vector<DosAttack> attacks;     // backscatter attacks that ended
    std::vector<SourceLabel> labels;    // per-source verdicts of classifiers (e.g. the SVM)
    bool detections_empty() const { return scans.empty() && attacks.empty() && labels.empty(); }
    void clear_detections() {
        scans.clear();
        attacks.clear();
        labels.clear();
    }
    /// Appends everything `from` holds, in order, and leaves it empty.
    void take_detections_from(DetectionOutput& from) {
        auto move_into = [](auto& a, auto& b) {
            b.insert(b.end(), std::make_move_iterator(a.begin()), std::make_move_iterator(a.end()));
            a.clear();
        };
        move_into(from.scans, scans);
        move_into(from.attacks, attacks);
        move_into(from.labels, labels);
    }
};

class Detector {
public:
    enum class Scope { kPerSource, kPerKey, kAllPackets };
    virtual ~Detector() = default;
    virtual std::string_view name() const = 0;
    virtual Scope scope() const = 0;
    /// `dense_index` is the darknet match's dense index (meaningless when the darknet is not dense).
    virtual void observe(const DecodedPacket& p, uint64_t dense_index, DetectionOutput& out) = 0;
    /// kPerKey detectors: the address the detector's state for `p` is keyed by, or false when `p`
    /// is of no interest to it. Default: none.
    virtual bool partition_key(const DecodedPacket& p, IpAddress& key) const { return false; }
    /// kPerKey detectors: true when partition_key() gives no key but the packet's source for
    /// every packet whose IP protocol (after an IPv4 header, or IPv6's first next-header value)
    /// is `ip_protocol`. A partitioned worker then need not decode such packets of other
    /// workers' sources: none of them can be keyed to an address it owns. Default: false (the
    /// worker decodes every packet).
    virtual bool keyed_by_source(uint8_t ip_protocol) const { return false; }
    /// Optional hint, called for a packet some packets before observe() gets it: `stage` 0 about
    /// 16 packets ahead (touch the state slot), stage 1 about 8 ahead (touch what the slot points
    /// to, the slot itself now being in cache). Must not change state. Default: nothing. (Per-key
    /// state of scanners does not fit in cache; without this each probe waited on two or three
    /// cache misses.)
    virtual void prefetch(const DecodedPacket& p, int stage) const {}
    /// kPerSource detectors may ask for one 64-bit word per source, kept by the aggregator in the
    /// source's own record (which it loads for every packet anyway), to remember where their
    /// state for that source is and so skip a lookup in a table of their own: a cache miss per
    /// packet. Only the first kPerSource detector (registry order) that asks gets it. The word is
    /// a hint: it is 0 for a source new today, after each day's end and after a restore, and the
    /// detector must verify it before relying on it. Default: no.
    virtual bool uses_source_hint() const { return false; }
    /// observe() for the detector that has the hint word of `p`'s source; it may update `hint`.
    virtual void observe_hinted(const DecodedPacket& p, uint64_t dense_index, uint64_t& hint, DetectionOutput& out) {
        observe(p, dense_index, out);
    }
    /// Replaces prefetch() for that detector: the aggregator calls it once per packet, at stage 1
    /// only (the source's record is fetched at stage 0, so its hint word is read from cache).
    virtual void prefetch_hinted(const DecodedPacket& p, uint64_t hint) const { prefetch(p, 1); }
    /// kPerSource detectors may take their packets as PacketDigests that name the source by the
    /// aggregator's number (SourceState::id) instead of whole packets, and so need no table of
    /// their own from addresses to state: the SVM's feature windows. Such a detector gets, in
    /// order with its digests, source_added(id, address) before the first digest of each number,
    /// observe_digest() for every packet (never observe()), and source_ids_reset() when the
    /// aggregator numbers its sources from 0 again (a new day; before a restore, after which
    /// every source of the restored day is announced again). Default: no.
    virtual bool uses_source_ids() const { return false; }
    virtual void source_added(uint32_t id, const IpAddress& src) {}
    virtual void source_ids_reset() {}
    virtual void observe_digest(const PacketDigest& d, DetectionOutput& out) {}
    virtual void end_interval(int64_t now_ns, DetectionOutput& out) = 0;
    virtual void finish(DetectionOutput& out) = 0;
    /// Emits what is still open but already qualifies, as it stands, without closing it (at
    /// checkpoints, so a run that ends mid-event still reports it); the final version must replace
    /// it in the store (same key). Default: nothing.
    virtual void open_results(DetectionOutput& out) const {}
    virtual void serialize(ByteWriter& w) const = 0;
    /// Throws InputError on a damaged state (the reader names it).
    virtual void restore(ByteReader& r) = 0;
};

/// Everything a detector may be configured with ([detect] in the TOML, --model).
struct DetectorConfig {
    ScanThresholds scan;
    BackscatterThresholds dos;
    std::string svm_model;  // model file of the SVM classifier (its .scale file beside it)
    int64_t svm_window_s = 600;
};

struct DetectorModule {
    const char* name;         // "scan", "backscatter", "svm-ddos"
    const char* description;  // one line for --help
    bool needs_model;         // only enabled when DetectorConfig::svm_model is set
    std::unique_ptr<Detector> (*make)(const Darknet& darknet, const DetectorConfig& config);
};

/// Every detector module, in the order they run.
const std::vector<DetectorModule>& detector_modules();
/// Builds the named detectors (in registry order); throws ConfigError on an unknown name.
std::vector<std::unique_ptr<Detector>> make_detectors(const std::vector<std::string>& names, const Darknet& darknet,
                                                      const DetectorConfig& config);
/// The detectors `--detect` turns on: every module that needs no model, plus svm-ddos when a
/// model is given.
std::vector<std::string> default_detector_names(const DetectorConfig& config);

}  // namespace iotwatch

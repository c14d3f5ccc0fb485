// The detector modules and their registry: thin adapters that put the scan-event detector, the
// backscatter detector and the SVM classifier behind the Detector interface.
#include <algorithm>
#include <stdexcept>

#include "core/byte_buffer.h"
#include "core/error.h"
#include "core/timestamp.h"
#include "detect/ddos_features.h"
#include "detect/detector.h"
#include "detect/svm_classifier.h"

namespace iotwatch {
namespace {

/// Durumeric scan events, per (source, protocol, port): needs only its own sources' packets.
class ScanEventModule final : public Detector {
public:
    ScanEventModule(const Darknet& d, const DetectorConfig& c) : impl_(d, c.scan) {}
    std::string_view name() const override { return "scan"; }
    Scope scope() const override { return Scope::kPerSource; }
    void observe(const DecodedPacket& p, uint64_t dense, DetectionOutput& out) override { impl_.observe(p, dense, out.scans); }
    void prefetch(const DecodedPacket& p, int stage) const override { impl_.prefetch(p, stage); }
    bool uses_source_hint() const override { return true; }
    void observe_hinted(const DecodedPacket& p, uint64_t dense, uint64_t& hint, DetectionOutput& out) override {
        impl_.observe(p, dense, out.scans, &hint);
    }
    void prefetch_hinted(const DecodedPacket& p, uint64_t hint) const override { impl_.prefetch_hinted(p, hint); }
    void end_interval(int64_t now_ns, DetectionOutput& out) override { impl_.expire(now_ns, out.scans); }
    void finish(DetectionOutput& out) override { impl_.finish(out.scans); }
    void open_results(DetectionOutput& out) const override { impl_.open_events(out.scans); }
    void serialize(ByteWriter& w) const override { impl_.serialize(w); }
    void restore(ByteReader& r) override { impl_.restore(r); }

private:
    ScanDetector impl_;
};

/// Moore et al. backscatter DoS victims, partitioned by victim: each worker sees the backscatter
/// of the victims it owns (all of a victim's packets, whatever their source).
class BackscatterModule final : public Detector {
public:
    BackscatterModule(const Darknet& d, const DetectorConfig& c) : impl_(d, c.dos) {}
    std::string_view name() const override { return "backscatter"; }
    Scope scope() const override { return Scope::kPerKey; }
    bool partition_key(const DecodedPacket& p, IpAddress& victim) const override { return backscatter_victim(p, victim); }
    // TCP and UDP backscatter is keyed by its source (the victim answering); ICMP errors by the
    // destination they quote, which may be any worker's.
    bool keyed_by_source(uint8_t ip_protocol) const override {
        return ip_protocol == kProtoTcp || ip_protocol == kProtoUdp;
    }
    void observe(const DecodedPacket& p, uint64_t dense, DetectionOutput& out) override {
        impl_.observe(p, dense, out.attacks);
    }
    void end_interval(int64_t now_ns, DetectionOutput& out) override { impl_.expire(now_ns, out.attacks); }
    void finish(DetectionOutput& out) override { impl_.finish(out.attacks); }
    void open_results(DetectionOutput& out) const override { impl_.open_attacks(out.attacks); }
    void serialize(ByteWriter& w) const override { impl_.serialize(w); }
    void restore(ByteReader& r) override { impl_.restore(r); }

private:
    BackscatterDetector impl_;
};

/// Furutani et al.'s SVM over the 17 per-source features of each window: a source whose window
/// the model classifies as DDoS backscatter gets a SourceLabel. Per-source scope: the features of
/// a source need only that source's packets. Fed digests by source number (uses_source_ids), not
/// whole packets: holds the open window's packets (28 bytes each) and the day's source addresses.
class SvmDdosModule final : public Detector {
public:
    SvmDdosModule(const Darknet&, const DetectorConfig& c)
        : extractor_(c.svm_window_s, 5, DdosFeatureExtractor::SourceKeys::kSourceIds), model_path_(c.svm_model) {
        model_.load(c.svm_model);
    }
    std::string_view name() const override { return "svm-ddos"; }
    Scope scope() const override { return Scope::kPerSource; }
    void observe(const DecodedPacket&, uint64_t, DetectionOutput&) override {
        throw std::logic_error("svm-ddos takes packet digests (uses_source_ids), not packets");
    }
    bool uses_source_ids() const override { return true; }
    void source_added(uint32_t id, const IpAddress& src) override { extractor_.add_source(id, src); }
    void source_ids_reset() override { extractor_.reset_source_ids(); }
    void observe_digest(const PacketDigest& d, DetectionOutput& out) override {
        extractor_.add(d, [&](const SourceWindow& w) { classify(w, out); });
    }
    void end_interval(int64_t now_ns, DetectionOutput& out) override {
        extractor_.expire(now_ns, [&](const SourceWindow& w) { classify(w, out); });
    }
    void finish(DetectionOutput& out) override {
        extractor_.finish([&](const SourceWindow& w) { classify(w, out); });
    }
    void serialize(ByteWriter& w) const override { extractor_.serialize(w); }
    void restore(ByteReader& r) override { extractor_.restore(r); }

private:
    void classify(const SourceWindow& w, DetectionOutput& out) {
        double score = 0;
        if (!model_.positive_decision_value(w.features, score)) return;
        out.labels.push_back({w.window_start_s, w.src, "svm-ddos", "ddos", score, uint64_t(w.features[0])});
    }
    DdosFeatureExtractor extractor_;
    SvmClassifier model_;
    std::string model_path_;
};

template <typename T>
std::unique_ptr<Detector> make(const Darknet& d, const DetectorConfig& c) {
    return std::make_unique<T>(d, c);
}

}  // namespace

const std::vector<DetectorModule>& detector_modules() {
    static const std::vector<DetectorModule> kModules = {
        {"scan", "Durumeric scan events per (source, protocol, port) with tool fingerprint fractions", false,
         make<ScanEventModule>},
        {"backscatter", "Moore et al. DoS victims from backscatter (SYN/ACK, RST, ICMP errors)", false,
         make<BackscatterModule>},
        {"svm-ddos", "Furutani et al. SVM on 17 per-source features per window (needs --model)", true,
         make<SvmDdosModule>},
    };
    return kModules;
}

std::vector<std::unique_ptr<Detector>> make_detectors(const std::vector<std::string>& names, const Darknet& darknet,
                                                      const DetectorConfig& config) {
    for (const auto& n : names) {
        const auto& mods = detector_modules();
        if (std::none_of(mods.begin(), mods.end(), [&](const DetectorModule& m) { return n == m.name; })) {
            std::string known;
            for (const auto& m : mods) known += (known.empty() ? "" : ", ") + std::string(m.name);
            throw ConfigError("unknown detector '" + n + "' (known: " + known + ")");
        }
    }
    std::vector<std::unique_ptr<Detector>> out;
    for (const auto& m : detector_modules()) {
        if (std::find(names.begin(), names.end(), m.name) == names.end()) continue;
        if (m.needs_model && config.svm_model.empty())
            throw ConfigError(std::string("detector '") + m.name + "' needs a model (--model FILE)");
        out.push_back(m.make(darknet, config));
    }
    return out;
}

std::vector<std::string> default_detector_names(const DetectorConfig& config) {
    std::vector<std::string> out;
    for (const auto& m : detector_modules())
        if (!m.needs_model || !config.svm_model.empty()) out.push_back(m.name);
    return out;
}

}  // namespace iotwatch

#include "cli/detect_options.h"

#include "core/error.h"

namespace iotwatch::cli {

void add_detect_options(ArgParser& args) {
    args.flag("detect", "also detect scan events (Durumeric) and DoS victims (backscatter, Moore), and with --model\n"
              "                            classify sources with the SVM; see report --view scans|dos|labels|infected");
    args.option("detectors", "LIST", "comma-separated detector modules instead of all (scan, backscatter, svm-ddos); implies --detect");
    args.option("model", "FILE", "SVM model from `iotwatch train` (its FILE.scale beside it): adds the svm-ddos detector");
    args.option("detector-thread", "auto|on|off",
                "with one worker, run the detectors on a thread of their own (auto: when there is a second core;\n"
                "                            ignored with several workers, whose detectors stay in their own path)");
}

IngestOptions::DetectorThreadMode thread_mode_option(const ArgParser& args, const std::string& name,
                                                     IngestOptions::DetectorThreadMode fallback) {
    if (!args.has(name)) return fallback;
    const std::string mode = args.get(name);
    using Mode = IngestOptions::DetectorThreadMode;
    if (mode == "auto") return Mode::kAuto;
    if (mode == "on") return Mode::kOn;
    if (mode == "off") return Mode::kOff;
    throw ConfigError("--" + name + ": expected auto, on or off, not '" + mode + "'");
}

void apply_detect_options(const ArgParser& args, const TelescopeConfig& cfg, IngestOptions& opts) {
    opts.detector_thread = thread_mode_option(args, "detector-thread", opts.detector_thread);
    opts.detector_config.scan = cfg.scan;
    opts.detector_config.dos = cfg.dos;
    opts.detector_config.svm_model = args.get("model");
    if (args.has("detectors")) {
        const std::string list = args.get("detectors");
        for (size_t start = 0; start <= list.size();) {
            size_t comma = list.find(',', start);
            if (comma == std::string::npos) comma = list.size();
            if (comma > start) opts.detectors.push_back(list.substr(start, comma - start));
            start = comma + 1;
        }
        if (opts.detectors.empty()) throw ConfigError("--detectors: give at least one detector");
    } else if (args.has("detect") || args.has("model")) {
        opts.detectors = default_detector_names(opts.detector_config);
    }
}

}  // namespace iotwatch::cli

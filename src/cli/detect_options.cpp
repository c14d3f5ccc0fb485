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

void apply_detect_options(const ArgParser& args, const TelescopeConfig& cfg, IngestOptions& opts) {
    if (args.has("detector-thread")) {
        const std::string mode = args.get("detector-thread");
        using Mode = IngestOptions::DetectorThreadMode;
        if (mode == "auto")
            opts.detector_thread = Mode::kAuto;
        else if (mode == "on")
            opts.detector_thread = Mode::kOn;
        else if (mode == "off")
            opts.detector_thread = Mode::kOff;
        else
            throw ConfigError("--detector-thread: expected auto, on or off, not '" + mode + "'");
    }
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

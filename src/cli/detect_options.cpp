#include "cli/detect_options.h"

#include "core/error.h"

namespace iotwatch::cli {

void add_detect_options(ArgParser& args) {
    args.flag("detect", "also detect scan events (Durumeric) and DoS victims (backscatter, Moore), and with --model\n"
              "                            classify sources with the SVM; see report --view scans|dos|labels|infected");
    args.option("detectors", "LIST", "comma-separated detector modules instead of all (scan, backscatter, svm-ddos); implies --detect");
    args.option("model", "FILE", "SVM model from `iotwatch train` (its FILE.scale beside it): adds the svm-ddos detector");
}

void apply_detect_options(const ArgParser& args, const TelescopeConfig& cfg, IngestOptions& opts) {
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

// The detector options `ingest` and `center` share (--detect, --detectors LIST, --model FILE) and
// how they become IngestOptions' detector list and thresholds (the configuration's [detect]).
#pragma once
#include <string>

#include "cli/args.h"
#include "pipeline/ingest_job.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {

void add_detect_options(ArgParser& args);
/// Fills opts.detectors and opts.detector_config; throws ConfigError for an empty --detectors.
void apply_detect_options(const ArgParser& args, const TelescopeConfig& cfg, IngestOptions& opts);
/// The value of an auto|on|off option such as --detector-thread (`fallback` when absent); throws
/// ConfigError naming the option for anything else.
IngestOptions::DetectorThreadMode thread_mode_option(const ArgParser& args, const std::string& name,
                                                     IngestOptions::DetectorThreadMode fallback);

}  // namespace iotwatch::cli

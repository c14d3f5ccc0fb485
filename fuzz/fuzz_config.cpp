// libFuzzer target: the TOML configuration loader (TelescopeConfig::load) and Darknet validation.
// Any input must end in a ConfigError or a valid configuration, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.h"
#include "fuzz_temp_file.h"
#include "telescope/telescope_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    const std::string path = write_fuzz_input("config", data, size);
    if (path.empty()) return 0;
    try {
        TelescopeConfig cfg = TelescopeConfig::load(path);
        Darknet dn(cfg.sensors);
        (void)dn.describe();
    } catch (const ConfigError&) {
    }
    return 0;
}

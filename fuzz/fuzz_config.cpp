// libFuzzer target: the TOML configuration loader (TelescopeConfig::load) and Darknet validation.
// Any input must end in a ConfigError or a valid configuration, never a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.h"
#include "telescope/telescope_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    static const std::string path = [] {
        char name[] = "/tmp/iotwatch-fuzz-config-XXXXXX";
        int fd = mkstemp(name);
        if (fd >= 0) close(fd);
        return std::string(name);
    }();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
        TelescopeConfig cfg = TelescopeConfig::load(path);
        Darknet dn(cfg.sensors);
        (void)dn.describe();
    } catch (const ConfigError&) {
    }
    return 0;
}

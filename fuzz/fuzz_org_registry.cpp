// libFuzzer target: the organisation registry loader (TOML, validation, overlap detection). Any
// input must end in a ConfigError or a registry whose lookups work, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "enrich/organisation_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    try {
        auto reg = OrganisationRegistry::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.toml");
        (void)reg.owner(IpAddress::v4(0xC0000201), 64500);
        (void)reg.darknet_owner(IpAddress::v4(0xCB007101));
    } catch (const ConfigError&) {
    }
    return 0;
}

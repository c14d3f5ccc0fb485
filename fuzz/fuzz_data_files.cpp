// libFuzzer target: the TSV data-file parsers (IoT port taxonomy, research-scanner list, C&C
// popular destinations). Any input must parse or end in a ConfigError / InputError naming the line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "detect/host_judgement.h"
#include "flows/popular_destinations.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto t = PortTaxonomy::parse(text, "fuzz.tsv");
        (void)t.category(6, 23);
    } catch (const ConfigError&) {
    }
    try {
        auto r = ResearchScannerList::parse(text, "fuzz.tsv");
        (void)r.match(IpAddress::v4(0x01020304));
    } catch (const ConfigError&) {
    }
    try {
        auto p = PopularDestinations::parse(text, "fuzz.tsv");
        (void)p.match(IpAddress::v4(0x08080808), 17, 53);
    } catch (const InputError&) {
    }
    return 0;
}

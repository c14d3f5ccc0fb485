// libFuzzer target: the malicious-site list parsers (CSV and STIX 2.1) and the RPZ writer on what
// they accept. The first byte picks the parser; nothing may crash, and every accepted domain must
// be a valid RPZ owner name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sharing/malicious_site.h"
#include "sharing/rpz_zone.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    SiteParseResult r = (data[0] & 1) ? parse_sites_stix(text, "fuzz.json", "fuzz")
                                      : parse_sites_csv(text, "fuzz.csv", "fuzz", "malware", 0);
    for (const auto& s : r.sites) {
        std::string why;
        if (!normalise_domain(s.domain, &why)) std::abort();  // accepted names must stay valid
    }
    RpzOptions o;
    o.warning_a = "127.0.0.80";
    (void)render_rpz_zone(r.sites, o);
    return 0;
}

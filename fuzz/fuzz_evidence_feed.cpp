// libFuzzer target: the partner evidence parsers (CSV and STIX 2.1 bundle). The first byte picks
// the parser; any input must give records and/or errors, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "notify/evidence_feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    FeedParseResult r = (data[0] & 1) ? parse_evidence_stix(text, "fuzz.json", "fuzz")
                                      : parse_evidence_csv(text, "fuzz.csv", "fuzz");
    for (const auto& e : r.records) (void)e.address.to_string();
    return 0;
}

// GeoInfo: what enrichment knows of an address (value type). Empty strings / zero when unknown.
#pragma once
#include <cstdint>
#include <string>

namespace iotwatch {

struct GeoInfo {
    std::string country;  // ISO 3166-1 alpha-2, or empty
    std::string region;
    std::string city;
    bool has_location = false;
    double latitude = 0, longitude = 0;
    uint32_t asn = 0;
    std::string as_org;
};

}  // namespace iotwatch

// GeoInfo: what the geolocation and ASN databases say about one address (value type). Empty strings
// and zeros mean "the database does not say" (a miss, or a database without that field).
#pragma once
#include <cstdint>
#include <string>

namespace iotwatch {

struct GeoInfo {
    std::string country;  // ISO 3166-1 alpha-2 ("JP"), or empty
    std::string region;   // first-level subdivision, English name ("Tokyo"), or empty
    std::string city;     // English name, or empty
    bool has_location = false;
    double latitude = 0, longitude = 0;  // degrees (WGS 84); meaningful only when has_location
    uint32_t asn = 0;                    // autonomous system number, 0 when unknown
    std::string as_org;                  // the AS's organisation, or empty

    /// True when no field is set.
    bool empty() const {
        return country.empty() && region.empty() && city.empty() && !has_location && asn == 0 && as_org.empty();
    }
    bool operator==(const GeoInfo&) const = default;
};

}  // namespace iotwatch

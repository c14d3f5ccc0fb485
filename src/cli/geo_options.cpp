#include "cli/geo_options.h"

#include <sys/stat.h>

#include <cstdlib>

namespace iotwatch::cli {

void add_geo_options(ArgParser& args) {
    args.option("city-db", "FILE", "GeoIP location/country database (.mmdb; default: [geo] city_db, else $IOTWATCH_GEO_DIR/country.mmdb)");
    args.option("asn-db", "FILE", "ASN database (.mmdb; default: [geo] asn_db, else $IOTWATCH_GEO_DIR/asn.mmdb)");
}

GeoEnricher::Options geo_paths(const ArgParser& args, const TelescopeConfig& cfg) {
    GeoEnricher::Options o;
    o.location_db = args.has("city-db") ? args.get("city-db") : cfg.city_db;
    o.asn_db = args.has("asn-db") ? args.get("asn-db") : cfg.asn_db;
    if (o.location_db.empty() && o.asn_db.empty()) {
        if (const char* dir = std::getenv("IOTWATCH_GEO_DIR"); dir && *dir) {
            struct stat st;
            const std::string city = std::string(dir) + "/country.mmdb", asn = std::string(dir) + "/asn.mmdb";
            if (stat(city.c_str(), &st) == 0) o.location_db = city;
            if (stat(asn.c_str(), &st) == 0) o.asn_db = asn;
        }
    }
    return o;
}

std::unique_ptr<GeoEnricher> open_geo(const ArgParser& args, const TelescopeConfig& cfg) {
    const GeoEnricher::Options o = geo_paths(args, cfg);
    if (o.location_db.empty() && o.asn_db.empty()) return nullptr;
    return std::make_unique<GeoEnricher>(o);
}

}  // namespace iotwatch::cli

// `iotwatch geo`: looks addresses up in the GeoIP/ASN databases (what enrichment will attach to
// sources), one line per address. Also the handle tests use to compare with mmdblookup.
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "enrich/geo_enricher.h"

namespace iotwatch::cli {

int cmd_geo(int argc, char** argv) {
    ArgParser args("geo", "--city-db FILE --asn-db FILE [--json] ADDRESS...",
                   "Prints what the MaxMind DB files say about each address: country (ISO 3166-1 alpha-2),\n"
                   "region, city, latitude/longitude, AS number and organisation. Either database may be\n"
                   "omitted, and either may supply every field (the location database wins for location\n"
                   "fields, the ASN database for AS fields). Understands the GeoLite2 City/Country/ASN and\n"
                   "DB-IP lite layouts and the ip-location-db mmdb packages (scripts/install-geo-data.sh\n"
                   "installs open defaults into data/geo/).");
    args.option("city-db", "FILE", "location or country database (.mmdb)");
    args.option("asn-db", "FILE", "ASN database (.mmdb)");
    args.flag("json", "JSON lines: addr, country, region, city, latitude, longitude (null when unknown), asn, as_org");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.has("city-db") && !args.has("asn-db")) throw ConfigError("give --city-db FILE and/or --asn-db FILE");
    if (args.positional().empty()) throw ConfigError("give at least one ADDRESS");
    std::vector<IpAddress> addresses;
    for (const auto& text : args.positional()) {
        auto a = IpAddress::parse(text);
        if (!a) throw ConfigError("'" + text + "' is not an IPv4 or IPv6 address");
        addresses.push_back(*a);
    }

    GeoEnricher::Options opts;
    opts.location_db = args.get("city-db");
    opts.asn_db = args.get("asn-db");
    GeoEnricher enricher(opts);
    const bool json = args.has("json");
    if (!json) {
        std::printf("%-40s %-7s %-24s %-24s %10s %11s %10s  %s\n", "address", "country", "region", "city",
                    "latitude", "longitude", "asn", "as_org");
    }
    for (const IpAddress& a : addresses) {
        const GeoInfo g = enricher.lookup(a);
        if (json) {
            JsonWriter w(std::cout);
            w.begin_object();
            w.key("addr").value(a.to_string());
            w.key("country").value(g.country);
            w.key("region").value(g.region);
            w.key("city").value(g.city);
            w.key("latitude");
            g.has_location ? w.value(g.latitude) : w.null();
            w.key("longitude");
            g.has_location ? w.value(g.longitude) : w.null();
            w.key("asn").value(uint64_t(g.asn));
            w.key("as_org").value(g.as_org);
            w.end_object();
            std::cout << '\n';
        } else {
            auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
            char lat[32] = "-", lon[32] = "-", asn[16] = "-";
            if (g.has_location) {
                std::snprintf(lat, sizeof lat, "%.4f", g.latitude);
                std::snprintf(lon, sizeof lon, "%.4f", g.longitude);
            }
            if (g.asn) std::snprintf(asn, sizeof asn, "%u", g.asn);
            std::cout.flush();
            std::printf("%-40s %-7s %-24s %-24s %10s %11s %10s  %s\n", a.to_string().c_str(), or_dash(g.country).c_str(),
                        or_dash(g.region).c_str(), or_dash(g.city).c_str(), lat, lon, asn, or_dash(g.as_org).c_str());
        }
    }
    std::cout.flush();
    std::fflush(stdout);
    return std::cout && !std::ferror(stdout) ? kExitOk : kExitFailure;
}

}  // namespace iotwatch::cli

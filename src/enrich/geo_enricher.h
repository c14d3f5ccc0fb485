// GeoEnricher: answers "where is this address and whose network is it" from up to two MaxMind DB
// files, a location/country database and an ASN database, caching the merged answer per address.
//
// Merge rule: country, region, city and location come from the location database when it has them,
// else from the ASN database; asn and as_org from the ASN database when it has them, else from the
// location database (so either file may supply every field, e.g. a DB-IP or ip-location-db file that
// carries both).
//
// Cache: a FlatTable from address to merged GeoInfo, bounded to `cache_entries`: when full it is
// cleared (sources seen in a darknet are heavy-tailed, so the hot ones come back at once), and it
// is cleared whenever a database is reopened by maybe_reload().
//
// Thread-safety: none; lookup() fills the cache. Use one GeoEnricher per thread.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/flat_table.h"
#include "core/ip_address.h"
#include "enrich/geo_database.h"
#include "enrich/geo_info.h"

namespace iotwatch {

class GeoEnricher {
public:
    struct Options {
        std::string location_db;  // .mmdb with country/city/location fields; empty for none
        std::string asn_db;       // .mmdb with AS fields; empty for none
        std::chrono::seconds reload_interval{60};
        size_t cache_entries = 65536;  // at least 1
    };
    /// What maybe_reload() did.
    struct ReloadReport {
        bool reloaded = false;            // a database was reopened (the cache was cleared)
        std::vector<std::string> errors;  // a changed file that failed to open (the old one is kept)
    };

    /// Opens the databases named in `options`. Throws ConfigError naming a file that cannot be opened.
    explicit GeoEnricher(const Options& options);

    /// The merged GeoInfo of `a` (empty when neither database knows it). Throws InputError when a
    /// database turns out to be corrupt.
    GeoInfo lookup(const IpAddress& a);
    /// Lets each database check for a replaced file (see GeoDatabase::maybe_reload).
    ReloadReport maybe_reload();

    bool has_location_db() const { return location_.has_value(); }
    bool has_asn_db() const { return asn_.has_value(); }
    size_t cache_size() const { return cache_index_.size(); }
    uint64_t cache_hits() const { return hits_; }
    uint64_t cache_misses() const { return misses_; }

private:
    struct AddressHash {
        uint64_t operator()(const IpAddress& a) const { return a.hash(); }
    };
    // The cache's empty-slot key; this one address is looked up without the cache.
    static constexpr IpAddress kNoAddress = IpAddress::from_halves(~0ULL, ~0ULL);

    GeoInfo lookup_uncached(const IpAddress& a) const;
    void clear_cache();

    std::optional<GeoDatabase> location_;
    std::optional<GeoDatabase> asn_;
    size_t cache_limit_;
    // Address -> position in cache_values_ (keeps the table's slots small).
    FlatTable<IpAddress, uint32_t, AddressHash> cache_index_;
    std::vector<GeoInfo> cache_values_;
    uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace iotwatch

#include "enrich/geo_enricher.h"

#include "core/error.h"

namespace iotwatch {

GeoEnricher::GeoEnricher(const Options& options)
    : cache_limit_(options.cache_entries == 0 ? 1 : options.cache_entries), cache_index_(kNoAddress, 1024) {
    if (!options.location_db.empty()) location_.emplace(options.location_db, options.reload_interval);
    if (!options.asn_db.empty()) asn_.emplace(options.asn_db, options.reload_interval);
}

GeoInfo GeoEnricher::lookup_uncached(const IpAddress& a) const {
    GeoInfo loc = location_ ? location_->lookup(a) : GeoInfo{};
    if (!asn_) return loc;
    GeoInfo as = asn_->lookup(a);
    GeoInfo out = std::move(loc);
    if (out.country.empty()) out.country = std::move(as.country);
    if (out.region.empty()) out.region = std::move(as.region);
    if (out.city.empty()) out.city = std::move(as.city);
    if (!out.has_location && as.has_location) {
        out.has_location = true;
        out.latitude = as.latitude;
        out.longitude = as.longitude;
    }
    if (as.asn != 0) out.asn = as.asn;
    if (!as.as_org.empty()) out.as_org = std::move(as.as_org);
    return out;
}

GeoInfo GeoEnricher::lookup(const IpAddress& a) {
    if (a == kNoAddress) return lookup_uncached(a);
    if (const uint32_t* at = cache_index_.find(a)) {
        ++hits_;
        return cache_values_[*at];
    }
    ++misses_;
    GeoInfo info = lookup_uncached(a);
    if (cache_values_.size() >= cache_limit_) clear_cache();
    cache_index_[a] = static_cast<uint32_t>(cache_values_.size());
    cache_values_.push_back(info);
    return info;
}

void GeoEnricher::clear_cache() {
    cache_index_.clear();
    cache_values_.clear();
}

GeoEnricher::ReloadReport GeoEnricher::maybe_reload() {
    ReloadReport report;
    for (GeoDatabase* db : {location_ ? &*location_ : nullptr, asn_ ? &*asn_ : nullptr}) {
        if (!db) continue;
        switch (db->maybe_reload()) {
            case GeoDatabase::ReloadStatus::kReloaded: report.reloaded = true; break;
            case GeoDatabase::ReloadStatus::kFailed: report.errors.push_back(db->last_reload_error()); break;
            case GeoDatabase::ReloadStatus::kUnchanged: break;
        }
    }
    if (report.reloaded) clear_cache();
    return report;
}

}  // namespace iotwatch

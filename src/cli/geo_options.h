// The GeoIP/ASN options every command that enriches shares (--city-db, --asn-db), and where the
// databases come from when they are not given: the configuration's [geo] table, else
// $IOTWATCH_GEO_DIR/country.mmdb and asn.mmdb (what scripts/install-geo-data.sh installs), else none.
#pragma once
#include <memory>

#include "cli/args.h"
#include "enrich/geo_enricher.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {

void add_geo_options(ArgParser& args);
/// Where the databases are (both paths empty when none is configured anywhere), for callers that
/// open one enricher per thread.
GeoEnricher::Options geo_paths(const ArgParser& args, const TelescopeConfig& cfg);
/// The enricher, or nullptr when no database is configured anywhere. Throws ConfigError naming a
/// database file that cannot be opened.
std::unique_ptr<GeoEnricher> open_geo(const ArgParser& args, const TelescopeConfig& cfg);

}  // namespace iotwatch::cli

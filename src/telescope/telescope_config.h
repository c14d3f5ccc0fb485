// TelescopeConfig: what a run monitors and where it stores, from a TOML file and/or the command line.
//
//   [store]
//   db = "iotwatch.db"            # SQLite file (default: iotwatch.db)
//
//   [detect]                       # thresholds of ingest --detect (defaults shown)
//   scan_min_destinations = 100    # Durumeric et al. 2014
//   scan_min_rate_pps = 10.0       # extrapolated to all of IPv4
//   scan_idle_timeout_s = 480
//   dos_expiry_s = 300             # Moore et al.
//   dos_min_packets = 25
//   dos_min_duration_s = 60
//   dos_min_window_packets = 30    # in the busiest dos_window_s, sliding by dos_slide_s
//   dos_window_s = 60
//   dos_slide_s = 10
//
//   [retention]                    # days each kind of record is kept (0 or absent: forever);
//   telescope_bins_days = 400      # enforced by ingest, alerts and `iotwatch retention`
//   source_days_days = 90          # per-source rows (addresses: personal data)
//   events_days = 400              # scan events, DoS attacks
//   alerts_days = 400
//   external_days = 90             # imported partner evidence
//   access_log_days = 730
//
//   [geo]                          # GeoIP/ASN databases (.mmdb) for reports and alerts
//   city_db = "data/geo/country.mmdb"
//   asn_db = "data/geo/asn.mmdb"
//
//   [[sensor]]                     # one table per sensor; several sensors can feed one run
//   name = "tokyo-1"
//   prefixes = ["198.18.0.0/16", "2001:db8:dead::/48"]
//   token_sha256 = "9f86d0..."     # remote sensor of `iotwatch center`: sha256sum of its token
//
// Errors name the file, the key and the bad value (ConfigError).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "detect/backscatter_detector.h"
#include "detect/scan_detector.h"
#include "store/rows.h"
#include "telescope/darknet.h"

namespace iotwatch {

struct TelescopeConfig {
    std::vector<SensorConfig> sensors;
    std::string db_path;  // empty when not set
    ScanThresholds scan;
    BackscatterThresholds dos;
    RetentionPolicy retention;
    bool has_retention = false;  // a [retention] table was given
    std::string city_db, asn_db;   // [geo]; empty when not set
    /// [[sensor]] token_sha256 by sensor name (remote sensors of `iotwatch center`).
    std::map<std::string, std::string> sensor_tokens;

    /// Loads a TOML file; throws ConfigError naming the file, key and problem.
    static TelescopeConfig load(const std::string& path);
    /// Adds --darknet CIDR prefixes (as sensor "default", created if needed).
    void add_darknet_prefix(const std::string& cidr);
};

}  // namespace iotwatch

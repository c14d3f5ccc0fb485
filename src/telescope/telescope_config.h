// TelescopeConfig: what a run monitors and where it stores, from a TOML file and/or the command line.
//
//   [store]
//   db = "iotwatch.db"            # SQLite file (default: iotwatch.db)
//
//   [[sensor]]                     # one table per sensor; several sensors can feed one run
//   name = "tokyo-1"
//   prefixes = ["198.18.0.0/16", "2001:db8:dead::/48"]
//
// Errors name the file, the key and the bad value (ConfigError).
#pragma once
#include <string>
#include <vector>

#include "telescope/darknet.h"

namespace iotwatch {

struct TelescopeConfig {
    std::vector<SensorConfig> sensors;
    std::string db_path;  // empty when not set

    /// Loads a TOML file; throws ConfigError naming the file, key and problem.
    static TelescopeConfig load(const std::string& path);
    /// Adds --darknet CIDR prefixes (as sensor "default", created if needed).
    void add_darknet_prefix(const std::string& cidr);
};

}  // namespace iotwatch

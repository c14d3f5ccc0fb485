// GeoDatabase: one MaxMind DB (.mmdb) file read through libmaxminddb (memory-mapped), answering
// GeoInfo for an address, and reopened when the file is replaced.
//
// Layouts understood (every field optional; whatever the record has is taken):
//  - MaxMind GeoLite2-Country/City and DB-IP lite: country.iso_code (else registered_country.iso_code),
//    subdivisions[0].names.en, city.names.en, location.latitude/longitude;
//  - MaxMind GeoLite2-ASN (and ip-location-db's asn-mmdb): autonomous_system_number,
//    autonomous_system_organization;
//  - ip-location-db (npm @ip-location-db/*-mmdb): top-level country_code, state1, city, latitude,
//    longitude.
//
// Errors: the constructor throws ConfigError naming the file and libmaxminddb's reason. A lookup in a
// database whose search tree or data section is corrupt throws InputError naming the file (and the
// data offset when known); fields of an unexpected type are ignored. Nothing here trusts the file.
//
// Reload: maybe_reload() stats the file at most every `reload_interval` and, when its inode, size or
// mtime changed, opens the new file; if that fails the old database stays in use and the failure is
// reported (status kFailed, last_reload_error()). Replace the file by rename (write elsewhere, then
// mv), as MaxMind's geoipupdate does: the mapping of the old file stays valid until it is closed.
//
// Thread-safety: lookup() is const and may run concurrently with other lookup() calls. maybe_reload()
// replaces the handle, so it must not run concurrently with anything else on the same object: give
// each thread its own GeoDatabase (they share the page cache), or serialise reloads externally.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/ip_address.h"
#include "enrich/geo_info.h"

struct MMDB_s;

namespace iotwatch {

class GeoDatabase {
public:
    enum class ReloadStatus { kUnchanged, kReloaded, kFailed };

    /// Opens `path`. Throws ConfigError("PATH: cannot open MaxMind DB: REASON").
    explicit GeoDatabase(std::string path, std::chrono::seconds reload_interval = std::chrono::seconds(60));
    ~GeoDatabase();
    GeoDatabase(GeoDatabase&&) noexcept;
    GeoDatabase& operator=(GeoDatabase&&) noexcept;
    GeoDatabase(const GeoDatabase&) = delete;
    GeoDatabase& operator=(const GeoDatabase&) = delete;

    /// The fields this database has for `a`; an empty GeoInfo when it has no record (or is IPv4-only
    /// and `a` is IPv6). Throws InputError when the database is corrupt.
    GeoInfo lookup(const IpAddress& a) const;

    /// If `reload_interval` has passed since the last check, stats the file and reopens it when it
    /// changed. Never throws for a bad new file: returns kFailed and keeps the old database.
    ReloadStatus maybe_reload();
    /// Why the last reload failed (empty after a successful one).
    const std::string& last_reload_error() const { return last_reload_error_; }
    /// Counts successful reloads (callers caching lookups compare it to invalidate).
    uint64_t generation() const { return generation_; }

    const std::string& path() const { return path_; }
    /// The metadata's database_type ("GeoLite2-City", "country ipvAll", ...).
    std::string database_type() const;

private:
    // Identity of the file on disk, to notice a replacement.
    struct FileIdentity {
        dev_t device = 0;
        ino_t inode = 0;
        off_t size = 0;
        int64_t mtime_ns = 0;
        bool operator==(const FileIdentity&) const = default;
    };
    struct MmdbCloser {
        void operator()(MMDB_s* db) const;
    };
    using Handle = std::unique_ptr<MMDB_s, MmdbCloser>;

    // Opens path_ (throws ConfigError); fills *identity with what was opened.
    Handle open(FileIdentity* identity) const;
    bool stat_file(FileIdentity* identity, std::string* error) const;

    std::string path_;
    std::chrono::steady_clock::duration reload_interval_;
    std::chrono::steady_clock::time_point last_check_;
    Handle db_;
    FileIdentity identity_;
    uint64_t generation_ = 0;
    std::string last_reload_error_;
};

}  // namespace iotwatch

#include "enrich/geo_database.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "core/error.h"

namespace iotwatch {
namespace {

// Longest string field kept: names are short; a hostile database must not bloat caches.
constexpr size_t kMaxFieldBytes = 256;

// Reads fields of one record. Absent fields and fields of another type read as "absent"; a corrupt
// data section throws InputError naming the file and the record's offset.
class RecordReader {
public:
    RecordReader(MMDB_entry_s entry, const std::string& file) : entry_(entry), file_(file) {}

    // The value at `path` if it has one of the wanted types.
    bool get(std::initializer_list<const char*> path, MMDB_entry_data_s* out) {
        const char* keys[8];  // our paths have at most 4 keys
        size_t n = 0;
        for (const char* k : path)
            if (n < 7) keys[n++] = k;
        keys[n] = nullptr;
        const int status = MMDB_aget_value(&entry_, out, keys);
        if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR || status == MMDB_INVALID_LOOKUP_PATH_ERROR)
            return false;
        if (status != MMDB_SUCCESS) {
            std::string field;
            for (const char* k : path) {
                if (!field.empty()) field += '.';
                field += k;
            }
            throw InputError(file_, entry_.offset,
                             "corrupt MaxMind DB record (field " + field + "): " + MMDB_strerror(status));
        }
        return out->has_data;
    }

    std::string string(std::initializer_list<const char*> path) {
        MMDB_entry_data_s d;
        if (!get(path, &d) || d.type != MMDB_DATA_TYPE_UTF8_STRING) return {};
        return std::string(d.utf8_string, std::min<size_t>(d.data_size, kMaxFieldBytes));
    }

    bool number(std::initializer_list<const char*> path, double* out) {
        MMDB_entry_data_s d;
        if (!get(path, &d)) return false;
        switch (d.type) {
            case MMDB_DATA_TYPE_DOUBLE: *out = d.double_value; return true;
            case MMDB_DATA_TYPE_FLOAT: *out = d.float_value; return true;
            case MMDB_DATA_TYPE_INT32: *out = d.int32; return true;
            case MMDB_DATA_TYPE_UINT16: *out = d.uint16; return true;
            case MMDB_DATA_TYPE_UINT32: *out = d.uint32; return true;
            default: return false;
        }
    }

    // A non-negative integer below 2^32 (AS numbers); also accepts "13335" and "AS13335" strings.
    bool uint32(std::initializer_list<const char*> path, uint32_t* out) {
        MMDB_entry_data_s d;
        if (!get(path, &d)) return false;
        switch (d.type) {
            case MMDB_DATA_TYPE_UINT16: *out = d.uint16; return true;
            case MMDB_DATA_TYPE_UINT32: *out = d.uint32; return true;
            case MMDB_DATA_TYPE_INT32:
                if (d.int32 < 0) return false;
                *out = uint32_t(d.int32);
                return true;
            case MMDB_DATA_TYPE_UINT64:
                if (d.uint64 > UINT32_MAX) return false;
                *out = uint32_t(d.uint64);
                return true;
            case MMDB_DATA_TYPE_UTF8_STRING: {
                std::string_view s(d.utf8_string, d.data_size);
                if (s.size() > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) s.remove_prefix(2);
                if (s.empty() || s.size() > 10) return false;
                uint64_t v = 0;
                for (char c : s) {
                    if (c < '0' || c > '9') return false;
                    v = v * 10 + uint64_t(c - '0');
                }
                if (v > UINT32_MAX) return false;
                *out = uint32_t(v);
                return true;
            }
            default: return false;
        }
    }

private:
    MMDB_entry_s entry_;
    const std::string& file_;
};

// ISO 3166-1 alpha-2: two ASCII letters, upper-cased; anything else is not a country code.
std::string country_code(std::string s) {
    if (s.size() != 2) return {};
    for (char& c : s) {
        if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
        if (c < 'A' || c > 'Z') return {};
    }
    return s;
}

GeoInfo read_record(MMDB_entry_s entry, const std::string& file) {
    RecordReader r(entry, file);
    GeoInfo g;
    g.country = country_code(r.string({"country", "iso_code"}));
    if (g.country.empty()) g.country = country_code(r.string({"registered_country", "iso_code"}));
    if (g.country.empty()) g.country = country_code(r.string({"country_code"}));

    g.region = r.string({"subdivisions", "0", "names", "en"});
    if (g.region.empty()) g.region = r.string({"state1"});

    g.city = r.string({"city", "names", "en"});
    if (g.city.empty()) g.city = r.string({"city"});

    double lat = 0, lon = 0;
    bool have = r.number({"location", "latitude"}, &lat) && r.number({"location", "longitude"}, &lon);
    if (!have) have = r.number({"latitude"}, &lat) && r.number({"longitude"}, &lon);
    if (have && std::isfinite(lat) && std::isfinite(lon) && std::fabs(lat) <= 90 && std::fabs(lon) <= 180) {
        g.has_location = true;
        g.latitude = lat;
        g.longitude = lon;
    }

    r.uint32({"autonomous_system_number"}, &g.asn);
    g.as_org = r.string({"autonomous_system_organization"});
    return g;
}

}  // namespace

void GeoDatabase::MmdbCloser::operator()(MMDB_s* db) const {
    MMDB_close(db);
    delete db;
}

GeoDatabase::GeoDatabase(std::string path, std::chrono::seconds reload_interval)
    : path_(std::move(path)), reload_interval_(reload_interval), last_check_(std::chrono::steady_clock::now()) {
    db_ = open(&identity_);
}

GeoDatabase::~GeoDatabase() = default;
GeoDatabase::GeoDatabase(GeoDatabase&&) noexcept = default;
GeoDatabase& GeoDatabase::operator=(GeoDatabase&&) noexcept = default;

bool GeoDatabase::stat_file(FileIdentity* identity, std::string* error) const {
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) {
        *error = path_ + ": cannot open MaxMind DB: " + std::strerror(errno);
        return false;
    }
    identity->device = st.st_dev;
    identity->inode = st.st_ino;
    identity->size = st.st_size;
    identity->mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return true;
}

GeoDatabase::Handle GeoDatabase::open(FileIdentity* identity) const {
    // Stat before opening: if the file is replaced in between, the next check sees a new identity
    // and opens it again, which is harmless; the other order could miss the replacement.
    std::string error;
    if (!stat_file(identity, &error)) throw ConfigError(error);
    Handle db(new MMDB_s{});
    errno = 0;
    const int status = MMDB_open(path_.c_str(), MMDB_MODE_MMAP, db.get());
    if (status != MMDB_SUCCESS) {
        const int saved_errno = errno;
        delete db.release();  // MMDB_open freed what it allocated; only our struct remains, not to be closed
        std::string reason = MMDB_strerror(status);
        if (status == MMDB_IO_ERROR && saved_errno != 0) reason += std::string(": ") + std::strerror(saved_errno);
        throw ConfigError(path_ + ": cannot open MaxMind DB: " + reason);
    }
    return db;
}

GeoInfo GeoDatabase::lookup(const IpAddress& a) const {
    sockaddr_storage storage{};
    if (a.is_v4()) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(a.v4_value());
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
        sin6->sin6_family = AF_INET6;
        const auto bytes = a.bytes();
        std::memcpy(&sin6->sin6_addr, bytes.data(), 16);
    }
    int mmdb_error = MMDB_SUCCESS;
    const MMDB_lookup_result_s result =
        MMDB_lookup_sockaddr(db_.get(), reinterpret_cast<const sockaddr*>(&storage), &mmdb_error);
    if (mmdb_error == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) return {};
    if (mmdb_error != MMDB_SUCCESS)
        throw InputError(path_, UINT64_MAX,
                         "corrupt MaxMind DB (looking up " + a.to_string() + "): " + MMDB_strerror(mmdb_error));
    if (!result.found_entry) return {};
    return read_record(result.entry, path_);
}

GeoDatabase::ReloadStatus GeoDatabase::maybe_reload() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < reload_interval_) return ReloadStatus::kUnchanged;
    last_check_ = now;
    FileIdentity current;
    std::string error;
    if (!stat_file(&current, &error)) {
        last_reload_error_ = error + " (keeping the database opened before)";
        return ReloadStatus::kFailed;
    }
    if (current == identity_) return ReloadStatus::kUnchanged;
    try {
        FileIdentity opened;
        Handle db = open(&opened);
        db_ = std::move(db);
        identity_ = opened;
        ++generation_;
        last_reload_error_.clear();
        return ReloadStatus::kReloaded;
    } catch (const ConfigError& e) {
        last_reload_error_ = std::string(e.what()) + " (keeping the database opened before)";
        return ReloadStatus::kFailed;
    }
}

std::string GeoDatabase::database_type() const {
    const char* t = db_->metadata.database_type;
    return t ? std::string(t) : std::string();
}

}  // namespace iotwatch

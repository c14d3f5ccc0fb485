// GeoDatabase and GeoEnricher on the committed fixtures (tests/data/geo, made by make-fixtures.pl).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "enrich/geo_database.h"
#include "enrich/geo_enricher.h"

using namespace iotwatch;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) { return std::string(IOTWATCH_TEST_DATA) + "/geo/" + name; }
IpAddress addr(const char* text) { return *IpAddress::parse(text); }

// A scratch directory removed at the end of the test.
class ScratchDir {
public:
    ScratchDir() {
        char tmpl[] = "/tmp/iotwatch-geo-test-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Replaces `target` by a copy of `source` the way database updaters do: write beside, then rename.
void replace_by_rename(const std::string& source, const std::string& target) {
    const std::string tmp = target + ".new";
    fs::copy_file(source, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, target);
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

TEST(GeoDatabase, GeoLite2CityLayoutIPv4AndIPv6) {
    GeoDatabase db(fixture("city.mmdb"));
    EXPECT_EQ(db.database_type(), "GeoLite2-City");
    GeoInfo tokyo = db.lookup(addr("203.0.113.77"));
    EXPECT_EQ(tokyo.country, "JP");
    EXPECT_EQ(tokyo.region, "Tokyo");
    EXPECT_EQ(tokyo.city, "Tokyo");
    ASSERT_TRUE(tokyo.has_location);
    EXPECT_DOUBLE_EQ(tokyo.latitude, 35.6895);
    EXPECT_DOUBLE_EQ(tokyo.longitude, 139.6917);
    EXPECT_EQ(tokyo.asn, 0u);
    EXPECT_EQ(tokyo.as_org, "");

    GeoInfo paris = db.lookup(addr("2001:db8:1:ffff::1"));
    EXPECT_EQ(paris.country, "FR");
    EXPECT_EQ(paris.region, "Île-de-France");
    EXPECT_EQ(paris.city, "Paris");
    EXPECT_DOUBLE_EQ(paris.latitude, 48.8566);

    GeoInfo sao_paulo = db.lookup(addr("2001:db8:2::5"));
    EXPECT_EQ(sao_paulo.city, "São Paulo");
    EXPECT_DOUBLE_EQ(sao_paulo.longitude, -46.6361);

    // Country-level record: no subdivision, no city, but a location.
    GeoInfo de = db.lookup(addr("198.51.100.200"));
    EXPECT_EQ(de.country, "DE");
    EXPECT_EQ(de.region, "");
    EXPECT_EQ(de.city, "");
    EXPECT_TRUE(de.has_location);
    EXPECT_EQ(db.lookup(addr("198.51.100.1")).city, "Mountain View");

    // Only a registered country (anycast-like): taken as the country, nothing else.
    GeoInfo anycast = db.lookup(addr("198.19.1.1"));
    EXPECT_EQ(anycast.country, "AU");
    EXPECT_FALSE(anycast.has_location);
}

TEST(GeoDatabase, GeoLite2AsnLayout) {
    GeoDatabase db(fixture("asn.mmdb"));
    GeoInfo a = db.lookup(addr("203.0.113.1"));
    EXPECT_EQ(a.asn, 64500u);
    EXPECT_EQ(a.as_org, "Example Tokyo Net");
    EXPECT_EQ(a.country, "");
    EXPECT_EQ(db.lookup(addr("192.0.2.9")).asn, 4200000001u);  // 32-bit AS numbers survive
    GeoInfo v6 = db.lookup(addr("2001:db8:1::1"));
    EXPECT_EQ(v6.asn, 64502u);
    EXPECT_EQ(v6.as_org, "Exemple Télécom Paris");
    EXPECT_EQ(db.lookup(addr("2001:db8:3::1")).asn, 64503u);
}

TEST(GeoDatabase, IpLocationDbLayouts) {
    GeoDatabase country(fixture("country.mmdb"));
    EXPECT_EQ(country.lookup(addr("203.0.113.1")).country, "JP");
    EXPECT_EQ(country.lookup(addr("192.0.2.1")).country, "KR");
    EXPECT_TRUE(country.lookup(addr("192.0.2.200")).empty());
    EXPECT_EQ(country.lookup(addr("2001:db8:4::1")).country, "NL");
    GeoInfo jp = country.lookup(addr("203.0.113.1"));
    EXPECT_FALSE(jp.has_location);
    EXPECT_EQ(jp.city, "");

    GeoDatabase city(fixture("iplocdb-city.mmdb"));
    GeoInfo osaka = city.lookup(addr("203.0.113.1"));
    EXPECT_EQ(osaka.country, "JP");
    EXPECT_EQ(osaka.region, "Osaka");
    EXPECT_EQ(osaka.city, "Osaka");
    ASSERT_TRUE(osaka.has_location);
    EXPECT_NEAR(osaka.latitude, 34.6937, 1e-4);  // stored as float
    EXPECT_NEAR(osaka.longitude, 135.5023, 1e-4);
    GeoInfo marseille = city.lookup(addr("2001:db8:1::9"));
    EXPECT_EQ(marseille.region, "Provence-Alpes-Côte d'Azur");
    EXPECT_EQ(marseille.city, "Marseille");
}

TEST(GeoDatabase, MissGivesEmptyInfo) {
    GeoDatabase db(fixture("city.mmdb"));
    EXPECT_TRUE(db.lookup(addr("8.8.8.8")).empty());
    EXPECT_TRUE(db.lookup(addr("2001:db8:ffff::1")).empty());
    EXPECT_TRUE(db.lookup(addr("::1")).empty());
    EXPECT_EQ(db.lookup(addr("8.8.8.8")), GeoInfo{});
}

TEST(GeoDatabase, MissingOrGarbageFileErrorNamesTheFile) {
    ScratchDir dir;
    const std::string missing = dir.file("nope.mmdb");
    try {
        GeoDatabase db(missing);
        FAIL() << "opened a missing file";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
    const std::string garbage = dir.file("garbage.mmdb");
    write_file(garbage, std::string(4096, 'x'));
    try {
        GeoDatabase db(garbage);
        FAIL() << "opened a garbage file";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(garbage), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("metadata"), std::string::npos) << e.what();  // libmaxminddb's reason
    }
    const std::string empty = dir.file("empty.mmdb");
    write_file(empty, "");
    EXPECT_THROW(GeoDatabase{empty}, ConfigError);
    // A cut database: the metadata marker is at the end, so a truncated file does not open.
    const std::string cut = dir.file("cut.mmdb");
    std::ifstream in(fixture("city.mmdb"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    write_file(cut, bytes.substr(0, bytes.size() / 2));
    EXPECT_THROW(GeoDatabase{cut}, ConfigError);
}

TEST(GeoDatabase, ReloadPicksUpAReplacedFileAndKeepsTheOldOneOnFailure) {
    ScratchDir dir;
    const std::string path = dir.file("geo.mmdb");
    fs::copy_file(fixture("city.mmdb"), path);
    GeoDatabase db(path, std::chrono::seconds(0));
    EXPECT_EQ(db.lookup(addr("203.0.113.1")).city, "Tokyo");
    EXPECT_EQ(db.maybe_reload(), GeoDatabase::ReloadStatus::kUnchanged);
    EXPECT_EQ(db.generation(), 0u);

    replace_by_rename(fixture("iplocdb-city.mmdb"), path);
    EXPECT_EQ(db.maybe_reload(), GeoDatabase::ReloadStatus::kReloaded);
    EXPECT_EQ(db.generation(), 1u);
    EXPECT_EQ(db.lookup(addr("203.0.113.1")).city, "Osaka");
    EXPECT_EQ(db.maybe_reload(), GeoDatabase::ReloadStatus::kUnchanged);

    // A bad replacement: reported, the previous database stays in use.
    write_file(path + ".new", "not a database");
    fs::rename(path + ".new", path);
    EXPECT_EQ(db.maybe_reload(), GeoDatabase::ReloadStatus::kFailed);
    EXPECT_NE(db.last_reload_error().find(path), std::string::npos) << db.last_reload_error();
    EXPECT_EQ(db.lookup(addr("203.0.113.1")).city, "Osaka");
    EXPECT_EQ(db.generation(), 1u);

    // The file vanishes: reported, still answering.
    fs::remove(path);
    EXPECT_EQ(db.maybe_reload(), GeoDatabase::ReloadStatus::kFailed);
    EXPECT_EQ(db.lookup(addr("203.0.113.1")).city, "Osaka");

    // A good file again.
    replace_by_rename(fixture("city.mmdb"), path);
    EXPECT_EQ(db.maybe_reload(), GeoDatabase::ReloadStatus::kReloaded);
    EXPECT_EQ(db.last_reload_error(), "");
    EXPECT_EQ(db.lookup(addr("203.0.113.1")).city, "Tokyo");
}

TEST(GeoDatabase, ReloadIsCheckedAtMostEveryInterval) {
    ScratchDir dir;
    const std::string path = dir.file("geo.mmdb");
    fs::copy_file(fixture("city.mmdb"), path);
    GeoDatabase db(path, std::chrono::seconds(3600));
    replace_by_rename(fixture("iplocdb-city.mmdb"), path);
    EXPECT_EQ(db.maybe_reload(), GeoDatabase::ReloadStatus::kUnchanged);  // not yet time to look
    EXPECT_EQ(db.lookup(addr("203.0.113.1")).city, "Tokyo");
}

TEST(GeoEnricher, MergesCityAndAsnDatabases) {
    GeoEnricher::Options o;
    o.location_db = fixture("city.mmdb");
    o.asn_db = fixture("asn.mmdb");
    GeoEnricher e(o);
    GeoInfo tokyo = e.lookup(addr("203.0.113.10"));
    EXPECT_EQ(tokyo.country, "JP");
    EXPECT_EQ(tokyo.city, "Tokyo");
    EXPECT_TRUE(tokyo.has_location);
    EXPECT_EQ(tokyo.asn, 64500u);
    EXPECT_EQ(tokyo.as_org, "Example Tokyo Net");
    GeoInfo paris = e.lookup(addr("2001:db8:1::1"));
    EXPECT_EQ(paris.city, "Paris");
    EXPECT_EQ(paris.asn, 64502u);
    // Known to one database only.
    GeoInfo as_only = e.lookup(addr("192.0.2.1"));
    EXPECT_EQ(as_only.country, "");
    EXPECT_EQ(as_only.asn, 4200000001u);
    GeoInfo geo_only = e.lookup(addr("2001:db8:2::1"));
    EXPECT_EQ(geo_only.city, "São Paulo");
    EXPECT_EQ(geo_only.asn, 0u);
    EXPECT_TRUE(e.lookup(addr("8.8.8.8")).empty());
}

TEST(GeoEnricher, AsnDatabaseAloneOrCountryFromTheOtherFile) {
    GeoEnricher::Options o;
    o.asn_db = fixture("asn.mmdb");
    GeoEnricher asn_only(o);
    EXPECT_FALSE(asn_only.has_location_db());
    EXPECT_EQ(asn_only.lookup(addr("203.0.113.1")).asn, 64500u);
    // The country database given as the "ASN" file still supplies the country when the location
    // database has none for the address.
    GeoEnricher::Options o2;
    o2.location_db = fixture("city.mmdb");
    o2.asn_db = fixture("country.mmdb");
    GeoEnricher e(o2);
    EXPECT_EQ(e.lookup(addr("192.0.2.1")).country, "KR");
    EXPECT_EQ(e.lookup(addr("203.0.113.1")).city, "Tokyo");
}

TEST(GeoEnricher, CacheReturnsTheSameResultsAndIsBounded) {
    GeoEnricher::Options o;
    o.location_db = fixture("city.mmdb");
    o.asn_db = fixture("asn.mmdb");
    o.cache_entries = 4;
    GeoEnricher e(o);
    const char* addrs[] = {"203.0.113.1", "2001:db8:1::1", "198.51.100.1", "8.8.8.8", "192.0.2.1", "198.19.0.1"};
    std::vector<GeoInfo> first;
    for (const char* a : addrs) first.push_back(e.lookup(addr(a)));
    EXPECT_LE(e.cache_size(), 4u);
    for (int round = 0; round < 3; ++round)
        for (size_t i = 0; i < std::size(addrs); ++i) EXPECT_EQ(e.lookup(addr(addrs[i])), first[i]) << addrs[i];
    EXPECT_LE(e.cache_size(), 4u);
    const uint64_t hits = e.cache_hits();
    EXPECT_EQ(e.lookup(addr(addrs[0])), first[0]);
    EXPECT_EQ(e.lookup(addr(addrs[0])), first[0]);
    EXPECT_GT(e.cache_hits(), hits);
    // The address used as the cache's empty key is still answered (without the cache).
    EXPECT_TRUE(e.lookup(addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).empty());
}

TEST(GeoEnricher, ReloadClearsTheCache) {
    ScratchDir dir;
    const std::string path = dir.file("loc.mmdb");
    fs::copy_file(fixture("city.mmdb"), path);
    GeoEnricher::Options o;
    o.location_db = path;
    o.reload_interval = std::chrono::seconds(0);
    GeoEnricher e(o);
    EXPECT_EQ(e.lookup(addr("203.0.113.1")).city, "Tokyo");
    EXPECT_EQ(e.lookup(addr("203.0.113.1")).city, "Tokyo");  // from the cache
    EXPECT_EQ(e.cache_hits(), 1u);
    replace_by_rename(fixture("iplocdb-city.mmdb"), path);
    auto report = e.maybe_reload();
    EXPECT_TRUE(report.reloaded);
    EXPECT_TRUE(report.errors.empty());
    EXPECT_EQ(e.cache_size(), 0u);
    EXPECT_EQ(e.lookup(addr("203.0.113.1")).city, "Osaka");
    write_file(path + ".new", "junk");
    fs::rename(path + ".new", path);
    report = e.maybe_reload();
    EXPECT_FALSE(report.reloaded);
    ASSERT_EQ(report.errors.size(), 1u);
    EXPECT_NE(report.errors[0].find(path), std::string::npos);
    EXPECT_EQ(e.lookup(addr("203.0.113.1")).city, "Osaka");
}

TEST(GeoEnricher, MissingFileIsAConfigError) {
    GeoEnricher::Options o;
    o.location_db = fixture("does-not-exist.mmdb");
    EXPECT_THROW(GeoEnricher{o}, ConfigError);
}

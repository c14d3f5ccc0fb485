// The sharing hub: anonymised submissions, TLP 2.0 enforcement on every read, routing, severity,
// and duplicates merged across submitters.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "sharing/sharing_hub.h"

namespace iotwatch {
namespace {

struct TempStore {
    std::string path = "/tmp/iotwatch-hub-" + std::to_string(getpid()) + ".db";
    std::unique_ptr<Store> store;
    TempStore() {
        std::remove(path.c_str());
        store = open_sqlite_store(path);
    }
    ~TempStore() {
        store.reset();
        for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    }
};

const char* kRegistry = R"(
[[organisation]]
id = "isp-a"
name = "ISP A"
asns = [64500]
sectors = ["information-communication"]
[[organisation]]
id = "bank-b"
name = "Bank B"
asns = [64501]
sectors = ["finance"]
[[organisation]]
id = "isp-c"
name = "ISP C"
asns = [64502]
sectors = ["information-communication"]
)";

constexpr const char* kGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr const char* kAmber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
constexpr const char* kRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

std::string bundle(const std::string& submitter_identity, const std::string& marking, const std::string& pattern,
                   const std::string& sectors, int confidence = 50) {
    nlohmann::json b = {{"type", "bundle"}, {"id", "bundle--1"}, {"x_iotwatch_sectors", nlohmann::json::parse(sectors)}};
    b["objects"] = nlohmann::json::array(
        {{{"type", "identity"}, {"spec_version", "2.1"}, {"id", submitter_identity}, {"name", "Secret Submitter Inc."}},
         {{"type", "indicator"}, {"spec_version", "2.1"}, {"id", "indicator--" + std::to_string(std::hash<std::string>()(pattern + submitter_identity))},
          {"created_by_ref", submitter_identity}, {"pattern", pattern}, {"pattern_type", "stix"},
          {"valid_from", "2026-11-24T00:00:00Z"}, {"confidence", confidence},
          {"description", "seen on our VPN concentrator 10.9.9.9"}, {"x_iotwatch_private", {"description"}},
          {"object_marking_refs", {marking}}},
         {{"type", "sighting"}, {"spec_version", "2.1"}, {"id", "sighting--" + std::to_string(std::hash<std::string>()(submitter_identity))},
          {"sighting_of_ref", "indicator--x"}, {"where_sighted_refs", {submitter_identity}},
          {"object_marking_refs", {marking}}}});
    return b.dump();
}

TEST(SharingHub, SubmissionsAreAnonymisedRoutedAndSealed) {
    TempStore db;
    const auto reg = OrganisationRegistry::parse(kRegistry, "orgs.toml");
    SharingHub hub(*db.store, &reg);
    auto r = hub.submit(bundle("identity--aaaa-1", kAmber, "[ipv4-addr:value = '203.0.113.5']", R"(["finance"])", 90),
                        "sub.json", "bank-b", 1000);
    EXPECT_EQ(r.accepted, 2u);
    EXPECT_EQ(r.dropped_identities, 1u);
    EXPECT_EQ(r.severity, 3) << r.severity_reason;
    EXPECT_EQ(r.collections, std::vector<std::string>{"sector-finance"});
    const auto all = db.store->share_objects("", INT64_MIN);
    ASSERT_EQ(all.size(), 2u);
    for (const auto& o : all) {
        EXPECT_EQ(o.json.find("aaaa"), std::string::npos) << "submitter identity leaked: " << o.json;
        EXPECT_EQ(o.json.find("Secret Submitter"), std::string::npos);
        EXPECT_EQ(o.json.find("10.9.9.9"), std::string::npos) << "private field kept: " << o.json;
        EXPECT_EQ(o.json.find("x_iotwatch"), std::string::npos);
    }
    EXPECT_NE(all[0].json.find("identity--5f1cfa94"), std::string::npos);  // created_by_ref -> the hub
    const auto seals = db.store->share_seals();
    ASSERT_EQ(seals.size(), 2u);
    EXPECT_EQ(seals[0].submitter, "bank-b");
}

TEST(SharingHub, TlpIsEnforcedOnEveryRead) {
    TempStore db;
    const auto reg = OrganisationRegistry::parse(kRegistry, "orgs.toml");
    SharingHub hub(*db.store, &reg);
    hub.submit(bundle("identity--bbbb-1", kAmber, "[domain-name:value = 'c2.test']", R"(["information-communication"])"),
               "a.json", "isp-a", 1);
    hub.submit(bundle("identity--cccc-1", kGreen, "[domain-name:value = 'green.test']", R"(["finance"])"), "b.json",
               "bank-b", 2);
    // An organisation's own AMBER alert, and a RED object for named recipients only.
    hub.publish("org-isp-a", R"({"type":"indicator","id":"indicator--own","pattern":"[ipv4-addr:value = '192.0.2.1']","object_marking_refs":[")" +
                                 std::string(kAmber) + R"("]})",
                "", {"isp-a"}, 3);
    hub.publish("national", R"({"type":"note","id":"note--red","content":"x","object_marking_refs":[")" + std::string(kRed) + R"("]})",
                "", {"isp-c"}, 4);
    auto ids = [&](const Reader& who, const std::string& c) {
        std::vector<std::string> out;
        for (const auto& o : hub.objects(who, c, INT64_MIN, 1000)) out.push_back(o.collection + "/" + o.id);
        return out;
    };
    const Reader a{"isp-a"}, b{"bank-b"}, c{"isp-c"}, admin{"", true}, anonymous{};
    // AMBER in the information-communication sector: its members (A and C), not the bank.
    EXPECT_EQ(ids(a, "sector-information-communication").size(), 2u);
    EXPECT_EQ(ids(c, "sector-information-communication").size(), 2u);
    EXPECT_TRUE(ids(b, "sector-information-communication").empty());
    // GREEN reaches the whole community (and the national collection); not an anonymous reader.
    EXPECT_EQ(ids(a, "sector-finance").size(), 2u);
    EXPECT_TRUE(ids(anonymous, "sector-finance").empty());
    // A's own alerts: A only.
    EXPECT_EQ(ids(a, "org-isp-a").size(), 1u);
    EXPECT_TRUE(ids(b, "org-isp-a").empty());
    EXPECT_TRUE(ids(c, "org-isp-a").empty());
    // RED: the named recipient only; the operator sees everything.
    auto national_c = ids(c, "national"), national_a = ids(a, "national");
    EXPECT_NE(std::find(national_c.begin(), national_c.end(), "national/note--red"), national_c.end());
    EXPECT_EQ(std::find(national_a.begin(), national_a.end(), "national/note--red"), national_a.end());
    EXPECT_EQ(ids(admin, "").size(), db.store->share_objects("", INT64_MIN).size());
    EXPECT_EQ(hub.collections(b), (std::vector<std::string>{"national", "sector-finance"}));
}

TEST(SharingHub, DuplicatesFromSeveralSubmittersAreMergedWithCounts) {
    TempStore db;
    SharingHub hub(*db.store, nullptr);
    const std::string p = "[ipv4-addr:value = '198.51.100.9']";
    hub.submit(bundle("identity--dddd-1", kGreen, p, R"([])"), "1.json", "isp-a", 1);
    auto second = hub.submit(bundle("identity--eeee-1", kGreen, p, R"([])"), "2.json", "isp-c", 2);
    EXPECT_EQ(second.merged, 1u);
    size_t indicators = 0;
    for (const auto& o : db.store->share_objects("national", INT64_MIN))
        if (o.type == "indicator") {
            ++indicators;
            EXPECT_EQ(o.reports, 2u);
        }
    EXPECT_EQ(indicators, 1u);
    EXPECT_THROW(hub.submit("{\"type\":\"indicator\"}", "bad.json", "isp-a", 3), InputError);
    auto critical = hub.submit(bundle("identity--ffff-1", kAmber, "[domain-name:value = 'x.test']",
                                      R"(["finance", "electricity", "railway", "not-a-sector"])"),
                               "3.json", "isp-a", 4);
    EXPECT_EQ(critical.severity, 4) << critical.severity_reason;
    ASSERT_FALSE(critical.errors.empty());
    EXPECT_NE(critical.errors[0].find("unknown sector 'not-a-sector'"), std::string::npos);
}

}  // namespace
}  // namespace iotwatch

#include <gtest/gtest.h>

#include "core/timestamp.h"
#include "notify/evidence_feed.h"

namespace iotwatch {
namespace {

TEST(EvidenceFeed, CsvWithQuotingTimeFormatsAndBadRows) {
    const std::string csv =
        "# partner sinkhole\n"
        "\"IP\",\"Timestamp\",\"Infection\",\"Hostname\"\n"
        "192.0.2.1,2026-11-24 10:00:00,Mirai,\"c2.example, sinkholed\"\n"
        "2001:db8::5,2026-11-24T10:00:01Z,,\n"
        "192.0.2.2,1795514400,gafgyt,\n"
        "192.0.2.3,yesterday,x,\n"
        "nope,2026-11-24 10:00:00,x,\n"
        "192.0.2.4,\"2026-11-24 10:00:00,x\n";
    auto r = parse_evidence_csv(csv, "feed.csv", "p");
    ASSERT_EQ(r.records.size(), 3u);
    EXPECT_EQ(r.records[0].address.to_string(), "192.0.2.1");
    EXPECT_EQ(r.records[0].family, "mirai");
    EXPECT_EQ(r.records[0].detail, "c2.example, sinkholed");
    EXPECT_EQ(r.records[0].ts_ns, *parse_utc("2026-11-24T10:00:00Z"));
    EXPECT_EQ(r.records[1].address.to_string(), "2001:db8::5");
    EXPECT_EQ(r.records[2].ts_ns, 1795514400LL * kNanosPerSecond);
    EXPECT_EQ(r.bad, 3u);
    ASSERT_EQ(r.errors.size(), 3u);
    EXPECT_EQ(r.errors[0], "feed.csv:6: field 'timestamp': 'yesterday' is not an ISO 8601 UTC time or Unix seconds");
    EXPECT_EQ(r.errors[1], "feed.csv:7: field 'address': 'nope' is not an IP address");
    EXPECT_EQ(r.errors[2], "feed.csv:8: unterminated quoted field");
}

TEST(EvidenceFeed, CsvWithoutAddressColumnIsRejected) {
    auto r = parse_evidence_csv("when,who\n1,2\n", "f.csv", "p");
    EXPECT_TRUE(r.records.empty());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("f.csv:1: header must name an address column"), std::string::npos);
}

TEST(EvidenceFeed, StixIndicatorsAndObservedData) {
    const std::string bundle = R"({"type":"bundle","id":"bundle--x","objects":[
      {"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '192.0.2.9']","valid_from":"2026-11-24T01:02:03Z","labels":["Mirai"]},
      {"type":"indicator","id":"indicator--2","pattern":"[ipv4-addr:value = '10.0.0.0/8']","valid_from":"2026-11-24T01:02:03Z"},
      {"type":"indicator","id":"indicator--3","pattern":"[domain-name:value = 'x.example']","valid_from":"2026-11-24T01:02:03Z"},
      {"type":"indicator","id":"indicator--4","pattern":"[ipv6-addr:value = '2001:db8::9']","valid_from":"not a time"},
      {"type":"ipv4-addr","id":"ipv4-addr--a","value":"198.51.100.1"},
      {"type":"observed-data","id":"observed-data--1","first_observed":"2026-11-24T05:00:00.250Z","object_refs":["ipv4-addr--a"]},
      7]})";
    auto r = parse_evidence_stix(bundle, "b.json", "feed");
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[0].address.to_string(), "192.0.2.9");
    EXPECT_EQ(r.records[0].family, "mirai");
    EXPECT_EQ(r.records[1].address.to_string(), "198.51.100.1");
    EXPECT_EQ(r.records[1].ts_ns, *parse_utc("2026-11-24T05:00:00.250Z"));
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_EQ(r.errors[0], "b.json: objects[3]: field 'valid_from': 'not a time' is not a STIX timestamp");
    EXPECT_EQ(r.errors[1], "b.json: objects[6]: not an object");
}

TEST(EvidenceFeed, StixRejectsNonBundles) {
    EXPECT_NE(parse_evidence_stix("{\"type\":\"indicator\"}", "b.json", "f").errors.at(0).find("not a STIX 2.1 bundle"),
              std::string::npos);
    EXPECT_NE(parse_evidence_stix("{\"type\":", "b.json", "f").errors.at(0).find("b.json: byte "), std::string::npos);
}

}  // namespace
}  // namespace iotwatch

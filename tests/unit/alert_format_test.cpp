// Golden files for every alert format: fixed rows rendered and compared byte for byte with the
// reviewed files in tests/data/alerts/ (IOTWATCH_UPDATE_GOLDEN=1 rewrites them for review).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/timestamp.h"
#include "notify/alert_format.h"
#include "notify/daily_alerts.h"

namespace iotwatch {
namespace {

std::vector<AlertRow> fixed_rows() {
    const int64_t day = 1795478400;  // 2026-11-24
    AlertRow a;
    a.day = day;
    a.org = "example-isp";
    a.address = *IpAddress::parse("192.0.2.10");
    a.kind = "mirai-fingerprint";
    a.family = "mirai";
    a.confidence = "high";
    a.first_seen_ns = *parse_utc("2026-11-24T01:02:03Z");
    a.last_seen_ns = *parse_utc("2026-11-24T22:10:00.5Z");
    a.protocol = 6;
    a.port = 23;
    a.ports = "tcp/23(telnet) tcp/2323(telnet)";
    a.packets = 120;
    a.mirai_fraction = 1;
    a.source = "telescope";
    a.sensors = "tokyo-1,osaka-2";
    a.asn = 64500;
    a.country = "JP";
    a.region = "Tokyo";
    a.city = "Chiyoda";
    AlertRow b = a;
    b.address = *IpAddress::parse("2001:db8::7");
    b.kind = "iot-port-scan";
    b.family = "";
    b.confidence = "medium";
    b.ports = "tcp/7547(tr-069)";
    b.port = 7547;
    b.packets = 300;
    b.mirai_fraction = 0;
    b.sensors = "tokyo-1";
    AlertRow c;
    c.day = day;
    c.org = "example-isp";
    c.address = *IpAddress::parse("192.0.2.10");
    c.kind = "external";
    c.family = "gafgyt,mirai";
    c.confidence = "high";
    c.first_seen_ns = *parse_utc("2026-11-24T10:00:00Z");
    c.last_seen_ns = *parse_utc("2026-11-24T11:00:00Z");
    c.packets = 2;
    c.source = "partner \"sinkhole\"";
    return {a, c, b};
}

void check_golden(const AlertFormat& format) {
    Organisation org;
    org.id = "example-isp";
    org.name = "Example ISP";
    const std::string got = format.render({&org, 1795478400}, fixed_rows());
    const std::string path = std::string(IOTWATCH_TEST_DATA) + "/alerts/golden" + format.suffix;
    if (std::getenv("IOTWATCH_UPDATE_GOLDEN")) {
        std::ofstream(path, std::ios::binary) << got;
        return;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path << " missing (IOTWATCH_UPDATE_GOLDEN=1 creates it)";
    std::stringstream want;
    want << in.rdbuf();
    EXPECT_EQ(got, want.str()) << format.name << " differs from " << path;
    // Deterministic: a second rendering is identical.
    EXPECT_EQ(got, format.render({&org, 1795478400}, fixed_rows()));
}

TEST(AlertFormat, ShadowserverCsvMatchesGolden) { check_golden(*find_alert_format("shadowserver-csv")); }
TEST(AlertFormat, JsonLinesMatchesGolden) { check_golden(*find_alert_format("jsonl")); }
TEST(AlertFormat, StixBundleMatchesGolden) { check_golden(*find_alert_format("stix")); }

TEST(AlertFormat, RegistryListsEveryFormatOnce) {
    EXPECT_EQ(alert_formats().size(), 3u);
    EXPECT_EQ(find_alert_format("pdf"), nullptr);
    for (const auto& f : alert_formats()) EXPECT_EQ(find_alert_format(f.name), &f);
}

TEST(AlertFormat, EventIdsAreStableUuid5) {
    const auto rows = fixed_rows();
    const std::string id = alert_event_id(rows[0]);
    EXPECT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '5');  // version 5
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // RFC 4122 variant
    EXPECT_EQ(id, alert_event_id(rows[0]));
    EXPECT_NE(id, alert_event_id(rows[1]));
}

}  // namespace
}  // namespace iotwatch

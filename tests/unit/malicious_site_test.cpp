#include <gtest/gtest.h>

#include "core/error.h"
#include "core/timestamp.h"
#include "sharing/malicious_site.h"
#include "sharing/rpz_zone.h"

namespace iotwatch {
namespace {

TEST(MaliciousSite, NormalisesAndValidatesNames) {
    std::string why;
    EXPECT_EQ(normalise_domain(" Evil.Example.TEST. ", &why).value_or("?"), "evil.example.test");
    EXPECT_FALSE(normalise_domain("192.0.2.1", &why));
    EXPECT_NE(why.find("IP address"), std::string::npos);
    EXPECT_FALSE(normalise_domain("a..b", &why));
    EXPECT_NE(why.find("empty label"), std::string::npos);
    EXPECT_FALSE(normalise_domain(std::string(64, 'a') + ".test", &why));
    EXPECT_FALSE(normalise_domain("b\xc3\xa4" "d.test", &why));
    EXPECT_NE(why.find("punycode"), std::string::npos);
    EXPECT_FALSE(normalise_domain("bad name.test", &why));
    EXPECT_EQ(url_host("https://user:pw@Login.Example.test:8443/a?b#c", &why).value_or("?"), "login.example.test");
    EXPECT_FALSE(url_host("http://[2001:db8::1]/x", &why));
    EXPECT_FALSE(url_host("evil.example.test/x", &why));
}

TEST(MaliciousSite, CsvReportsBadRowsWithLineAndField) {
    auto r = parse_sites_csv("domain,category\nok.test,phishing\n1.2.3.4,malware\nfine.test,\n", "f.csv", "feed", "malware", 7);
    ASSERT_EQ(r.sites.size(), 2u);
    EXPECT_EQ(r.sites[0].category, "phishing");
    EXPECT_EQ(r.sites[1].category, "malware");
    EXPECT_EQ(r.sites[1].first_seen_ns, 7);  // no time column: the import time
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "f.csv:3: field 'domain': '1.2.3.4' is an IP address, not a DNS name (RPZ lists names)");
}

TEST(RpzZone, RendersEachDomainOnceWithItsSubtreeDeterministically) {
    std::vector<MaliciousSite> sites = {
        {"b.test", "http://b.test/x", "malware", "feed1", *parse_utc("2026-11-20T00:00:00Z"), *parse_utc("2026-11-21T00:00:00Z")},
        {"a.test", "", "phishing", "feed2", *parse_utc("2026-11-22T00:00:00Z"), *parse_utc("2026-11-23T10:00:00Z")},
        {"b.test", "http://b.test/y", "malware", "feed2", *parse_utc("2026-11-19T00:00:00Z"), *parse_utc("2026-11-19T00:00:00Z")},
    };
    RpzOptions o;
    o.warning_cname = "warning.isp.example";
    const std::string z = render_rpz_zone(sites, o);
    EXPECT_NE(z.find("( 2026112300 "), std::string::npos) << z;  // serial from the newest last_seen
    const size_t a = z.find("\na.test CNAME warning.isp.example.\n"), b = z.find("\nb.test CNAME warning.isp.example.\n");
    EXPECT_NE(a, std::string::npos);
    EXPECT_NE(b, std::string::npos);
    EXPECT_LT(a, b);
    EXPECT_NE(z.find("\n*.b.test CNAME warning.isp.example.\n"), std::string::npos);
    EXPECT_EQ(z.find("b.test CNAME", b + 2), z.find("*.b.test CNAME") + 2);  // listed once (plus its wildcard)
    EXPECT_NE(z.find("; malware from feed1,feed2, last seen 2026-11-21T00:00:00Z"), std::string::npos) << z;
    std::reverse(sites.begin(), sites.end());
    EXPECT_EQ(z, render_rpz_zone(sites, o));  // order of the input does not matter
    RpzOptions none;
    EXPECT_THROW(render_rpz_zone(sites, none), ConfigError);
    RpzOptions bad;
    bad.warning_a = "::1";
    EXPECT_THROW(render_rpz_zone(sites, bad), ConfigError);
}

}  // namespace
}  // namespace iotwatch

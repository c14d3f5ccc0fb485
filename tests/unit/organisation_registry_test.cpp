#include <gtest/gtest.h>

#include "core/error.h"
#include "enrich/organisation_registry.h"

namespace iotwatch {
namespace {

constexpr const char* kGood = R"(
[[organisation]]
id = "isp-a"
name = "ISP A"
contact = "abuse@a.example"
asns = [64500]
prefixes = ["192.0.2.0/24", "192.0.2.128/25", "2001:db8::/32"]

[[organisation]]
id = "member-b"
name = "Member B"
kind = "daedalus"
prefixes = ["198.51.100.0/24"]
darknet = ["203.0.113.0/24"]
formats = ["jsonl"]
)";

std::string error_of(const std::string& text) {
    try {
        OrganisationRegistry::parse(text, "orgs.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(OrganisationRegistry, AttributesByLongestPrefixThenAsn) {
    auto reg = OrganisationRegistry::parse(kGood, "orgs.toml");
    ASSERT_EQ(reg.organisations().size(), 2u);
    EXPECT_EQ(reg.organisations()[0].formats.size(), 3u);  // default: every format
    EXPECT_EQ(reg.organisations()[1].formats, std::vector<std::string>{"jsonl"});
    EXPECT_EQ(reg.owner(*IpAddress::parse("192.0.2.200")), 0u);
    EXPECT_EQ(reg.owner(*IpAddress::parse("2001:db8::1")), 0u);
    EXPECT_EQ(reg.owner(*IpAddress::parse("198.51.100.7")), 1u);
    EXPECT_EQ(reg.owner(*IpAddress::parse("10.0.0.1")), OrganisationRegistry::kNone);
    EXPECT_EQ(reg.owner(*IpAddress::parse("10.0.0.1"), 64500), 0u);       // by origin ASN
    EXPECT_EQ(reg.owner(*IpAddress::parse("198.51.100.7"), 64500), 1u);   // a claimed prefix wins over the ASN
    EXPECT_EQ(reg.darknet_owner(*IpAddress::parse("203.0.113.9")), 1u);
    EXPECT_EQ(reg.darknet_owner(*IpAddress::parse("198.51.100.7")), OrganisationRegistry::kNone);
    EXPECT_EQ(reg.find("member-b"), 1u);
}

TEST(OrganisationRegistry, ReportsOverlapsWithBothClaimants) {
    std::string e = error_of(R"(
[[organisation]]
id = "a"
name = "A"
prefixes = ["10.0.0.0/8"]
[[organisation]]
id = "b"
name = "B"
prefixes = ["10.1.0.0/16"]
darknet = ["192.0.2.0/24"]
[[organisation]]
id = "c"
name = "C"
prefixes = ["192.0.2.0/25"]
asns = [64501]
[[organisation]]
id = "d"
name = "D"
asns = [64501]
)");
    EXPECT_NE(e.find("overlap: 'a' prefixes 10.0.0.0/8 and 'b' prefixes 10.1.0.0/16"), std::string::npos) << e;
    EXPECT_NE(e.find("overlap: 'b' darknet 192.0.2.0/24 and 'c' prefixes 192.0.2.0/25"), std::string::npos) << e;
    EXPECT_NE(e.find("AS64501 is claimed by 'c' and 'd'"), std::string::npos) << e;
    EXPECT_NE(e.find("3 problem(s)"), std::string::npos) << e;
}

TEST(OrganisationRegistry, RejectsBadFilesWithTheField) {
    EXPECT_NE(error_of("[[organisation]]\nname = \"x\"\nprefixes = [\"10.0.0.0/8\"]\n").find("organisation[0].id is missing"),
              std::string::npos);
    EXPECT_NE(error_of("[[organisation]]\nid = \"Bad Id\"\nname = \"x\"\nasns = [1]\n").find(".id must be"),
              std::string::npos);
    EXPECT_NE(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\nprefixes = [\"10.0.0.1/8\"]\n")
                  .find("organisation[0] ('x').prefixes"),
              std::string::npos);
    EXPECT_NE(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\n").find("claims no address space"), std::string::npos);
    EXPECT_NE(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [0]\n").find("not an ASN"), std::string::npos);
    // A float where an integer belongs is refused, not cast (a fuzzer found toml++'s cast of 745e88 is UB).
    EXPECT_NE(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [745e88]\n").find("not an ASN"), std::string::npos);
    EXPECT_NE(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [64500.0]\n").find("not an ASN"), std::string::npos);
    EXPECT_NE(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [1]\nformats = [\"pdf\"]\n").find("unknown format"),
              std::string::npos);
    EXPECT_NE(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [1]\ncolour = 1\n").find("unknown key 'colour'"),
              std::string::npos);
    EXPECT_NE(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [1]\n[[organisation]]\nid = \"x\"\nname = \"y\"\nasns = [2]\n")
                  .find("duplicate id 'x'"),
              std::string::npos);
    EXPECT_NE(error_of("[[organisation]\nid=").find("orgs.toml:1:"), std::string::npos);  // TOML syntax: file:line:col
    EXPECT_NE(error_of("organisations = 1\n").find("unknown top-level key 'organisations'"), std::string::npos);
}

TEST(OrganisationRegistry, OwnMoreSpecificPrefixIsNotAnOverlap) {
    EXPECT_EQ(error_of("[[organisation]]\nid = \"x\"\nname = \"x\"\nprefixes = [\"10.0.0.0/8\", \"10.1.0.0/16\", \"10.1.0.0/16\"]\n"),
              "");
}

}  // namespace
}  // namespace iotwatch

namespace iotwatch {
namespace {

TEST(OrganisationRegistry, TokenSha256IsOptionalValidatedAndUnique) {
    const std::string h(64, 'a');
    auto reg = OrganisationRegistry::parse(
        "[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [1]\ntoken_sha256 = \"" + h + "\"\n"
        "[[organisation]]\nid = \"y\"\nname = \"y\"\nasns = [2]\n",
        "orgs.toml");
    EXPECT_EQ(reg.organisations()[0].token_sha256, h);
    EXPECT_EQ(reg.organisations()[1].token_sha256, "");
    EXPECT_THROW(OrganisationRegistry::parse("[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [1]\ntoken_sha256 = \"ABC\"\n",
                                             "orgs.toml"),
                 ConfigError);
    try {
        OrganisationRegistry::parse("[[organisation]]\nid = \"x\"\nname = \"x\"\nasns = [1]\ntoken_sha256 = \"" + h +
                                        "\"\n[[organisation]]\nid = \"y\"\nname = \"y\"\nasns = [2]\ntoken_sha256 = \"" + h + "\"\n",
                                    "orgs.toml");
        ADD_FAILURE() << "a shared token must be rejected";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("same token_sha256 as 'x'"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace iotwatch

// SurveyScope, BlockList, RateLimiter, CyclicPermutation, CredentialList, HttpAuth.
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "survey/block_list.h"
#include "survey/credential_list.h"
#include "survey/cyclic_permutation.h"
#include "survey/http_auth.h"
#include "survey/monthly_summary.h"
#include "survey/rate_limiter.h"
#include "survey/survey_scope.h"

namespace iotwatch {
namespace {

Prefix P(const char* s) { return *Prefix::parse(s); }
IpAddress A(const char* s) { return *IpAddress::parse(s); }

TEST(BlockList, ReservedRangesAndOptOut) {
    BlockList b = BlockList::reserved();
    for (const char* a : {"10.1.2.3", "127.0.0.1", "192.168.1.1", "198.18.0.1", "224.0.0.1", "255.255.255.255", "0.1.2.3"})
        EXPECT_TRUE(b.blocks(A(a))) << a;
    EXPECT_FALSE(b.blocks(A("8.8.8.8")));
    EXPECT_FALSE(b.blocks(A("127.0.0.1"), true));  // loopback lifted only for a loopback test
    EXPECT_TRUE(b.blocks(A("10.0.0.1"), true));    // nothing else is
    b.add_text("# opt-outs\n8.8.8.0/24  # asked 2026-01-01\n", "optout.txt");
    ASSERT_TRUE(b.blocks(A("8.8.8.8")));
    EXPECT_EQ(b.blocking(A("8.8.8.8"))->reason, "opt-out: optout.txt:2");
    EXPECT_THROW(b.add_text("8.8.8.300/24\n", "bad.txt"), InputError);
}

TEST(SurveyScope, AllowMinusBlock) {
    BlockList b = BlockList::reserved();
    b.add(P("1.2.3.128/25"), "opt-out: test");
    SurveyScope s({P("1.2.3.0/24"), P("10.0.0.0/30"), P("2001:db8::/120")}, b, false);
    EXPECT_EQ(s.size(), 128u);
    EXPECT_EQ(s.blocked(), 128u + 4u + 256u);  // 2001:db8::/32 is documentation space
    EXPECT_EQ(s.v6_addresses(), 0u);
    EXPECT_TRUE(s.permits(A("1.2.3.5")));
    EXPECT_FALSE(s.permits(A("1.2.3.200")));
    EXPECT_FALSE(s.permits(A("10.0.0.1")));
    EXPECT_FALSE(s.permits(A("1.2.4.1")));
    EXPECT_EQ(s.at(0), A("1.2.3.0"));
    EXPECT_EQ(s.at(127), A("1.2.3.127"));
}

TEST(SurveyScope, Ipv6) {
    BlockList b = BlockList::reserved();
    b.add(P("2400:1::80/128"), "opt-out: test");
    // A /64 is never swept: IPv6 comes as addresses or small ranges.
    EXPECT_THROW(SurveyScope({P("2400:1::/64")}, b, false), ConfigError);
    SurveyScope s({P("2400:1::/120"), P("8.8.8.0/30"), P("fe80::/120"), P("ff02::/120")}, b, false);
    EXPECT_EQ(s.size(), 255u + 4u);  // link-local and multicast blocked, one opt-out
    EXPECT_EQ(s.v6_addresses(), 255u);
    EXPECT_EQ(s.at(0), A("8.8.8.0"));  // IPv4 (mapped) sorts before 2400::
    EXPECT_EQ(s.at(4), A("2400:1::"));
    EXPECT_EQ(s.at(258), A("2400:1::ff"));
    EXPECT_TRUE(s.permits(A("2400:1::7f")));
    EXPECT_FALSE(s.permits(A("2400:1::80")));
    EXPECT_FALSE(s.permits(A("2400:1::100")));
    EXPECT_FALSE(s.permits(A("fe80::1")));
    EXPECT_TRUE(b.blocks(A("::1")));
    EXPECT_TRUE(b.blocks(A("2001:db8::1")));
    EXPECT_TRUE(b.blocks(A("fd00::1")));
    EXPECT_FALSE(b.blocks(A("2400:1::1")));
    EXPECT_FALSE(b.blocks(A("8.8.8.8")));  // no IPv6 entry covers IPv4 (stored IPv4-mapped)
    // Loopback tests: ::1 only.
    SurveyScope lo({P("::1/128"), P("127.0.0.0/31")}, BlockList::reserved(), true);
    EXPECT_EQ(lo.size(), 3u);
    EXPECT_TRUE(lo.permits(A("::1")));
    EXPECT_THROW(SurveyScope({P("::1/128"), P("2400:1::/120")}, BlockList::reserved(), true), ConfigError);
    EXPECT_THROW(SurveyScope({P("::1/128")}, BlockList::reserved(), false), ConfigError);  // blocked
}

TEST(SurveyScope, NoDefaultTargetsAndLoopbackRules) {
    EXPECT_THROW(SurveyScope({}, BlockList::reserved(), false), ConfigError);
    EXPECT_THROW(SurveyScope({P("127.0.0.0/30")}, BlockList::reserved(), false), ConfigError);  // all blocked
    EXPECT_THROW(SurveyScope({P("127.0.0.0/30"), P("8.8.8.0/24")}, BlockList::reserved(), true), ConfigError);
    SurveyScope lo({P("127.0.0.0/30")}, BlockList::reserved(), true);
    EXPECT_EQ(lo.size(), 4u);
    EXPECT_TRUE(lo.permits(A("127.0.0.2")));
    EXPECT_FALSE(lo.permits(A("8.8.8.8")));
}

TEST(RateLimiter, GlobalPer24PerTargetAndAttempts) {
    RateLimiter r({/*global*/ 10, /*per 24*/ 2, /*per target*/ 1, /*attempts*/ 3});
    const int64_t t0 = 1'000'000'000;
    EXPECT_TRUE(r.try_connect(A("1.2.3.4"), t0));
    EXPECT_FALSE(r.try_connect(A("1.2.3.4"), t0));  // per target: 1/s
    EXPECT_TRUE(r.try_connect(A("1.2.3.5"), t0));
    EXPECT_FALSE(r.try_connect(A("1.2.3.6"), t0));  // per /24: 2/s
    EXPECT_TRUE(r.try_connect(A("1.2.4.6"), t0));
    EXPECT_GT(r.wait_ns(A("1.2.3.4"), t0), 0);
    EXPECT_TRUE(r.try_connect(A("1.2.3.4"), t0 + 1'000'000'000));
    int ok = 0;
    for (int i = 0; i < 100; ++i) ok += r.try_connect(IpAddress::v4(0x05000000u + uint32_t(i) * 256), t0 + 1'000'000'000);
    EXPECT_LE(ok, 10);  // global: burst of 10
    EXPECT_TRUE(r.may_attempt(2));
    EXPECT_FALSE(r.may_attempt(3));
    r.prune(t0 + 100'000'000'000LL);
    EXPECT_EQ(r.tracked(), 0u);
    EXPECT_THROW(RateLimiter({0, 1, 1, 1}), ConfigError);
}

TEST(CyclicPermutation, VisitsEveryTargetExactlyOnce) {
    for (uint64_t n : {1ULL, 2ULL, 3ULL, 10ULL, 97ULL, 1000ULL, 65536ULL}) {
        CyclicPermutation p(n, 42);
        std::vector<bool> seen(n);
        uint64_t count = 0;
        while (auto i = p.next()) {
            ASSERT_LT(*i, n);
            ASSERT_FALSE(seen[*i]) << n;
            seen[*i] = true;
            ++count;
        }
        EXPECT_EQ(count, n);
    }
}

TEST(CyclicPermutation, DeterministicAndResumable) {
    CyclicPermutation a(5000, 7), b(5000, 7), c(5000, 8);
    std::vector<uint64_t> va, vb, vc;
    while (auto i = a.next()) va.push_back(*i);
    while (auto i = c.next()) vc.push_back(*i);
    EXPECT_NE(va, vc);
    for (int k = 0; k < 1234; ++k) vb.push_back(*b.next());
    CyclicPermutation resumed(5000, 7);
    resumed.seek(b.position(), b.emitted());
    while (auto i = resumed.next()) vb.push_back(*i);
    EXPECT_EQ(va, vb);
}

TEST(CredentialList, BuiltinHasMiraiAndMicClassesWithoutDuplicates) {
    auto l = CredentialList::builtin();
    ASSERT_GT(l.size(), 61u);
    EXPECT_EQ(l.items()[0].user, "root");
    EXPECT_EQ(l.items()[0].password, "xc3511");  // Mirai's heaviest
    std::set<std::pair<std::string, std::string>> pairs;
    std::set<std::string> ids;
    bool repeated = false;
    for (const auto& c : l.items()) {
        EXPECT_TRUE(pairs.insert({c.user, c.password}).second);
        EXPECT_TRUE(ids.insert(c.id).second);
        repeated = repeated || c.password == "11111111";
    }
    EXPECT_TRUE(repeated);
}

TEST(CredentialList, FileErrorsNameTheField) {
    auto l = CredentialList::parse("id,user,password,source\na,root,\"x,y\",test\n", "c.csv");
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l.items()[0].password, "x,y");
    EXPECT_THROW(CredentialList::parse("user\nroot\n", "c.csv"), InputError);
    EXPECT_THROW(CredentialList::parse("user,password\nroot,\"open\n", "c.csv"), InputError);
}

TEST(HttpAuth, ParsesChallengesAndBuildsDigest) {
    bool not_http = false;
    const std::string resp =
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cam\", Digest realm=\"cam\", "
        "nonce=\"abc\", qop=\"auth,auth-int\", algorithm=SHA-256\r\nContent-Length: 0\r\n\r\n";
    auto h = HttpAuth::parse_head(resp, &not_http);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 401);
    ASSERT_EQ(h->challenges.size(), 2u);
    const HttpChallenge* c = HttpAuth::choose(h->challenges);
    ASSERT_TRUE(c);
    EXPECT_EQ(HttpAuth::describe(*c), "digest-sha-256");
    EXPECT_EQ(HttpAuth::base64("admin:admin"), "YWRtaW46YWRtaW4=");
    // RFC 2617 section 3.5 example (MD5, qop=auth).
    HttpChallenge rfc{"digest",
                      {{"realm", "testrealm@host.com"}, {"qop", "auth,auth-int"}, {"nonce", "dcd98b7102dd2f0e8b11d0f600bfb0c093"}}};
    const std::string a = HttpAuth::authorization(rfc, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", 1);
    EXPECT_NE(a.find("response=\"6629fae49393a05397450978507c4ef1\""), std::string::npos) << a;
    EXPECT_FALSE(HttpAuth::parse_head("SSH-2.0-dropbear\r\n", &not_http));
    EXPECT_TRUE(not_http);
}

}  // namespace
}  // namespace iotwatch

TEST(SurveyMonthlySummary, CountsDistinctAddressesByBestOutcomePerOrganisation) {
    const auto reg = iotwatch::OrganisationRegistry::parse(
        "[[organisation]]\nid = \"a\"\nname = \"A\"\nprefixes = [\"10.0.0.0/24\"]\n", "orgs.toml");
    auto res = [](const char* addr, const char* proto, iotwatch::SurveyOutcome o) {
        iotwatch::SurveyResult r;
        r.address = *iotwatch::IpAddress::parse(addr);
        r.protocol = proto;
        r.outcome = o;
        return r;
    };
    using O = iotwatch::SurveyOutcome;
    std::vector<iotwatch::SurveyResult> rs = {
        res("10.0.0.1", "telnet", O::kAuthPrompt), res("10.0.0.1", "telnet", O::kLoginOk),  // two ports/campaigns
        res("10.0.0.2", "telnet", O::kClosed),     res("10.0.0.2", "http", O::kNoAuth),
        res("10.0.0.3", "http", O::kAuthPrompt),   res("192.0.2.9", "http", O::kOpenNoService)};
    const auto rows = iotwatch::summarise_survey(rs, &reg);
    auto find = [&](const std::string& org, const std::string& p) {
        for (const auto& r : rows)
            if (r.org == org && r.protocol == p) return r;
        ADD_FAILURE() << "no row " << org << "/" << p;
        return iotwatch::SurveySummaryRow{};
    };
    auto t = find("a", "telnet");
    EXPECT_EQ(t.surveyed, 2u);
    EXPECT_EQ(t.responded, 1u);
    EXPECT_EQ(t.auth_prompt, 1u);  // the login-ok device also had a prompt
    EXPECT_EQ(t.login_ok, 1u);
    auto all = find("a", "all");
    EXPECT_EQ(all.surveyed, 3u);
    EXPECT_EQ(all.login_ok, 1u);
    EXPECT_EQ(all.no_auth, 1u);
    EXPECT_EQ(all.auth_prompt, 2u);
    EXPECT_EQ(find("(none)", "http").surveyed, 1u);
    EXPECT_EQ(find("all", "all").surveyed, 4u);
    EXPECT_EQ(rows.back().org, "all");
    EXPECT_EQ(rows.back().protocol, "all");
}

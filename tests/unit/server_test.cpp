// The server's request-independent parts: bearer-token authentication and query parameter checks.
#include <gtest/gtest.h>

#include "core/digest.h"
#include "core/error.h"
#include "server/access_control.h"
#include "server/api_error.h"
#include "server/request_params.h"
#include "server/response_cache.h"

namespace iotwatch::server {
namespace {

OrganisationRegistry two_orgs() {
    return OrganisationRegistry::parse("[[organisation]]\nid = \"a\"\nname = \"A\"\nprefixes = [\"10.0.0.0/8\"]\ntoken_sha256 = \"" +
                                           sha256_hex("token-a") +
                                           "\"\n[[organisation]]\nid = \"b\"\nname = \"B\"\nprefixes = [\"11.0.0.0/8\"]\n",
                                       "orgs.toml");
}

TEST(AccessControl, AdminAndOrganisationTokens) {
    const auto reg = two_orgs();
    const AccessControl ac("the-admin-token-123", &reg);
    auto admin = ac.authenticate("Bearer the-admin-token-123");
    ASSERT_TRUE(admin);
    EXPECT_TRUE(admin->admin);
    EXPECT_EQ(admin->name(), "api:admin");
    auto a = ac.authenticate("bearer token-a");  // scheme is case-insensitive
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->admin);
    EXPECT_EQ(a->org, 0u);
    EXPECT_EQ(a->org_id, "a");
    EXPECT_FALSE(ac.authenticate("Bearer token-b"));  // b has no token
    EXPECT_FALSE(ac.authenticate("Bearer "));
    EXPECT_FALSE(ac.authenticate("Basic the-admin-token-123"));
    EXPECT_FALSE(ac.authenticate("Bearer the-admin-token-12"));
    EXPECT_FALSE(ac.authenticate(""));
    // An organisation without a token can never be matched by an empty digest.
    EXPECT_FALSE(ac.authenticate("Bearer  "));
}

TEST(AccessControl, ShortAdminTokenIsRejectedAndGeneratedTokensDiffer) {
    EXPECT_THROW(AccessControl("short", nullptr), ConfigError);
    const std::string t1 = AccessControl::generate_token(), t2 = AccessControl::generate_token();
    EXPECT_EQ(t1.size(), 64u);
    EXPECT_NE(t1, t2);
}

int status_of(const std::function<void()>& f, std::string* parameter = nullptr) {
    try {
        f();
    } catch (const ApiError& e) {
        if (parameter) *parameter = e.parameter();
        return e.status();
    }
    return 0;
}

TEST(RequestParams, RangeDayAndIntegers) {
    RequestParams p({{"from", "2026-01-01"}, {"to", "1767312000"}, {"top", "5"}}, {"from", "to", "top", "day"});
    const TimeRange r = p.range();
    EXPECT_EQ(r.from, 1767225600);
    EXPECT_EQ(r.to, 1767312000);
    EXPECT_EQ(p.integer("top", 10, 1, 100), 5);
    RequestParams d({{"day", "2026-01-01"}}, {"day"});
    EXPECT_EQ(d.range().to - d.range().from, 86400);
    RequestParams none({}, {"from"});
    EXPECT_EQ(none.range().from, INT64_MIN);
    EXPECT_EQ(none.integer("top", 10, 1, 100), 10);
}

TEST(RequestParams, BadValuesNameTheParameter) {
    std::string param;
    EXPECT_EQ(status_of([] { RequestParams({{"form", "x"}}, {"from"}); }, &param), 400);
    EXPECT_EQ(param, "form");
    EXPECT_EQ(status_of([] { RequestParams({{"top", "1"}, {"top", "2"}}, {"top"}); }, &param), 400);
    EXPECT_EQ(status_of([] { RequestParams({{"from", "yesterday"}}, {"from"}).range(); }, &param), 400);
    EXPECT_EQ(param, "from");
    EXPECT_EQ(status_of([] { RequestParams({{"from", "2026-01-02"}, {"to", "2026-01-01"}}, {"from", "to"}).range(); }, &param), 400);
    EXPECT_EQ(param, "to");
    EXPECT_EQ(status_of([] { RequestParams({{"day", "2026-01-01T00:00:00Z"}}, {"day"}).range(); }, &param), 400);
    EXPECT_EQ(param, "day");
    EXPECT_EQ(status_of([] { RequestParams({{"top", "0"}}, {"top"}).integer("top", 10, 1, 100); }, &param), 400);
    EXPECT_EQ(status_of([] { RequestParams({{"top", "9999999999999999999999"}}, {"top"}).integer("top", 10, 1, 100); }), 400);
    EXPECT_EQ(status_of([] { RequestParams({{"top", "5x"}}, {"top"}).integer("top", 10, 1, 100); }), 400);
    EXPECT_EQ(status_of([] { RequestParams({{"from", "-5"}}, {"from"}).range(); }), 400);
}

}  // namespace
}  // namespace iotwatch::server

namespace iotwatch::server {
namespace {

TEST(ResponseCache, ServesWithinTtlEvictsOldestAndCanBeOff) {
    using namespace std::chrono;
    const auto t0 = ResponseCache::Clock::time_point{} + hours(1);
    ResponseCache cache(milliseconds(10000), 2);
    cache.put("a", "A", t0);
    EXPECT_EQ(cache.get("a", t0 + seconds(9)), std::optional<std::string>("A"));
    EXPECT_FALSE(cache.get("a", t0 + seconds(10)));  // expired
    cache.put("a", "A", t0);
    cache.put("b", "B", t0 + seconds(1));
    cache.put("c", "C", t0 + seconds(2));  // evicts a, the oldest
    EXPECT_FALSE(cache.get("a", t0 + seconds(3)));
    EXPECT_TRUE(cache.get("b", t0 + seconds(3)));
    EXPECT_TRUE(cache.get("c", t0 + seconds(3)));
    ResponseCache off(milliseconds(0), 10);
    off.put("a", "A");
    EXPECT_FALSE(off.get("a"));
}

}  // namespace
}  // namespace iotwatch::server

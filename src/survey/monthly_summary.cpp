#include "survey/monthly_summary.h"

#include "core/timestamp.h"

#include <cstdio>
#include <map>
#include <set>

namespace iotwatch {
namespace {

/// Best outcome rank of an address: what decides which counts it enters.
int rank(SurveyOutcome o) {
    switch (o) {
    case SurveyOutcome::kLoginOk: return 5;
    case SurveyOutcome::kNoAuth: return 4;
    case SurveyOutcome::kAuthPrompt: return 3;
    case SurveyOutcome::kOpenNoService: return 2;
    default: return 1;  // closed, error, timeout: surveyed, no answer
    }
}

struct Tally {
    std::map<IpAddress, int> best;  // address -> best rank
    void add(const IpAddress& a, int r) {
        int& b = best[a];
        if (r > b) b = r;
    }
};

}  // namespace

std::vector<SurveySummaryRow> summarise_survey(const std::vector<SurveyResult>& results,
                                               const OrganisationRegistry* registry) {
    const std::string kNone = "(none)", kAll = "all";
    // org -> protocol -> tally (protocol "all" and org "all" included).
    std::map<std::string, std::map<std::string, Tally>> t;
    std::set<std::string> used_orgs;
    for (const auto& r : results) {
        std::string org = kNone;
        if (registry) {
            const uint32_t i = registry->owner(r.address);
            if (i != OrganisationRegistry::kNone) org = registry->organisations()[i].id;
        }
        const int k = rank(r.outcome);
        for (const std::string& o : {org, kAll})
            for (const std::string& p : {r.protocol, kAll}) t[o][p].add(r.address, k);
        used_orgs.insert(org);
    }
    std::vector<std::string> order;
    if (registry)
        for (const auto& o : registry->organisations())
            if (used_orgs.count(o.id)) order.push_back(o.id);
    if (used_orgs.count(kNone)) order.push_back(kNone);
    if (!results.empty()) order.push_back(kAll);
    std::vector<SurveySummaryRow> out;
    for (const auto& org : order) {
        auto& protocols = t[org];
        std::vector<std::string> names;
        for (const auto& [p, _] : protocols)
            if (p != kAll) names.push_back(p);
        names.push_back(kAll);
        for (const auto& p : names) {
            SurveySummaryRow row{org, p};
            for (const auto& [addr, k] : protocols[p].best) {
                ++row.surveyed;
                row.responded += k >= 2;
                row.auth_prompt += k == 3 || k == 5;
                row.login_ok += k == 5;
                row.no_auth += k == 4;
            }
            out.push_back(std::move(row));
        }
    }
    return out;
}

std::optional<std::pair<int64_t, int64_t>> month_seconds(const std::string& month) {
    if (month.size() != 7 || month[4] != '-') return std::nullopt;
    const auto start = parse_utc(month + "-01");
    if (!start) return std::nullopt;
    int y = std::stoi(month.substr(0, 4)), m = std::stoi(month.substr(5, 2));
    if (++m > 12) m = 1, ++y;
    char next[32];
    std::snprintf(next, sizeof next, "%04d-%02d-01", y % 10000, m);
    const auto end = parse_utc(next);
    if (!end) return std::nullopt;
    return std::pair<int64_t, int64_t>{*start / kNanosPerSecond, *end / kNanosPerSecond};
}

}  // namespace iotwatch

// SurveyMonthlySummary: NOTICE's monthly figures from stored survey results. Per organisation
// (owner of the address by the registry's prefixes) and protocol: addresses surveyed, addresses
// where an ID/password could be entered (auth-prompt or login-ok: NOTICE counts a device whose
// weak password worked among those with a prompt), addresses whose login accepted a weak
// credential (login-ok: the ones the ISP warns), and addresses usable without a password
// (no-auth). Every count is of distinct addresses: a device surveyed by two campaigns or on two
// ports of one protocol counts once; its best outcome counts (login-ok over auth-prompt).
#pragma once
#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "enrich/organisation_registry.h"
#include "survey/survey_outcome.h"

namespace iotwatch {

struct SurveySummaryRow {
    std::string org;       // organisation id; "(none)" outside every organisation; "all" = national
    std::string protocol;  // probe module; "all" = every protocol (a device counted once)
    uint64_t surveyed = 0;     // distinct addresses with any result
    uint64_t responded = 0;    // ... that answered (anything but closed / timeout / error)
    uint64_t auth_prompt = 0;  // ... where an ID/password could be entered (auth-prompt or login-ok)
    uint64_t login_ok = 0;     // ... where a tried weak credential was accepted
    uint64_t no_auth = 0;      // ... usable without any password
};

/// The UTC month "YYYY-MM" as [first second, first second of the next month); nullopt when
/// `month` is not of that form.
std::optional<std::pair<int64_t, int64_t>> month_seconds(const std::string& month);

/// Rows by organisation (registry order, then "(none)", then "all"), each with its protocols in
/// name order followed by "all". `registry` may be empty (then every address is "(none)").
std::vector<SurveySummaryRow> summarise_survey(const std::vector<SurveyResult>& results,
                                               const OrganisationRegistry* registry);

}  // namespace iotwatch

// DailyAlerts: turns one UTC day of evidence into per-organisation alert rows (NICTER alerts,
// DAEDALUS, NOTICE). Evidence: the telescope's infected-host judgement (detect/host_judgement.h),
// imported partner evidence (sinkhole / takedown feeds) and the survey's findings (weak-credential,
// no-auth). Each address is attributed to the
// organisation that claims it (registry prefix first, then its origin ASN), enriched with
// country/ASN, and reported once per (address, evidence kind): repeated hits merge into one row
// with first/last seen and counts. Addresses no organisation claims are counted, not reported.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "detect/host_judgement.h"
#include "enrich/geo_info.h"
#include "enrich/organisation_registry.h"
#include "store/store.h"

namespace iotwatch {

struct DailyAlertsInput {
    const OrganisationRegistry* registry = nullptr;
    const PortTaxonomy* iot_ports = nullptr;
    const ResearchScannerList* research = nullptr;
    /// Country/ASN of an address (may be empty: attribution then uses prefixes only).
    std::function<GeoInfo(const IpAddress&)> geo;
    /// Telescope sensor names in configuration order (bit i of SourceDayRow::sensors).
    std::vector<std::string> sensor_names;
};

struct DailyAlertsResult {
    std::vector<AlertRow> rows;       // by org, address, kind
    uint64_t judged = 0;              // telescope judgements that day
    uint64_t research_excluded = 0;   // sources dropped as known research scanners
    uint64_t external = 0;            // external evidence records that day
    uint64_t survey = 0;              // survey findings (login-ok, no-auth) that day
    uint64_t unattributed = 0;        // evidence rows no organisation claims
};

/// Builds the alert rows of the UTC day starting at `day_s` from what `store` holds.
DailyAlertsResult build_daily_alerts(Store& store, int64_t day_s, const DailyAlertsInput& in);

/// What the subscriber should do, for the evidence text of an alert (the notification research:
/// concrete steps in the message itself).
std::string alert_advice(const AlertRow& row);

}  // namespace iotwatch

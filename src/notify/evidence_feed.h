// Partner evidence feeds (ACTIVE-style): sinkhole and C&C takedown logs that name infected
// addresses. Two input formats:
//  - CSV with a header line naming at least an address column (address | ip | src_ip) and a time
//    column (timestamp | time | ts | first_seen); optional family (family | infection | malware)
//    and detail (hostname | detail | url) columns. Times: ISO 8601 UTC ("2026-11-24T10:00:00Z",
//    "2026-11-24 10:00:00" read as UTC) or Unix seconds.
//  - A STIX 2.1 bundle: indicators with a pattern [ipv4-addr:value = '...'] / ipv6-addr (time =
//    valid_from, family = first label), and observed-data referencing ipv4/ipv6-addr objects of
//    the bundle (time = first_observed).
// A bad record is reported with file, line (CSV) or object index (STIX) and field, and skipped;
// every good record is kept.
#pragma once
#include <string>
#include <vector>

#include "store/rows.h"

namespace iotwatch {

struct FeedParseResult {
    std::vector<ExternalEvidence> records;
    std::vector<std::string> errors;  // "file:line: field 'timestamp': ..." (bounded at 100, then a count)
    uint64_t bad = 0;
};

/// Parses a CSV feed's text; `name` (the file) prefixes errors.
FeedParseResult parse_evidence_csv(const std::string& text, const std::string& name, const std::string& feed);
/// Parses a STIX 2.1 bundle's text.
FeedParseResult parse_evidence_stix(const std::string& text, const std::string& name, const std::string& feed);

}  // namespace iotwatch

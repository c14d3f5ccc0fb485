// AlertFormat: one output format of the daily alert files, as a module behind one interface (the
// shape of ZMap's output modules): a name, a file suffix, the fields it declares, and a render
// callback. Contract for render: it receives every row of one organisation and one day, sorted by
// address then kind, and returns the file's complete bytes; the same rows always give the same
// bytes (no wall-clock time, no random ids), so a re-run of a day is byte-identical. Formats are
// listed in one registry, alert_formats().
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "enrich/organisation_registry.h"
#include "store/rows.h"

namespace iotwatch {

struct AlertFileContext {
    const Organisation* org = nullptr;
    int64_t day_s = 0;  // the UTC day (seconds of 00:00Z)
};

struct AlertFormat {
    const char* name;         // "shadowserver-csv", "jsonl", "stix"
    const char* suffix;       // appended to "<org>-<day>": ".csv", ".jsonl", ".stix.json"
    const char* description;  // one line for --help
    std::string (*render)(const AlertFileContext& ctx, const std::vector<AlertRow>& rows);
};

/// Every format, in the order of --help.
const std::vector<AlertFormat>& alert_formats();
/// The format called `name`, or nullptr.
const AlertFormat* find_alert_format(std::string_view name);

// The modules (one file each).
std::string render_shadowserver_csv(const AlertFileContext& ctx, const std::vector<AlertRow>& rows);
std::string render_alert_jsonl(const AlertFileContext& ctx, const std::vector<AlertRow>& rows);
std::string render_stix_bundle(const AlertFileContext& ctx, const std::vector<AlertRow>& rows);

/// The Shadowserver Honeypot-Darknet report's columns, in order (report_schema event4_honeypot_darknet).
const std::vector<std::string>& shadowserver_darknet_fields();

/// A stable per-row identifier: UUIDv5 of "org|day|address|kind" in iotwatch's namespace.
std::string alert_event_id(const AlertRow& row);

/// The UUIDv5 namespace of iotwatch's STIX ids, and its producer identity's id (every STIX object
/// iotwatch creates, alerts or shared findings, points created_by_ref at it).
const char* stix_namespace();
std::string stix_producer_identity();

}  // namespace iotwatch

// Store: the storage interface every backend implements (SQLite now; ClickHouse later).
// Writers call it once per closed bin with all of that bin's rows (batches, never per packet).
// Rows are keyed by their natural key (bin_start, width, class/port/src...) and a put replaces a
// row with the same key: a resumed ingest rewrites a bin with its complete values.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detect/backscatter_detector.h"
#include "detect/scan_detector.h"
#include "flows/flow_record.h"
#include "store/rows.h"
#include "survey/survey_campaign.h"
#include "survey/survey_outcome.h"

namespace iotwatch {

/// Half-open time range in seconds since the epoch; [INT64_MIN, INT64_MAX) means everything.
struct TimeRange {
    int64_t from = INT64_MIN;
    int64_t to = INT64_MAX;
};

/// A TimeRange bound (seconds) in nanoseconds, saturating at the int64 limits: how the backends
/// compare it with the tables' *_ns columns.
inline int64_t ns_bound(int64_t seconds) {
    if (seconds <= INT64_MIN / 1000000000) return INT64_MIN;
    if (seconds >= INT64_MAX / 1000000000) return INT64_MAX;
    return seconds * 1000000000;
}

/// Totals over a range, from the 1-day bins (the report's headline numbers).
struct TelescopeTotals {
    uint64_t class_packets[kClassCount] = {};
    uint64_t class_bytes[kClassCount] = {};
    uint64_t packets = 0;    // analysed (to the darknet)
    uint64_t bytes = 0;
    uint64_t outside = 0;
    uint64_t not_ip = 0;
    uint64_t truncated = 0;
    uint64_t undecodable = 0;
    uint64_t late = 0;
    uint64_t sources = 0;      // distinct source addresses over the whole range
    uint64_t destinations = 0; // max over days of distinct darknet destinations per day
    int64_t first_bin = 0;     // first/last day with data (seconds), 0 when empty
    int64_t last_bin = 0;
};

/// One row of a top-N port view: unique sources and packets to a destination port over a range.
struct PortRank {
    uint8_t protocol = 0;
    uint16_t port = 0;
    uint64_t sources = 0;  // distinct sources over the range (from per-source-day rows)
    uint64_t packets = 0;
};

/// One row of the top-sources view.
struct SourceRank {
    IpAddress src;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t destinations = 0;  // max over days
    uint64_t ports = 0;         // max over days
    uint16_t classes = 0;
    int64_t first_seen_ns = 0;
    int64_t last_seen_ns = 0;
    std::string top_ports;      // of the busiest day
    uint64_t fingerprints[4] = {};  // packets per tool fingerprint (mirai, zmap, masscan, large_scanner)
};

class Store {
public:
    virtual ~Store() = default;

    // Transactions: everything between begin() and commit() lands atomically.
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() = 0;

    // Writers (replace rows with the same key).
    virtual void put_class_bins(const std::vector<ClassBinRow>& rows) = 0;
    virtual void put_port_bins(const std::vector<PortBinRow>& rows) = 0;
    virtual void put_bin_meta(const std::vector<BinMetaRow>& rows) = 0;
    virtual void put_sensor_bins(const std::vector<SensorBinRow>& rows) = 0;
    virtual void put_source_days(const std::vector<SourceDayRow>& rows) = 0;
    /// Detection events, keyed by (source, protocol, port, start) and (victim, protocol, start).
    virtual void put_scan_events(const std::vector<ScanEvent>& events) = 0;
    virtual void put_dos_attacks(const std::vector<DosAttack>& attacks) = 0;
    /// Classifier verdicts, keyed by (window_start_s, src, detector).
    virtual void put_source_labels(const std::vector<SourceLabel>& labels) = 0;

    // Checkpoint (written inside the caller's transaction).
    virtual std::optional<Checkpoint> load_checkpoint() = 0;
    virtual void save_checkpoint(const Checkpoint& cp) = 0;
    virtual void clear_checkpoint() = 0;

    // Readers for reports and the API.
    virtual TelescopeTotals totals(const TimeRange& range) = 0;
    virtual std::vector<ClassBinRow> class_series(int32_t width, const TimeRange& range) = 0;
    virtual std::vector<PortRank> top_ports(uint8_t protocol, size_t n, const TimeRange& range) = 0;
    /// The port's rows of one bin width in the range, by bin (packets, unique sources). At widths
    /// 300 and 3600 a bin where the port had a single source has no row (it is in port -1).
    virtual std::vector<PortBinRow> port_series(int32_t width, uint8_t protocol, uint16_t port, const TimeRange& range) = 0;
    virtual std::vector<SourceRank> top_sources(size_t n, const TimeRange& range) = 0;
    virtual std::vector<SensorBinRow> sensor_totals(const TimeRange& range) = 0;
    /// Source-day rows with Mirai-fingerprinted packets, by source (fields as source_days()).
    virtual std::vector<SourceDayRow> mirai_sources(const TimeRange& range) = 0;
    /// Events that started in the range, largest first (packets), at most n.
    virtual std::vector<ScanEvent> scan_events(const TimeRange& range, size_t n) = 0;
    virtual std::vector<DosAttack> dos_attacks(const TimeRange& range, size_t n) = 0;
    /// Verdicts of windows starting in the range, by source then window.
    virtual std::vector<SourceLabel> source_labels(const TimeRange& range) = 0;
    /// Every source-day row of the range (day, src, first/last seen, packets, bytes, top_ports,
    /// sensors, fingerprints), by day then source: the input of per-country and per-ASN views.
    virtual std::vector<SourceDayRow> source_days(const TimeRange& range) = 0;

    /// The telescope's sensor names in configuration order: bit i of SourceDayRow::sensors.
    virtual void put_sensor_names(const std::vector<std::string>& names) = 0;
    virtual std::vector<std::string> sensor_names() = 0;

    // Alerts and their evidence.
    /// Replaces every alert row of `day` with `rows` (a re-run of a day never duplicates rows and
    /// drops rows that no longer hold).
    virtual void replace_alerts(int64_t day, const std::vector<AlertRow>& rows) = 0;
    /// Alert rows of days in the range, by day, org, address, kind.
    virtual std::vector<AlertRow> alerts(const TimeRange& range) = 0;
    /// Inserts evidence rows not already present; returns how many were new.
    virtual size_t put_external_evidence(const std::vector<ExternalEvidence>& rows) = 0;
    /// Evidence with ts in the range, by address then time.
    virtual std::vector<ExternalEvidence> external_evidence(const TimeRange& range) = 0;
    virtual void log_access(const AccessLogEntry& entry) = 0;
    /// Sharing hub: stores an object; when an object with the same collection and dedup_key exists,
    /// increments its reports instead and returns false.
    virtual bool put_share_object(const ShareObjectRow& row) = 0;
    /// Objects of a collection ("" = all) added after `added_after_ns`, by added time then id.
    virtual std::vector<ShareObjectRow> share_objects(const std::string& collection, int64_t added_after_ns) = 0;
    virtual void put_share_seal(const ShareSealRow& row) = 0;
    virtual std::vector<ShareSealRow> share_seals() = 0;
    /// Malicious sites: inserts new ones, widens first/last seen of known ones; returns how many were new.
    virtual size_t put_malicious_sites(const std::vector<MaliciousSiteRow>& rows) = 0;
    /// Every site, by domain then url then source.
    virtual std::vector<MaliciousSiteRow> malicious_sites() = 0;
    virtual std::vector<AccessLogEntry> access_log(const TimeRange& range) = 0;

    /// Deletes rows older than the policy keeps them, relative to `now_s`; returns rows deleted
    /// per table name.
    virtual std::vector<std::pair<std::string, uint64_t>> apply_retention(const RetentionPolicy& policy,
                                                                          int64_t now_s) = 0;

    // Weak-credential survey (NOTICE). A result never holds a password, only a credential id.
    /// Inserts or replaces the campaign record (keyed by id): created at start, position updated.
    virtual void put_survey_campaign(const SurveyCampaign& c) = 0;
    virtual std::optional<SurveyCampaign> survey_campaign(const std::string& id) = 0;
    /// Every campaign record, oldest first (then by id).
    virtual std::vector<SurveyCampaign> survey_campaigns() = 0;
    /// Results keyed by (campaign, address, port, protocol); a put replaces the same key.
    virtual void put_survey_results(const std::vector<SurveyResult>& rows) = 0;
    /// Every result of a campaign, by address then port.
    virtual std::vector<SurveyResult> survey_results(const std::string& campaign) = 0;
    /// Every result of every campaign started in the range (seconds), by address, port, start
    /// (the monthly summary's input).
    virtual std::vector<SurveyResult> survey_results_between(const TimeRange& range) = 0;
    /// Findings the ISPs are told about (login-ok and no-auth) of every campaign, started in the
    /// range (seconds), by address, port, start.
    virtual std::vector<SurveyResult> survey_findings(const TimeRange& range) = 0;
    // Flows (the collector). Batches, inside the caller's transaction when one is open.
    /// Appends flow records. No key: a flow exported twice is stored twice, as the collector saw it.
    virtual void put_flows(const std::vector<FlowRecord>& flows) = 0;
    /// Stores each exporter's statistics of the collector run started at `run_start_ns` (a run
    /// rewrites its own rows as it goes; earlier runs keep theirs).
    virtual void put_flow_exporters(int64_t run_start_ns, const std::vector<ExporterStats>& stats) = 0;
    /// Flows whose start lies in the range (seconds), by start time then insertion order.
    virtual std::vector<FlowRecord> flows(const TimeRange& range) = 0;

    // Remote sensors (`iotwatch center`), one row per sensor, replaced on every put.
    virtual void put_sensor_health(const std::vector<SensorHealthRow>& rows) = 0;
    /// Every sensor's latest row, by name.
    virtual std::vector<SensorHealthRow> sensor_health() = 0;
};

/// Opens (creating if needed) the SQLite store at `path` (WAL mode; schema created or migrated).
/// Throws StoreError naming the path on failure.
std::unique_ptr<Store> open_sqlite_store(const std::string& path);
/// Opens (creating the database and tables if needed) the ClickHouse store at
/// clickhouse://HOST[:PORT]/DATABASE (HTTP interface, default port 8123). Throws ConfigError on a
/// bad URL and StoreError when the server cannot be reached or refuses the schema.
std::unique_ptr<Store> open_clickhouse_store(const std::string& url);
/// The store a --db / [store] db value names: a clickhouse:// URL, otherwise a SQLite file path.
std::unique_ptr<Store> open_store(const std::string& spec);

}  // namespace iotwatch

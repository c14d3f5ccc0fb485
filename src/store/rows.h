// Row types the telescope writes and the reports read. Plain values, independent of the backend.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"

namespace iotwatch {

/// Bin widths in seconds (UTC-aligned): 5 min, 1 h, 1 day.
inline constexpr int32_t kBinWidths[] = {300, 3600, 86400};

/// The nine NICTER packet classes plus other-IP; kClassAll is the sum row.
enum PacketClass : uint8_t {
    kClassSyn = 0,
    kClassSynAck,
    kClassAck,
    kClassFin,
    kClassRst,
    kClassPush,
    kClassTcpOther,
    kClassUdp,
    kClassIcmp,
    kClassOtherIp,
    kClassCount,            // number of real classes (10)
    kClassAll = kClassCount // pseudo-class for per-bin totals
};

/// Stable names used in the database, CSV and JSON ("syn", "synack", ...; "all" for kClassAll).
const char* packet_class_name(uint8_t cls);
/// Inverse of packet_class_name; -1 if unknown.
int packet_class_from_name(const std::string& name);

/// Per (bin, class): packets, bytes, exact unique sources and unique darknet destinations.
struct ClassBinRow {
    int64_t bin_start = 0;  // seconds since epoch, UTC, aligned to width
    int32_t width = 0;      // seconds
    uint8_t cls = 0;        // PacketClass (kClassAll for the bin total)
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t sources = 0;
    uint64_t destinations = 0;
};

/// Per (bin, transport protocol, destination port) for TCP and UDP: packets and unique sources.
/// At the 5-min and 1-h widths, ports reached by fewer than kMinPortSources sources in the bin
/// (mostly backscatter to spoofed source ports) are summed into one `other` row per protocol:
/// packets = their packets, sources = how many ports were summed (stored as port -1; written with
/// 0 and 0 when no port was sparse, so that a bin rewritten at a later checkpoint replaces it).
/// Day rows keep every port.
struct PortBinRow {
    int64_t bin_start = 0;
    int32_t width = 0;
    uint8_t protocol = 0;  // 6 or 17
    uint16_t port = 0;
    uint64_t packets = 0;
    uint64_t sources = 0;
    bool other = false;
};
inline constexpr uint64_t kMinPortSources = 2;

/// Applies the `other` folding above to `rows` (rows of any widths, already merged).
void fold_sparse_ports(std::vector<PortBinRow>& rows);

/// Per bin: what was not analysed, and why.
struct BinMetaRow {
    int64_t bin_start = 0;
    int32_t width = 0;
    uint64_t outside = 0;    // IP packets to addresses outside the darknet
    uint64_t not_ip = 0;     // frames that carried no IP packet
    uint64_t truncated = 0;  // analysed packets cut by the snap length (counted and classified as far as possible)
    uint64_t undecodable = 0;// frames too short or malformed to find addresses
    uint64_t late = 0;       // packets older than the open bin (counted in the open bin)
};

/// Per (bin, sensor): packets and bytes that reached that sensor's darknet prefixes.
struct SensorBinRow {
    int64_t bin_start = 0;
    int32_t width = 0;
    std::string sensor;
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

/// Per (UTC day, source address): what the source did in that day.
struct SourceDayRow {
    int64_t day = 0;  // seconds since epoch of 00:00Z
    IpAddress src;
    int64_t first_seen_ns = 0;
    int64_t last_seen_ns = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint16_t classes = 0;       // bit i set when the source sent class i
    uint64_t destinations = 0;  // distinct darknet addresses
    uint64_t ports = 0;         // distinct (protocol, destination port), TCP and UDP
    std::string top_ports;      // up to 5, "tcp/23:9000 tcp/2323:1000 udp/53:10" by packets desc
    /// Packets matching each tool fingerprint (Fingerprint order: mirai, zmap, masscan,
    /// large_scanner): per-source labels that need no scan event (a Mirai bot sending only a few
    /// SYNs is still a Mirai bot).
    uint64_t fingerprints[4] = {};
    /// Bit i set when sensor i (configuration order) saw this source; sensors past the 16th share
    /// bit 15 (DAEDALUS attribution: which member's darknet was hit).
    uint64_t sensors = 0;
};

/// State that lets an interrupted ingest resume: the processed inputs and the open aggregation
/// state, saved in the same transaction as the rows written since the previous checkpoint.
struct Checkpoint {
    std::vector<std::string> completed_inputs;  // identity strings of fully ingested inputs
    std::string state;                          // opaque serialized aggregation state
    /// More of the state, saved as if appended to `state` in this order (load_checkpoint returns
    /// the whole in `state`). Partitioned workers each serialize their part on their own thread;
    /// joining the parts into one string was 0.2 s of a 2-worker final checkpoint on the 20 M-packet
    /// benchmark (37 MB copied into fresh pages).
    std::vector<std::string> state_continued;

    /// The pieces of the state in order: `state`, then each of `state_continued`.
    template <typename F>
    void for_each_state_piece(F f) const {
        f(std::string_view(state));
        for (const std::string& piece : state_continued) f(std::string_view(piece));
    }
    /// The state as one string (a copy: for stores that write it as one value).
    std::string joined_state() const {
        std::string all;
        size_t n = 0;
        for_each_state_piece([&](std::string_view piece) { n += piece.size(); });
        all.reserve(n);
        for_each_state_piece([&](std::string_view piece) { all += piece; });
        return all;
    }
};

/// A classifier's verdict on one source in one window (e.g. the SVM DDoS classifier).
/// Key: (window_start_s, src, detector).
struct SourceLabel {
    int64_t window_start_s = 0;
    IpAddress src;
    std::string detector;  // "svm-ddos"
    std::string label;     // "ddos" (only positive verdicts are stored)
    double score = 0;      // the classifier's decision value
    uint64_t packets = 0;  // packets of the source in the window
};

/// One daily alert row: an organisation's address judged infected on a UTC day, by one kind of
/// evidence. Key: (day, org, address, kind). Only what the alert needs (DOMAIN.md section 1):
/// no darknet destination addresses, no payload.
struct AlertRow {
    int64_t day = 0;           // seconds since epoch of 00:00Z
    std::string org;           // organisation id
    IpAddress address;
    std::string kind;          // "mirai-fingerprint", "iot-port-scan", "external", "weak-credential", "no-auth", "cnc-server"
    std::string family;        // "mirai" or a feed's family; "" when unknown
    std::string confidence;    // "high", "medium", "low"
    int64_t first_seen_ns = 0;
    int64_t last_seen_ns = 0;
    uint8_t protocol = 0;      // of the most-probed port (0 when none)
    uint16_t port = 0;
    std::string ports;         // every probed port, "tcp/23(telnet) tcp/2323(telnet)"
    uint64_t packets = 0;      // probes behind this judgement (events for external evidence)
    double mirai_fraction = 0;
    std::string source;        // "telescope" or the external feed's name
    std::string sensors;       // telescope sensors that saw it, comma-separated ("" for feeds)
    uint32_t asn = 0;
    std::string country, region, city;
};

/// Evidence imported from a partner feed (sinkhole, C&C takedown): address + time + family.
/// Key: (feed, address, ts_ns, family): importing the same file twice adds nothing.
struct ExternalEvidence {
    std::string feed;
    IpAddress address;
    int64_t ts_ns = 0;
    std::string family;
    std::string detail;  // free text from the feed (e.g. the sinkhole's hostname), bounded
};

/// Who read what: one line per access to alert data (secrecy of communications, DOMAIN.md 1).
struct AccessLogEntry {
    int64_t ts_ns = 0;
    std::string who;     // operator (login name or --operator)
    std::string action;  // "alerts.write", "alerts.stats", "report.infected", ...
    std::string object;  // what was read, e.g. "org=example-isp day=2026-11-24"
};

/// A malicious site (ACTIVE) as stored: key (domain, url, source); importing again widens
/// first/last seen. The value type lives in sharing/malicious_site.h; this is its row.
struct MaliciousSiteRow {
    std::string domain;
    std::string url;
    std::string category;
    std::string source;
    int64_t first_seen_ns = 0;
    int64_t last_seen_ns = 0;
};

/// One STIX object in a sharing-hub collection. Key: (collection, id). `dedup_key` finds the same
/// finding submitted twice; `reports` counts the submissions merged into it.
struct ShareObjectRow {
    std::string collection;
    std::string id;
    std::string type;
    std::string dedup_key;
    int64_t added_ns = 0;
    std::string tlp;         // "TLP:GREEN", ...
    std::string publisher;   // organisation id, "" for the hub itself
    std::string recipients;  // comma-separated organisation ids
    uint64_t reports = 1;
    std::string json;        // the object, anonymised
};

/// The sealed mapping of an anonymised submission: which organisation submitted which object
/// (readable by the operator only).
struct ShareSealRow {
    std::string object_id;
    std::string submitter;
    int64_t submitted_ns = 0;
    std::string status_id;
};

/// How long each kind of record is kept, in days; 0 keeps it forever.
struct RetentionPolicy {
    int64_t telescope_bins_days = 0;  // class_bin, port_bin, bin_meta, sensor_bin
    int64_t source_days_days = 0;     // source_day (per-source addresses: personal data)
    int64_t events_days = 0;          // scan_event, dos_attack
    int64_t alerts_days = 0;          // alert
    int64_t external_days = 0;        // external_evidence
    int64_t access_log_days = 0;      // access_log
    int64_t sites_days = 0;           // malicious_site (by last seen)
    int64_t flows_days = 0;           // flow records (by flow start); exporter statistics are kept
};

/// A remote sensor as the centre last saw it (`iotwatch center`; API /api/v1/sensors).
struct SensorHealthRow {
    std::string sensor;
    std::string remote;             // address:port of its last connection
    int64_t last_contact_ns = 0;    // 0: never connected
    int64_t updated_ns = 0;         // when the centre wrote this row
    int64_t watermark_ns = 0;       // capture time up to which the sensor has sent everything
    uint64_t batches = 0;           // batches counted into the store (exact across restarts)
    uint64_t packets = 0;           // packets counted into the store from this sensor
    uint64_t duplicates = 0;        // resent batches recognised and not counted again
    uint64_t backlog_batches = 0;   // journaled at the centre, not yet ingested
    // The sensor's own counters (as of its newest batch)
    uint64_t captured = 0;
    uint64_t darknet = 0;
    uint64_t kernel_drops = 0;
    uint64_t interface_drops = 0;
    uint64_t spool_batches = 0;     // waiting in the sensor's spool
    uint64_t spool_bytes = 0;
    bool final = false;             // the sensor's inputs ended
    bool operator==(const SensorHealthRow&) const = default;
};

}  // namespace iotwatch

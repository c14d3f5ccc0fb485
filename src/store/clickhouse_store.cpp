// ClickHouseStore: the Store interface on a ClickHouse server (Debian's 18.16), over its HTTP
// interface: inserts as RowBinary batches, reads as TabSeparated (docs/clickhouse.md).
//
// How the Store contract maps onto an engine without transactions or in-place updates:
// - "A put replaces the row with the same key": keyed tables are ReplacingMergeTree(ver) ordered
//   by the natural key; every row carries a version from a per-process counter that starts at the
//   wall clock in ns, and reads use FINAL, which keeps the highest version of each key. A row is
//   deleted by writing a newer version of its key with deleted = 1 (a tombstone); reads skip them.
//   FINAL collapses rows only within a partition, so a key's partition column never changes.
// - begin()/commit(): writes between them are buffered in this process and sent at commit, in
//   the order they were made (the checkpoint is written last by the ingest job). A crash between
//   two inserts of a commit leaves the earlier tables written and the checkpoint old: the resumed
//   run writes the same keys again, with newer versions, so nothing is counted twice.
// - Partitions by UTC day of the time column; retention drops whole partitions (tables without a
//   time-stable column get tombstones and OPTIMIZE ... FINAL instead).
// - Every read sends optimize_move_to_prewhere=0 (ClickHouseClient): a PREWHERE condition would be
//   applied before FINAL collapses the versions.
#include <algorithm>
#include <chrono>
#include <climits>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <type_traits>

#include "core/error.h"
#include "store/clickhouse_client.h"
#include "store/row_binary.h"
#include "store/row_decoders.h"
#include "store/store.h"

namespace iotwatch {
namespace {

/// Day of a seconds column / of a nanoseconds column, as the partition key.
constexpr const char* kDayOfS = "toYYYYMMDD(toDateTime(%))";
constexpr const char* kDayOfNs = "toYYYYMMDD(toDateTime(intDiv(%, 1000000000)))";

struct TableSpec {
    const char* name;
    const char* columns;        // without ver/deleted/seq
    const char* key;            // ORDER BY
    const char* time_column;    // partition source ("" = no partition)
    bool time_in_ns;
    bool replacing;             // ReplacingMergeTree(ver) + deleted; else MergeTree + seq
};

const TableSpec kTables[] = {
    {"class_bin", "width Int64, bin_start Int64, class String, packets Int64, bytes Int64, sources Int64, destinations Int64",
     "width, bin_start, class", "bin_start", false, true},
    {"port_bin", "width Int64, bin_start Int64, protocol Int64, port Int64, packets Int64, sources Int64",
     "width, bin_start, protocol, port", "bin_start", false, true},
    {"bin_meta", "width Int64, bin_start Int64, outside Int64, not_ip Int64, truncated Int64, undecodable Int64, late Int64",
     "width, bin_start", "bin_start", false, true},
    {"sensor_bin", "width Int64, bin_start Int64, sensor String, packets Int64, bytes Int64", "width, bin_start, sensor",
     "bin_start", false, true},
    {"source_day",
     "day Int64, src String, first_seen_ns Int64, last_seen_ns Int64, packets Int64, bytes Int64, classes Int64, "
     "destinations Int64, ports Int64, top_ports String, fp_mirai Int64, fp_zmap Int64, fp_masscan Int64, "
     "fp_large_scanner Int64, sensors Int64",
     "day, src", "day", false, true},
    {"scan_event",
     "src String, protocol Int64, port Int64, start_ns Int64, end_ns Int64, packets Int64, destinations Int64, "
     "rate_pps Float64, mirai Int64, zmap Int64, masscan Int64, large_scanner Int64",
     "src, protocol, port, start_ns", "start_ns", true, true},
    {"dos_attack",
     "victim String, protocol Int64, start_ns Int64, end_ns Int64, packets Int64, max_window_packets Int64, "
     "rate_pps Float64, attackers Int64, attacker_ports Int64, victim_ports String",
     "victim, protocol, start_ns", "start_ns", true, true},
    {"source_label", "window_start Int64, src String, detector String, label String, score Float64, packets Int64",
     "window_start, src, detector", "window_start", false, true},
    {"alert",
     "day Int64, org String, address String, kind String, family String, confidence String, first_seen_ns Int64, "
     "last_seen_ns Int64, protocol Int64, port Int64, ports String, packets Int64, mirai_fraction Float64, "
     "source String, sensors String, asn Int64, country String, region String, city String",
     "day, org, address, kind", "day", false, true},
    {"external_evidence", "feed String, address String, ts_ns Int64, family String, detail String",
     "feed, address, ts_ns, family", "ts_ns", true, true},
    {"sensor", "idx Int64, name String", "idx", "", false, true},
    {"share_object",
     "collection String, id String, type String, dedup_key String, added_ns Int64, tlp String, publisher String, "
     "recipients String, reports Int64, json String",
     "collection, id", "", false, true},
    {"share_seal", "object_id String, submitter String, submitted_ns Int64, status_id String", "submitted_ns, seq", "",
     false, false},
    {"malicious_site",
     "domain String, url String, source String, category String, first_seen_ns Int64, last_seen_ns Int64",
     "domain, url, source", "", false, true},
    {"access_log", "ts_ns Int64, who String, action String, object String", "ts_ns, seq", "ts_ns", true, false},
    {"checkpoint", "id Int64, completed_inputs String, state String", "id", "", false, true},
    {"sensor_health",
     "sensor String, remote String, last_contact_ns Int64, updated_ns Int64, watermark_ns Int64, batches Int64, "
     "packets Int64, duplicates Int64, backlog_batches Int64, captured Int64, darknet Int64, kernel_drops Int64, "
     "interface_drops Int64, spool_batches Int64, spool_bytes Int64, final Int64",
     "sensor", "", false, true},
    {"survey_campaign",
     "id String, created_ns Int64, source_address String, contact String, seed Int64, scope String, ports String, "
     "credentials String, total Int64, position Int64, emitted Int64, finished Int64, loopback_test Int64",
     "id", "", false, true},
    {"survey_result",
     "campaign String, address String, port Int64, protocol String, idx Int64, outcome String, credential_id String, "
     "attempts Int64, started_ns Int64, ended_ns Int64, source_address String, detail String",
     "campaign, address, port, protocol", "", false, true},
    {"flow",
     "exporter String, domain Int64, version Int64, src String, dst String, sport Int64, dport Int64, protocol Int64, "
     "tcp_flags Int64, packets Int64, octets Int64, start_ns Int64, end_ns Int64, sampling Int64",
     "start_ns, seq", "start_ns", true, false},
    {"flow_exporter",
     "run_start_ns Int64, exporter String, domain Int64, version Int64, packets Int64, records Int64, templates Int64, "
     "options_templates Int64, options_records Int64, sequence_gaps Int64, missing Int64, reordered Int64, "
     "held_sets Int64, dropped_sets Int64, malformed Int64, sampling_interval Int64, first_seen_ns Int64, "
     "last_seen_ns Int64",
     "run_start_ns, exporter, domain, version", "", false, true},
};

std::string partition_expr(const TableSpec& t) {
    std::string e = t.time_in_ns ? kDayOfNs : kDayOfS;
    e.replace(e.find('%'), 1, t.time_column);
    return e;
}

/// A string literal for SQL text ('...' with \ and ' escaped).
std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\\' || c == '\'') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

std::string range_sql(const char* column, int64_t from, int64_t to) {
    return std::string(column) + " >= " + std::to_string(from) + " AND " + column + " < " + std::to_string(to);
}

class ClickHouseStore final : public Store {
public:
    explicit ClickHouseStore(const ClickHouseUrl& url) : ch_(url), local_(url.cluster.empty() ? "" : "_local") {
        ver_ = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count());
        // One query for what exists: a CREATE per table on every open cost about a second.
        ch_.execute("CREATE DATABASE IF NOT EXISTS " + url.database);
        std::set<std::string> have;
        {
            TsvReader r(ch_.select("SELECT name FROM system.tables WHERE database = " + quote(url.database)), "system.tables");
            while (r.next()) have.insert(r.text(0));
        }
        for (const auto& t : kTables) {
            if (have.count(std::string(t.name) + local_) && have.count(t.name)) continue;
            // On a cluster this creates the connected server's local table and the Distributed
            // table over all shards; every server is opened once so that each has both.
            std::string sql = std::string("CREATE TABLE IF NOT EXISTS ") + t.name + local_ + " (" + t.columns;
            sql += t.replacing ? ", ver UInt64, deleted UInt8) ENGINE = ReplacingMergeTree(ver)"
                               : ", seq UInt64) ENGINE = MergeTree()";
            if (*t.time_column) sql += " PARTITION BY " + partition_expr(t);
            sql += std::string(" ORDER BY (") + t.key + ")";
            ch_.execute(sql);
            if (!local_.empty())
                // Every version of a key goes to the same shard (FINAL collapses within a shard).
                ch_.execute(std::string("CREATE TABLE IF NOT EXISTS ") + t.name + " AS " + t.name + local_ +
                            " ENGINE = Distributed(" + url.cluster + ", " + url.database + ", " + t.name + local_ +
                            ", cityHash64(" + t.key + "))");
        }
    }

    void begin() override {
        flush();
        in_tx_ = true;
    }
    void commit() override {
        flush();
        in_tx_ = false;
    }
    void rollback() override {
        finish_row();
        pending_.clear();
        scans_.clear();
        in_tx_ = false;
    }

    // ---- telescope rows
    void put_class_bins(const std::vector<ClassBinRow>& rows) override {
        for (const auto& r : rows)
            row("class_bin").i64(r.width).i64(r.bin_start).str(packet_class_name(r.cls)).i64(int64_t(r.packets))
                .i64(int64_t(r.bytes)).i64(int64_t(r.sources)).i64(int64_t(r.destinations));
        done(!rows.empty());
    }
    void put_port_bins(const std::vector<PortBinRow>& rows) override {
        for (const auto& r : rows)
            row("port_bin").i64(r.width).i64(r.bin_start).i64(r.protocol).i64(r.other ? -1 : int64_t(r.port))
                .i64(int64_t(r.packets)).i64(int64_t(r.sources));
        done(!rows.empty());
    }
    void put_bin_meta(const std::vector<BinMetaRow>& rows) override {
        for (const auto& r : rows)
            row("bin_meta").i64(r.width).i64(r.bin_start).i64(int64_t(r.outside)).i64(int64_t(r.not_ip))
                .i64(int64_t(r.truncated)).i64(int64_t(r.undecodable)).i64(int64_t(r.late));
        done(!rows.empty());
    }
    void put_sensor_bins(const std::vector<SensorBinRow>& rows) override {
        for (const auto& r : rows)
            row("sensor_bin").i64(r.width).i64(r.bin_start).str(r.sensor).i64(int64_t(r.packets)).i64(int64_t(r.bytes));
        done(!rows.empty());
    }
    void put_source_days(const std::vector<SourceDayRow>& rows) override {
        for (const auto& r : rows)
            row("source_day").i64(r.day).str(r.src.to_string()).i64(r.first_seen_ns).i64(r.last_seen_ns)
                .i64(int64_t(r.packets)).i64(int64_t(r.bytes)).i64(r.classes).i64(int64_t(r.destinations))
                .i64(int64_t(r.ports)).str(r.top_ports).i64(int64_t(r.fingerprints[0])).i64(int64_t(r.fingerprints[1]))
                .i64(int64_t(r.fingerprints[2])).i64(int64_t(r.fingerprints[3])).i64(int64_t(r.sensors));
        done(!rows.empty());
    }
    void put_scan_events(const std::vector<ScanEvent>& events) override {
        // Written at the flush (commit): the stored events they supersede are looked up then, in
        // one query per few thousand sources instead of one per bin.
        scans_.insert(scans_.end(), events.begin(), events.end());
        done(!events.empty());
    }
    void put_dos_attacks(const std::vector<DosAttack>& attacks) override {
        for (const auto& a : attacks) {
            std::string ports;
            for (const auto& [port, n] : a.victim_ports) {
                if (!ports.empty()) ports += ' ';
                ports += std::to_string(port) + ":" + std::to_string(n);
            }
            row("dos_attack").str(a.victim.to_string()).i64(a.protocol).i64(a.start_ns).i64(a.end_ns)
                .i64(int64_t(a.packets)).i64(int64_t(a.max_window_packets)).f64(a.rate_pps).i64(int64_t(a.attackers))
                .i64(int64_t(a.attacker_ports)).str(ports);
        }
        done(!attacks.empty());
    }
    void put_source_labels(const std::vector<SourceLabel>& labels) override {
        for (const auto& l : labels)
            row("source_label").i64(l.window_start_s).str(l.src.to_string()).str(l.detector).str(l.label).f64(l.score)
                .i64(int64_t(l.packets));
        done(!labels.empty());
    }

    // ---- checkpoint
    std::optional<Checkpoint> load_checkpoint() override {
        // A process killed mid-commit may leave its last INSERT running on the server (the server
        // finishes a request whose client died). Reading the checkpoint before that insert lands
        // and then writing over its tables could pair an old checkpoint with newer rows, or a later
        // reader with a checkpoint newer than the rows it overwrote: wait until no iotwatch insert
        // is running (seen twice, 200 ms apart). One ingest job per store is the contract.
        wait_for_inserts_to_settle();
        TsvReader t(ch_.select("SELECT completed_inputs, state FROM checkpoint FINAL WHERE id = 1 AND deleted = 0"),
                    "checkpoint");
        std::optional<Checkpoint> cp;
        if (t.next()) {
            t.expect(2);
            cp.emplace();
            std::istringstream in(t.text(0));
            for (std::string line; std::getline(in, line);)
                if (!line.empty()) cp->completed_inputs.push_back(line);
            cp->state = t.text(1);  // TabSeparated escapes the binary bytes that need it
        }
        return cp;
    }
    void save_checkpoint(const Checkpoint& cp) override {
        std::string inputs;
        for (const auto& i : cp.completed_inputs) inputs += i + "\n";
        if (cp.state_continued.empty())
            row("checkpoint").i64(1).str(inputs).str(cp.state);
        else  // one String value: the pieces joined (a copy)
            row("checkpoint").i64(1).str(inputs).str(cp.joined_state());
        done(true);
    }
    void clear_checkpoint() override {
        tombstone("checkpoint").i64(1).str("").str("");
        done(true);
    }

    // ---- telescope reads
    TelescopeTotals totals(const TimeRange& range) override {
        TelescopeTotals t;
        {
            TsvReader r(ch_.select("SELECT class, sum(packets), sum(bytes) FROM class_bin FINAL WHERE deleted = 0 AND "
                                   "width = 86400 AND " + range_sql("bin_start", range.from, range.to) +
                                   " AND class != 'all' GROUP BY class"),
                        "class_bin");
            while (r.next()) {
                int c = packet_class_from_name(r.text(0));
                if (c < 0 || c >= kClassCount) continue;
                t.class_packets[c] = uint64_t(r.i64(1));
                t.class_bytes[c] = uint64_t(r.i64(2));
                t.packets += t.class_packets[c];
                t.bytes += t.class_bytes[c];
            }
        }
        {
            TsvReader r(ch_.select("SELECT sum(outside), sum(not_ip), sum(truncated), sum(undecodable), sum(late), "
                                   "min(bin_start), max(bin_start), count() FROM bin_meta FINAL WHERE deleted = 0 AND "
                                   "width = 86400 AND " + range_sql("bin_start", range.from, range.to)),
                        "bin_meta");
            if (r.next() && r.i64(7) > 0) {
                t.outside = uint64_t(r.i64(0));
                t.not_ip = uint64_t(r.i64(1));
                t.truncated = uint64_t(r.i64(2));
                t.undecodable = uint64_t(r.i64(3));
                t.late = uint64_t(r.i64(4));
                t.first_bin = r.i64(5);
                t.last_bin = r.i64(6);
            }
        }
        t.sources = uint64_t(scalar("SELECT uniqExact(src) FROM source_day FINAL WHERE deleted = 0 AND " +
                                    range_sql("day", range.from, range.to)));
        t.destinations = uint64_t(scalar("SELECT max(destinations) FROM class_bin FINAL WHERE deleted = 0 AND width = 86400 "
                                         "AND class = 'all' AND " + range_sql("bin_start", range.from, range.to)));
        return t;
    }
    std::vector<ClassBinRow> class_series(int32_t width, const TimeRange& range) override {
        std::vector<ClassBinRow> out;
        TsvReader r(ch_.select("SELECT bin_start, class, packets, bytes, sources, destinations FROM class_bin FINAL WHERE "
                               "deleted = 0 AND width = " + std::to_string(width) + " AND " +
                               range_sql("bin_start", range.from, range.to) + " ORDER BY bin_start"),
                    "class_bin");
        while (r.next()) {
            int c = packet_class_from_name(r.text(1));
            if (c < 0) continue;
            out.push_back({r.i64(0), width, uint8_t(c), uint64_t(r.i64(2)), uint64_t(r.i64(3)), uint64_t(r.i64(4)),
                           uint64_t(r.i64(5))});
        }
        std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) {
            return a.bin_start != b.bin_start ? a.bin_start < b.bin_start : a.cls < b.cls;
        });
        return out;
    }
    std::vector<PortRank> top_ports(uint8_t protocol, size_t n, const TimeRange& range) override {
        std::vector<PortRank> out;
        TsvReader r(ch_.select("SELECT port, sum(sources) AS s, sum(packets) AS p FROM port_bin FINAL WHERE deleted = 0 AND "
                               "width = 86400 AND protocol = " + std::to_string(protocol) + " AND port >= 0 AND " +
                               range_sql("bin_start", range.from, range.to) +
                               " GROUP BY port ORDER BY s DESC, p DESC, port ASC LIMIT " + std::to_string(n)),
                    "port_bin");
        while (r.next()) out.push_back({protocol, uint16_t(r.i64(0)), uint64_t(r.i64(1)), uint64_t(r.i64(2))});
        return out;
    }
    std::vector<PortBinRow> port_series(int32_t width, uint8_t protocol, uint16_t port, const TimeRange& range) override {
        std::vector<PortBinRow> out;
        TsvReader r(ch_.select("SELECT bin_start, packets, sources FROM port_bin FINAL WHERE deleted = 0 AND width = " +
                               std::to_string(width) + " AND protocol = " + std::to_string(protocol) + " AND port = " +
                               std::to_string(port) + " AND " + range_sql("bin_start", range.from, range.to) +
                               " ORDER BY bin_start"),
                    "port_bin");
        while (r.next()) {
            PortBinRow row;
            row.bin_start = r.i64(0);
            row.width = width;
            row.protocol = protocol;
            row.port = port;
            row.packets = uint64_t(r.i64(1));
            row.sources = uint64_t(r.i64(2));
            out.push_back(row);
        }
        return out;
    }
    std::vector<SourceRank> top_sources(size_t n, const TimeRange& range) override {
        std::vector<SourceRank> out;
        const std::string where = "deleted = 0 AND " + range_sql("day", range.from, range.to);
        TsvReader r(ch_.select("SELECT src, sum(packets) AS p, sum(bytes), max(destinations), max(ports), "
                               "min(first_seen_ns), max(last_seen_ns), sum(fp_mirai), sum(fp_zmap), sum(fp_masscan), "
                               "sum(fp_large_scanner) FROM source_day FINAL WHERE " + where +
                               " GROUP BY src ORDER BY p DESC, src ASC LIMIT " + std::to_string(n)),
                    "source_day");
        while (r.next()) {
            auto a = IpAddress::parse(r.text(0));
            if (!a) continue;
            SourceRank s;
            s.src = *a;
            s.packets = uint64_t(r.i64(1));
            s.bytes = uint64_t(r.i64(2));
            s.destinations = uint64_t(r.i64(3));
            s.ports = uint64_t(r.i64(4));
            s.first_seen_ns = r.i64(5);
            s.last_seen_ns = r.i64(6);
            for (int f = 0; f < 4; ++f) s.fingerprints[f] = uint64_t(r.i64(7 + f));
            out.push_back(s);
        }
        if (out.empty()) return out;
        // Classes (OR over days) and the busiest day's top ports (first such day, as SQLite's scan
        // in key order gives: by day).
        std::string in;
        for (const auto& s : out) in += (in.empty() ? "" : ",") + quote(s.src.to_string());
        TsvReader d(ch_.select("SELECT src, classes, top_ports, packets FROM source_day FINAL WHERE " + where +
                               " AND src IN (" + in + ") ORDER BY src, day"),
                    "source_day");
        std::map<std::string, std::pair<int64_t, size_t>> best;  // src -> (packets, index)
        std::map<std::string, size_t> index;
        for (size_t i = 0; i < out.size(); ++i) index[out[i].src.to_string()] = i;
        while (d.next()) {
            auto it = index.find(d.text(0));
            if (it == index.end()) continue;
            SourceRank& s = out[it->second];
            s.classes |= uint16_t(d.i64(1));
            auto& b = best.try_emplace(d.text(0), -1, 0).first->second;
            if (d.i64(3) > b.first) {
                b.first = d.i64(3);
                s.top_ports = d.text(2);
            }
        }
        return out;
    }
    std::vector<SensorBinRow> sensor_totals(const TimeRange& range) override {
        std::vector<SensorBinRow> out;
        TsvReader r(ch_.select("SELECT sensor, sum(packets), sum(bytes) FROM sensor_bin FINAL WHERE deleted = 0 AND "
                               "width = 86400 AND " + range_sql("bin_start", range.from, range.to) +
                               " GROUP BY sensor ORDER BY sensor"),
                    "sensor_bin");
        while (r.next()) {
            SensorBinRow s;
            s.width = 86400;
            s.sensor = r.text(0);
            s.packets = uint64_t(r.i64(1));
            s.bytes = uint64_t(r.i64(2));
            out.push_back(s);
        }
        return out;
    }
    std::vector<SourceDayRow> mirai_sources(const TimeRange& range) override {
        return read_rows(std::string("SELECT ") + row_decoders::kSourceDayColumns + " FROM source_day FINAL WHERE deleted = 0 AND " +
                             range_sql("day", range.from, range.to) + " AND fp_mirai > 0 ORDER BY src, day",
                         "source_day", row_decoders::source_day_from<TsvReader>);
    }
    std::vector<ScanEvent> scan_events(const TimeRange& range, size_t n) override {
        return read_rows(std::string("SELECT ") + row_decoders::kScanEventColumns + " FROM scan_event FINAL WHERE deleted = 0 AND " +
                             range_sql("start_ns", ns_bound(range.from), ns_bound(range.to)) +
                             " ORDER BY packets DESC, src, port, start_ns LIMIT " + std::to_string(n),
                         "scan_event", row_decoders::scan_event_from<TsvReader>);
    }
    std::vector<DosAttack> dos_attacks(const TimeRange& range, size_t n) override {
        return read_rows(std::string("SELECT ") + row_decoders::kDosAttackColumns + " FROM dos_attack FINAL WHERE deleted = 0 AND " +
                             range_sql("start_ns", ns_bound(range.from), ns_bound(range.to)) +
                             " ORDER BY packets DESC, victim, start_ns LIMIT " + std::to_string(n),
                         "dos_attack", row_decoders::dos_attack_from<TsvReader>);
    }
    std::vector<SourceLabel> source_labels(const TimeRange& range) override {
        std::vector<SourceLabel> out;
        TsvReader r(ch_.select("SELECT window_start, src, detector, label, score, packets FROM source_label FINAL WHERE "
                               "deleted = 0 AND " + range_sql("window_start", range.from, range.to) +
                               " ORDER BY src, window_start, detector"),
                    "source_label");
        while (r.next()) {
            auto a = IpAddress::parse(r.text(1));
            if (!a) continue;
            out.push_back({r.i64(0), *a, r.text(2), r.text(3), r.f64(4), uint64_t(r.i64(5))});
        }
        return out;
    }
    std::vector<SourceDayRow> source_days(const TimeRange& range) override {
        return read_rows(std::string("SELECT ") + row_decoders::kSourceDayColumns + " FROM source_day FINAL WHERE deleted = 0 AND " +
                             range_sql("day", range.from, range.to) + " ORDER BY day, src",
                         "source_day", row_decoders::source_day_from<TsvReader>);
    }
    void put_sensor_names(const std::vector<std::string>& names) override {
        flush_pending();
        const int64_t stored = scalar("SELECT count() FROM sensor FINAL WHERE deleted = 0");
        for (size_t i = 0; i < names.size(); ++i) row("sensor").i64(int64_t(i)).str(names[i]);
        for (int64_t i = int64_t(names.size()); i < stored; ++i) tombstone("sensor").i64(i).str("");
        done(true);
    }
    std::vector<std::string> sensor_names() override {
        std::vector<std::string> out;
        TsvReader r(ch_.select("SELECT name FROM sensor FINAL WHERE deleted = 0 ORDER BY idx"), "sensor");
        while (r.next()) out.push_back(r.text(0));
        return out;
    }

    // ---- alerts and evidence
    void replace_alerts(int64_t day, const std::vector<AlertRow>& rows) override {
        flush_pending();
        // Tombstones for the day's stored rows whose key is not rewritten (a day's rows are few).
        std::set<std::tuple<std::string, std::string, std::string>> keep;
        for (const auto& r : rows) keep.insert({r.org, r.address.to_string(), r.kind});
        TsvReader t(ch_.select("SELECT org, address, kind FROM alert FINAL WHERE deleted = 0 AND day = " + std::to_string(day)),
                    "alert");
        while (t.next())
            if (!keep.count({t.text(0), t.text(1), t.text(2)}))
                tombstone("alert").i64(day).str(t.text(0)).str(t.text(1)).str(t.text(2)).str("").str("").i64(0).i64(0)
                    .i64(0).i64(0).str("").i64(0).f64(0).str("").str("").i64(0).str("").str("").str("");
        for (const auto& r : rows)
            row("alert").i64(r.day).str(r.org).str(r.address.to_string()).str(r.kind).str(r.family).str(r.confidence)
                .i64(r.first_seen_ns).i64(r.last_seen_ns).i64(r.protocol).i64(r.port).str(r.ports).i64(int64_t(r.packets))
                .f64(r.mirai_fraction).str(r.source).str(r.sensors).i64(int64_t(r.asn)).str(r.country).str(r.region)
                .str(r.city);
        done(true);
    }
    std::vector<AlertRow> alerts(const TimeRange& range) override {
        return read_rows(std::string("SELECT ") + row_decoders::kAlertColumns + " FROM alert FINAL WHERE deleted = 0 AND " +
                             range_sql("day", range.from, range.to) + " ORDER BY day, org, address, kind",
                         "alert", row_decoders::alert_from<TsvReader>);
    }
    size_t put_external_evidence(const std::vector<ExternalEvidence>& rows) override {
        if (rows.empty()) return 0;
        flush_pending();
        std::set<std::string> addrs;
        for (const auto& r : rows) addrs.insert(r.address.to_string());
        std::string in;
        for (const auto& a : addrs) in += (in.empty() ? "" : ",") + quote(a);
        std::set<std::tuple<std::string, std::string, int64_t, std::string>> have;
        TsvReader t(ch_.select("SELECT feed, address, ts_ns, family FROM external_evidence FINAL WHERE deleted = 0 AND "
                               "address IN (" + in + ")"),
                    "external_evidence");
        while (t.next()) have.insert({t.text(0), t.text(1), t.i64(2), t.text(3)});
        size_t added = 0;
        for (const auto& r : rows) {
            if (!have.insert({r.feed, r.address.to_string(), r.ts_ns, r.family}).second) continue;  // INSERT OR IGNORE
            row("external_evidence").str(r.feed).str(r.address.to_string()).i64(r.ts_ns).str(r.family).str(r.detail);
            ++added;
        }
        done(added > 0);
        return added;
    }
    std::vector<ExternalEvidence> external_evidence(const TimeRange& range) override {
        std::vector<ExternalEvidence> out;
        TsvReader r(ch_.select("SELECT feed, address, ts_ns, family, detail FROM external_evidence FINAL WHERE deleted = 0 "
                               "AND " + range_sql("ts_ns", ns_bound(range.from), ns_bound(range.to)) +
                               " ORDER BY address, ts_ns, feed, family"),
                    "external_evidence");
        while (r.next()) {
            auto a = IpAddress::parse(r.text(1));
            if (!a) continue;
            out.push_back({r.text(0), *a, r.i64(2), r.text(3), r.text(4)});
        }
        return out;
    }
    void log_access(const AccessLogEntry& e) override {
        append("access_log").i64(e.ts_ns).str(e.who).str(e.action).str(e.object).u64(next_ver());
        done(true);
    }
    std::vector<AccessLogEntry> access_log(const TimeRange& range) override {
        std::vector<AccessLogEntry> out;
        TsvReader r(ch_.select("SELECT ts_ns, who, action, object FROM access_log WHERE " +
                               range_sql("ts_ns", ns_bound(range.from), ns_bound(range.to)) + " ORDER BY ts_ns, seq"),
                    "access_log");
        while (r.next()) out.push_back({r.i64(0), r.text(1), r.text(2), r.text(3)});
        return out;
    }

    // ---- sharing
    bool put_share_object(const ShareObjectRow& r) override {
        flush_pending();
        TsvReader t(ch_.select("SELECT collection, id, type, dedup_key, added_ns, tlp, publisher, recipients, reports, json "
                               "FROM share_object FINAL WHERE deleted = 0 AND collection = " + quote(r.collection) +
                               " AND dedup_key = " + quote(r.dedup_key) + " ORDER BY id LIMIT 1"),
                    "share_object");
        if (t.next() && t.text(1) != r.id) {
            row("share_object").str(t.text(0)).str(t.text(1)).str(t.text(2)).str(t.text(3)).i64(t.i64(4)).str(t.text(5))
                .str(t.text(6)).str(t.text(7)).i64(t.i64(8) + 1).str(t.text(9));
            done(true);
            return false;
        }
        row("share_object").str(r.collection).str(r.id).str(r.type).str(r.dedup_key).i64(r.added_ns).str(r.tlp)
            .str(r.publisher).str(r.recipients).i64(int64_t(r.reports)).str(r.json);
        done(true);
        return true;
    }
    std::vector<ShareObjectRow> share_objects(const std::string& collection, int64_t added_after_ns) override {
        std::vector<ShareObjectRow> out;
        TsvReader t(ch_.select("SELECT collection, id, type, dedup_key, added_ns, tlp, publisher, recipients, reports, json "
                               "FROM share_object FINAL WHERE deleted = 0 AND (" + quote(collection) +
                               " = '' OR collection = " + quote(collection) + ") AND added_ns > " +
                               std::to_string(added_after_ns) + " ORDER BY added_ns, id"),
                    "share_object");
        while (t.next())
            out.push_back({t.text(0), t.text(1), t.text(2), t.text(3), t.i64(4), t.text(5), t.text(6), t.text(7),
                           uint64_t(t.i64(8)), t.text(9)});
        return out;
    }
    void put_share_seal(const ShareSealRow& r) override {
        append("share_seal").str(r.object_id).str(r.submitter).i64(r.submitted_ns).str(r.status_id).u64(next_ver());
        done(true);
    }
    std::vector<ShareSealRow> share_seals() override {
        std::vector<ShareSealRow> out;
        TsvReader t(ch_.select("SELECT object_id, submitter, submitted_ns, status_id FROM share_seal ORDER BY submitted_ns, seq"),
                    "share_seal");
        while (t.next()) out.push_back({t.text(0), t.text(1), t.i64(2), t.text(3)});
        return out;
    }
    size_t put_malicious_sites(const std::vector<MaliciousSiteRow>& rows) override {
        if (rows.empty()) return 0;
        flush_pending();
        std::map<std::tuple<std::string, std::string, std::string>, MaliciousSiteRow> have;
        for (const auto& s : malicious_sites()) have[{s.domain, s.url, s.source}] = s;
        size_t added = 0;
        for (const auto& r : rows) {
            auto [it, fresh] = have.try_emplace({r.domain, r.url, r.source}, r);
            MaliciousSiteRow& s = it->second;
            if (fresh) {
                ++added;
            } else {
                s.first_seen_ns = std::min(s.first_seen_ns, r.first_seen_ns);
                s.last_seen_ns = std::max(s.last_seen_ns, r.last_seen_ns);
                s.category = r.category;
            }
            row("malicious_site").str(s.domain).str(s.url).str(s.source).str(s.category).i64(s.first_seen_ns)
                .i64(s.last_seen_ns);
        }
        done(true);
        return added;
    }
    std::vector<MaliciousSiteRow> malicious_sites() override {
        std::vector<MaliciousSiteRow> out;
        TsvReader t(ch_.select("SELECT domain, url, category, source, first_seen_ns, last_seen_ns FROM malicious_site FINAL "
                               "WHERE deleted = 0 ORDER BY domain, url, source"),
                    "malicious_site");
        while (t.next()) out.push_back({t.text(0), t.text(1), t.text(2), t.text(3), t.i64(4), t.i64(5)});
        return out;
    }

    // ---- retention: whole day partitions (tombstones where there is no time partition)
    std::vector<std::pair<std::string, uint64_t>> apply_retention(const RetentionPolicy& p, int64_t now_s) override {
        flush_pending();
        struct Rule {
            const char* table;
            const char* column;
            bool ns;
            int64_t days;
        };
        const Rule rules[] = {
            {"class_bin", "bin_start", false, p.telescope_bins_days},
            {"port_bin", "bin_start", false, p.telescope_bins_days},
            {"bin_meta", "bin_start", false, p.telescope_bins_days},
            {"sensor_bin", "bin_start", false, p.telescope_bins_days},
            {"source_day", "day", false, p.source_days_days},
            {"scan_event", "start_ns", true, p.events_days},
            {"dos_attack", "start_ns", true, p.events_days},
            {"source_label", "window_start", false, p.events_days},
            {"alert", "day", false, p.alerts_days},
            {"external_evidence", "ts_ns", true, p.external_days},
            {"access_log", "ts_ns", true, p.access_log_days},
            {"malicious_site", "last_seen_ns", true, p.sites_days},
            {"flow", "start_ns", true, p.flows_days},
        };
        std::vector<std::pair<std::string, uint64_t>> deleted;
        for (const auto& r : rules) {
            if (r.days <= 0) continue;
            const int64_t cutoff_s = (now_s / 86400 - r.days + 1) * 86400;
            const std::string cond = std::string(r.column) + " < " + std::to_string(r.ns ? ns_bound(cutoff_s) : cutoff_s);
            const TableSpec& spec = table_spec(r.table);
            const std::string live = spec.replacing ? " FINAL WHERE deleted = 0 AND " : " WHERE ";
            // On a cluster: this server's shard only (run retention against every server).
            const std::string local = std::string(r.table) + local_;
            const uint64_t n = uint64_t(scalar("SELECT count() FROM " + local + live + cond));
            if (*spec.time_column) {
                // Partition ids are the UTC day (YYYYMMDD) of the column: drop every one before the cutoff day.
                const int64_t cutoff_day = scalar("SELECT toYYYYMMDD(toDateTime(" + std::to_string(cutoff_s) + "))");
                TsvReader parts(ch_.select("SELECT DISTINCT partition FROM system.parts WHERE database = " +
                                           quote(ch_.url().database) + " AND table = " + quote(local) + " AND active"),
                                "system.parts");
                while (parts.next())
                    if (parts.i64(0) < cutoff_day)
                        ch_.execute("ALTER TABLE " + local + " DROP PARTITION " + parts.text(0));
            } else {
                for (const auto& s : malicious_sites())
                    if (s.last_seen_ns < ns_bound(cutoff_s))
                        tombstone(r.table).str(s.domain).str(s.url).str(s.source).str("").i64(0).i64(0);
                flush_pending();
                // Collapse now so the rows are gone from disk, not only from reads.
                if (n > 0) ch_.execute("OPTIMIZE TABLE " + local + " FINAL");
            }
            deleted.push_back({r.table, n});
        }
        return deleted;
    }

    // ---- remote sensors
    void put_sensor_health(const std::vector<SensorHealthRow>& rows) override {
        for (const auto& r : rows)
            row("sensor_health").str(r.sensor).str(r.remote).i64(r.last_contact_ns).i64(r.updated_ns)
                .i64(r.watermark_ns).i64(int64_t(r.batches)).i64(int64_t(r.packets)).i64(int64_t(r.duplicates))
                .i64(int64_t(r.backlog_batches)).i64(int64_t(r.captured)).i64(int64_t(r.darknet))
                .i64(int64_t(r.kernel_drops)).i64(int64_t(r.interface_drops)).i64(int64_t(r.spool_batches))
                .i64(int64_t(r.spool_bytes)).i64(int64_t(r.final));
        done(true);
    }
    std::vector<SensorHealthRow> sensor_health() override {
        TsvReader t(ch_.select("SELECT sensor, remote, last_contact_ns, updated_ns, watermark_ns, batches, packets, "
                               "duplicates, backlog_batches, captured, darknet, kernel_drops, interface_drops, "
                               "spool_batches, spool_bytes, final FROM sensor_health FINAL WHERE deleted = 0 "
                               "ORDER BY sensor"),
                    "sensor_health");
        std::vector<SensorHealthRow> out;
        while (t.next())
            out.push_back(SensorHealthRow{t.text(0), t.text(1), t.i64(2), t.i64(3), t.i64(4), uint64_t(t.i64(5)),
                                          uint64_t(t.i64(6)), uint64_t(t.i64(7)), uint64_t(t.i64(8)),
                                          uint64_t(t.i64(9)), uint64_t(t.i64(10)), uint64_t(t.i64(11)),
                                          uint64_t(t.i64(12)), uint64_t(t.i64(13)), uint64_t(t.i64(14)),
                                          t.i64(15) != 0});
        return out;
    }

    // ---- survey
    void put_survey_campaign(const SurveyCampaign& c) override {
        row("survey_campaign").str(c.id).i64(c.created_ns).str(c.source_address).str(c.contact).i64(int64_t(c.seed))
            .str(c.scope).str(c.ports).str(c.credentials).i64(int64_t(c.total)).i64(int64_t(c.position))
            .i64(int64_t(c.emitted)).i64(int64_t(c.finished)).i64(int64_t(c.loopback_test));
        done(true);
    }
    std::optional<SurveyCampaign> survey_campaign(const std::string& id) override {
        TsvReader t(ch_.select("SELECT id, created_ns, source_address, contact, seed, scope, ports, credentials, total, "
                               "position, emitted, finished, loopback_test FROM survey_campaign FINAL WHERE deleted = 0 "
                               "AND id = " + quote(id)),
                    "survey_campaign");
        if (!t.next()) return std::nullopt;
        return campaign_row(t);
    }
    static SurveyCampaign campaign_row(TsvReader& t) {
        return SurveyCampaign{t.text(0), t.i64(1), t.text(2), t.text(3), uint64_t(t.i64(4)), t.text(5), t.text(6),
                              t.text(7), uint64_t(t.i64(8)), uint64_t(t.i64(9)), uint64_t(t.i64(10)), t.i64(11) != 0,
                              t.i64(12) != 0};
    }
    std::vector<SurveyCampaign> survey_campaigns() override {
        TsvReader t(ch_.select("SELECT id, created_ns, source_address, contact, seed, scope, ports, credentials, total, "
                               "position, emitted, finished, loopback_test FROM survey_campaign FINAL WHERE deleted = 0 "
                               "ORDER BY created_ns, id"),
                    "survey_campaign");
        std::vector<SurveyCampaign> out;
        while (t.next()) out.push_back(campaign_row(t));
        return out;
    }
    void put_survey_results(const std::vector<SurveyResult>& rows) override {
        for (const auto& r : rows)
            row("survey_result").str(r.campaign).str(r.address.to_string()).i64(r.port).str(r.protocol)
                .i64(int64_t(r.index)).str(outcome_name(r.outcome)).str(r.credential_id).i64(int64_t(r.attempts))
                .i64(r.started_ns).i64(r.ended_ns).str(r.source_address).str(r.detail);
        done(!rows.empty());
    }
    std::vector<SurveyResult> survey_results(const std::string& campaign) override {
        return survey_rows("campaign = " + quote(campaign) + " ORDER BY idx");
    }
    std::vector<SurveyResult> survey_results_between(const TimeRange& range) override {
        return survey_rows(range_sql("started_ns", ns_bound(range.from), ns_bound(range.to)) +
                           " ORDER BY address, port, started_ns");
    }
    std::vector<SurveyResult> survey_findings(const TimeRange& range) override {
        return survey_rows(range_sql("started_ns", ns_bound(range.from), ns_bound(range.to)) +
                           " AND outcome IN ('login-ok', 'no-auth') ORDER BY address, port, started_ns");
    }

    // ---- flows
    void put_flows(const std::vector<FlowRecord>& flows) override {
        for (const auto& f : flows)
            append("flow").str(f.exporter.to_string()).i64(int64_t(f.observation_domain)).i64(f.version)
                .str(f.src.to_string()).str(f.dst.to_string()).i64(f.sport).i64(f.dport).i64(f.protocol).i64(f.tcp_flags)
                .i64(int64_t(f.packets)).i64(int64_t(f.octets)).i64(f.start_ns).i64(f.end_ns)
                .i64(int64_t(f.sampling_interval)).u64(next_ver());
        done(!flows.empty());
    }
    void put_flow_exporters(int64_t run_start_ns, const std::vector<ExporterStats>& stats) override {
        for (const auto& e : stats)
            row("flow_exporter").i64(run_start_ns).str(e.exporter.to_string()).i64(int64_t(e.observation_domain))
                .i64(e.version).i64(int64_t(e.packets)).i64(int64_t(e.records)).i64(int64_t(e.templates))
                .i64(int64_t(e.options_templates)).i64(int64_t(e.options_records)).i64(int64_t(e.sequence_gaps))
                .i64(int64_t(e.missing)).i64(int64_t(e.reordered)).i64(int64_t(e.held_sets)).i64(int64_t(e.dropped_sets))
                .i64(int64_t(e.malformed)).i64(int64_t(e.sampling_interval)).i64(e.first_seen_ns).i64(e.last_seen_ns);
        done(!stats.empty());
    }
    std::vector<FlowRecord> flows(const TimeRange& range) override {
        return read_rows(std::string("SELECT ") + row_decoders::kFlowColumns + " FROM flow WHERE " +
                             range_sql("start_ns", ns_bound(range.from), ns_bound(range.to)) + " ORDER BY start_ns, seq",
                         "flow", row_decoders::flow_from<TsvReader>);
    }

private:
    /// Buffered rows per table. Which version of a key wins is decided by its version number,
    /// not by the order of inserts, so each table's rows go in one insert; the checkpoint last.
    std::map<std::string, RowBinaryWriter> pending_;
    std::vector<ScanEvent> scans_;  // scan events of the open batch (written by write_scans)

    uint64_t next_ver() { return ++ver_; }
    RowBinaryWriter& buffer(const std::string& table) { return pending_[table]; }
    /// Starts a row of `table` (written by the caller into the returned writer). A keyed row gets
    /// its version and deleted flag appended when it is finished (by the next row or done()).
    RowBinaryWriter& row(const char* table) { return begin_row(table, kLive); }
    RowBinaryWriter& tombstone(const char* table) { return begin_row(table, kDeleted); }
    /// A row of an append-only table (the caller writes its seq column last).
    RowBinaryWriter& append(const char* table) { return begin_row(table, kNone); }
    RowBinaryWriter& begin_row(const char* table, int trailer) {
        finish_row();
        cur_table_ = table;
        cur_trailer_ = trailer;
        return cur_;
    }
    void finish_row() {
        if (cur_table_.empty()) return;
        if (cur_trailer_ != kNone) cur_.u64(next_ver()).u8(cur_trailer_ == kDeleted ? 1 : 0);
        buffer(cur_table_).append(cur_);
        cur_.clear();
        cur_table_.clear();
    }
    /// Ends a put: outside a transaction the rows go out at once.
    void done(bool any) {
        finish_row();
        if (any && !in_tx_) flush();
    }
    /// Sends what is buffered (also inside a transaction: a put that must read what is stored,
    /// like the scan-event or evidence de-duplication, first writes what came before it).
    void flush_pending() { flush(); }
    void flush() {
        finish_row();
        write_scans();
        send_ops();
    }
    /// Rows (and tombstones) for the buffered scan events. An event replaces any stored one of its
    /// source, protocol and port that starts within it: the same scan stored while still open
    /// (see the SQLite backend), whose start a late probe may have moved earlier.
    void write_scans() {
        if (scans_.empty()) return;
        std::vector<ScanEvent> events;
        events.swap(scans_);
        std::set<std::string> srcs;
        for (const auto& e : events) srcs.insert(e.src.to_string());
        std::map<std::tuple<std::string, int64_t, int64_t>, std::vector<int64_t>> stored;
        std::vector<std::string> list(srcs.begin(), srcs.end());
        for (size_t i = 0; i < list.size(); i += 2000) {
            std::string in;
            for (size_t j = i; j < std::min(list.size(), i + 2000); ++j) in += (in.empty() ? "" : ",") + quote(list[j]);
            TsvReader t(ch_.select("SELECT src, protocol, port, start_ns FROM scan_event FINAL WHERE deleted = 0 AND src IN (" +
                                   in + ")"),
                        "scan_event");
            while (t.next()) stored[{t.text(0), t.i64(1), t.i64(2)}].push_back(t.i64(3));
        }
        for (const auto& e : events) {
            const std::string src = e.src.to_string();
            auto it = stored.find({src, e.protocol, e.port});
            if (it != stored.end())
                for (int64_t start : it->second)
                    if (start >= e.start_ns && start <= e.end_ns && start != e.start_ns)
                        tombstone("scan_event").str(src).i64(e.protocol).i64(e.port).i64(start).i64(0).i64(0).i64(0)
                            .f64(0).i64(0).i64(0).i64(0).i64(0);
            row("scan_event").str(src).i64(e.protocol).i64(e.port).i64(e.start_ns).i64(e.end_ns).i64(int64_t(e.packets))
                .i64(int64_t(e.destinations)).f64(e.rate_pps).i64(int64_t(e.fingerprint_packets[kFpMirai]))
                .i64(int64_t(e.fingerprint_packets[kFpZmap])).i64(int64_t(e.fingerprint_packets[kFpMasscan]))
                .i64(int64_t(e.fingerprint_packets[kFpLargeScanner]));
        }
        finish_row();
    }
    void send_ops() {
        std::map<std::string, RowBinaryWriter> tables;
        tables.swap(pending_);
        for (auto& [table, rows] : tables)
            if (table != "checkpoint") ch_.insert(table, rows.data());
        if (auto it = tables.find("checkpoint"); it != tables.end()) ch_.insert("checkpoint", it->second.data());
    }
    void wait_for_inserts_to_settle() {
        int quiet = 0;
        for (int i = 0; i < 300 && quiet < 2; ++i) {  // at most about a minute
            const int64_t running = scalar("SELECT count() FROM system.processes WHERE query LIKE 'INSERT INTO % FORMAT RowBinary%'");
            quiet = running == 0 ? quiet + 1 : 0;
            if (quiet < 2) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    int64_t scalar(const std::string& sql) {
        TsvReader r(ch_.select(sql), "query");
        return r.next() ? r.i64(0) : 0;
    }
    std::vector<SurveyResult> survey_rows(const std::string& where) {
        return read_rows(std::string("SELECT ") + row_decoders::kSurveyResultColumns +
                             " FROM survey_result FINAL WHERE deleted = 0 AND " + where,
                         "survey_result", row_decoders::survey_result_from<TsvReader>);
    }
    /// Every row of `select` that `decode` (a row_decoders function) can read; unreadable rows
    /// are skipped. `what` names the table in errors.
    template <class Decode, class Row = typename std::invoke_result_t<Decode, const TsvReader&>::value_type>
    std::vector<Row> read_rows(const std::string& select, const char* what, Decode decode) {
        TsvReader r(ch_.select(select), what);
        std::vector<Row> out;
        while (r.next())
            if (auto row = decode(r)) out.push_back(std::move(*row));
        return out;
    }
    static const TableSpec& table_spec(const std::string& name) {
        for (const auto& t : kTables)
            if (name == t.name) return t;
        throw StoreError("no table " + name);
    }
    enum { kNone, kLive, kDeleted };
    ClickHouseClient ch_;
    const std::string local_;  // "_local" on a cluster: the per-server tables under the Distributed ones
    uint64_t ver_ = 0;
    bool in_tx_ = false;
    RowBinaryWriter cur_;
    std::string cur_table_;
    int cur_trailer_ = kNone;
};

}  // namespace

std::unique_ptr<Store> open_clickhouse_store(const std::string& url) {
    return std::make_unique<ClickHouseStore>(ClickHouseUrl::parse(url));
}

}  // namespace iotwatch

// SqliteStore: the embedded default backend of Store (schema in src/store/README.md).
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <climits>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "store/flow_block.h"
#include "store/flow_block_encoder.h"
#include "store/row_decoders.h"
#include "store/sqlite_row_feed.h"
#include "store/sqlite_writeback_vfs.h"
#include "store/store.h"

namespace iotwatch {
namespace {

constexpr int kSchemaVersion = 4;  // 2: source_day fingerprint columns; 3: source_day.sensors, alerts, evidence,
                                   // access log; 4: checkpoint_part (the checkpoint state in 1 MB rows)

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS class_bin (
  width INTEGER NOT NULL, bin_start INTEGER NOT NULL, class TEXT NOT NULL,
  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, sources INTEGER NOT NULL, destinations INTEGER NOT NULL,
  PRIMARY KEY (width, bin_start, class)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS port_bin (
  width INTEGER NOT NULL, bin_start INTEGER NOT NULL, protocol INTEGER NOT NULL, port INTEGER NOT NULL,
  packets INTEGER NOT NULL, sources INTEGER NOT NULL,
  PRIMARY KEY (width, bin_start, protocol, port)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bin_meta (
  width INTEGER NOT NULL, bin_start INTEGER NOT NULL, outside INTEGER NOT NULL, not_ip INTEGER NOT NULL,
  truncated INTEGER NOT NULL, undecodable INTEGER NOT NULL, late INTEGER NOT NULL,
  PRIMARY KEY (width, bin_start)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sensor_bin (
  width INTEGER NOT NULL, bin_start INTEGER NOT NULL, sensor TEXT NOT NULL,
  packets INTEGER NOT NULL, bytes INTEGER NOT NULL,
  PRIMARY KEY (width, bin_start, sensor)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS source_day (
  day INTEGER NOT NULL, src TEXT NOT NULL, first_seen_ns INTEGER NOT NULL, last_seen_ns INTEGER NOT NULL,
  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, classes INTEGER NOT NULL, destinations INTEGER NOT NULL,
  ports INTEGER NOT NULL, top_ports TEXT NOT NULL,
  fp_mirai INTEGER NOT NULL DEFAULT 0, fp_zmap INTEGER NOT NULL DEFAULT 0, fp_masscan INTEGER NOT NULL DEFAULT 0,
  fp_large_scanner INTEGER NOT NULL DEFAULT 0, sensors INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, src)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS source_day_src ON source_day (src);
CREATE TABLE IF NOT EXISTS scan_event (
  src TEXT NOT NULL, protocol INTEGER NOT NULL, port INTEGER NOT NULL, start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL, packets INTEGER NOT NULL, destinations INTEGER NOT NULL, rate_pps REAL NOT NULL,
  mirai INTEGER NOT NULL, zmap INTEGER NOT NULL, masscan INTEGER NOT NULL, large_scanner INTEGER NOT NULL,
  PRIMARY KEY (src, protocol, port, start_ns)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS scan_event_start ON scan_event (start_ns);
CREATE TABLE IF NOT EXISTS dos_attack (
  victim TEXT NOT NULL, protocol INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  packets INTEGER NOT NULL, max_window_packets INTEGER NOT NULL, rate_pps REAL NOT NULL,
  attackers INTEGER NOT NULL, attacker_ports INTEGER NOT NULL, victim_ports TEXT NOT NULL,
  PRIMARY KEY (victim, protocol, start_ns)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dos_attack_start ON dos_attack (start_ns);
CREATE TABLE IF NOT EXISTS source_label (
  window_start INTEGER NOT NULL, src TEXT NOT NULL, detector TEXT NOT NULL, label TEXT NOT NULL,
  score REAL NOT NULL, packets INTEGER NOT NULL,
  PRIMARY KEY (window_start, src, detector)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert (
  day INTEGER NOT NULL, org TEXT NOT NULL, address TEXT NOT NULL, kind TEXT NOT NULL, family TEXT NOT NULL,
  confidence TEXT NOT NULL, first_seen_ns INTEGER NOT NULL, last_seen_ns INTEGER NOT NULL,
  protocol INTEGER NOT NULL, port INTEGER NOT NULL, ports TEXT NOT NULL, packets INTEGER NOT NULL,
  mirai_fraction REAL NOT NULL, source TEXT NOT NULL, sensors TEXT NOT NULL, asn INTEGER NOT NULL,
  country TEXT NOT NULL, region TEXT NOT NULL, city TEXT NOT NULL,
  PRIMARY KEY (day, org, address, kind)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS external_evidence (
  feed TEXT NOT NULL, address TEXT NOT NULL, ts_ns INTEGER NOT NULL, family TEXT NOT NULL, detail TEXT NOT NULL,
  PRIMARY KEY (feed, address, ts_ns, family)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS external_evidence_ts ON external_evidence (ts_ns);
CREATE TABLE IF NOT EXISTS sensor (idx INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS share_object (
  collection TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, dedup_key TEXT NOT NULL, added_ns INTEGER NOT NULL,
  tlp TEXT NOT NULL, publisher TEXT NOT NULL, recipients TEXT NOT NULL, reports INTEGER NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (collection, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS share_object_dedup ON share_object (collection, dedup_key);
CREATE TABLE IF NOT EXISTS share_seal (
  object_id TEXT NOT NULL, submitter TEXT NOT NULL, submitted_ns INTEGER NOT NULL, status_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS malicious_site (
  domain TEXT NOT NULL, url TEXT NOT NULL, source TEXT NOT NULL, category TEXT NOT NULL,
  first_seen_ns INTEGER NOT NULL, last_seen_ns INTEGER NOT NULL,
  PRIMARY KEY (domain, url, source)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS access_log (
  ts_ns INTEGER NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS access_log_ts ON access_log (ts_ns);
CREATE TABLE IF NOT EXISTS checkpoint (
  id INTEGER PRIMARY KEY CHECK (id = 1), completed_inputs TEXT NOT NULL, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint_part (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sensor_health (
  sensor TEXT PRIMARY KEY, remote TEXT NOT NULL, last_contact_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,
  watermark_ns INTEGER NOT NULL, batches INTEGER NOT NULL, packets INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  backlog_batches INTEGER NOT NULL, captured INTEGER NOT NULL, darknet INTEGER NOT NULL, kernel_drops INTEGER NOT NULL,
  interface_drops INTEGER NOT NULL, spool_batches INTEGER NOT NULL, spool_bytes INTEGER NOT NULL,
  final INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS survey_campaign (
  id TEXT PRIMARY KEY, created_ns INTEGER NOT NULL, source_address TEXT NOT NULL, contact TEXT NOT NULL,
  seed INTEGER NOT NULL, scope TEXT NOT NULL, ports TEXT NOT NULL, credentials TEXT NOT NULL,
  total INTEGER NOT NULL, position INTEGER NOT NULL, emitted INTEGER NOT NULL, finished INTEGER NOT NULL,
  loopback_test INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS survey_result (
  campaign TEXT NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL, protocol TEXT NOT NULL,
  idx INTEGER NOT NULL, outcome TEXT NOT NULL, credential_id TEXT NOT NULL, attempts INTEGER NOT NULL,
  started_ns INTEGER NOT NULL, ended_ns INTEGER NOT NULL, source_address TEXT NOT NULL, detail TEXT NOT NULL,
  PRIMARY KEY (campaign, address, port, protocol)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flow (
  exporter TEXT NOT NULL, domain INTEGER NOT NULL, version INTEGER NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL,
  sport INTEGER NOT NULL, dport INTEGER NOT NULL, protocol INTEGER NOT NULL, tcp_flags INTEGER NOT NULL,
  packets INTEGER NOT NULL, octets INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  sampling INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS flow_start ON flow (start_ns);
CREATE TABLE IF NOT EXISTS flow_block (
  first_start_ns INTEGER NOT NULL, last_start_ns INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS flow_block_start ON flow_block (first_start_ns);
CREATE TABLE IF NOT EXISTS flow_exporter (
  run_start_ns INTEGER NOT NULL, exporter TEXT NOT NULL, domain INTEGER NOT NULL, version INTEGER NOT NULL,
  packets INTEGER NOT NULL, records INTEGER NOT NULL, templates INTEGER NOT NULL, options_templates INTEGER NOT NULL,
  options_records INTEGER NOT NULL, sequence_gaps INTEGER NOT NULL, missing INTEGER NOT NULL,
  reordered INTEGER NOT NULL, held_sets INTEGER NOT NULL, dropped_sets INTEGER NOT NULL, malformed INTEGER NOT NULL,
  sampling_interval INTEGER NOT NULL, first_seen_ns INTEGER NOT NULL, last_seen_ns INTEGER NOT NULL,
  PRIMARY KEY (run_start_ns, exporter, domain, version)) WITHOUT ROWID;
)SQL";

/// A prepared statement, reset after each use.
class Stmt {
public:
    Stmt(sqlite3* db, const char* sql, const std::string& path) : path_(path) {
        if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK)
            throw StoreError(path + ": cannot prepare statement: " + sqlite3_errmsg(db));
    }
    ~Stmt() { sqlite3_finalize(st_); }
    Stmt& bind(int i, int64_t v) {
        sqlite3_bind_int64(st_, i, v);
        return *this;
    }
    Stmt& bind(int i, const std::string& v) {
        sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& bind_real(int i, double v) {
        sqlite3_bind_double(st_, i, v);
        return *this;
    }
    double f64(int col) const { return sqlite3_column_double(st_, col); }
    Stmt& bind_blob(int i, const std::string& v) {
        sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    /// Binds without a copy: `v` must stay valid until the statement has run.
    Stmt& bind_blob(int i, std::string_view v) {
        sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        return *this;
    }
    /// Steps once: true when a row is available.
    bool step() {
        int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw StoreError(path_ + ": " + sqlite3_errmsg(sqlite3_db_handle(st_)));
    }
    void run() {
        step();
        reset();
    }
    void reset() {
        sqlite3_reset(st_);
        sqlite3_clear_bindings(st_);
    }
    sqlite3_stmt* handle() const { return st_; }
    int64_t i64(int col) const { return sqlite3_column_int64(st_, col); }
    std::string text(int col) const {
        const auto* t = sqlite3_column_text(st_, col);
        return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(st_, col))) : std::string();
    }
    std::string blob(int col) const {
        const void* b = sqlite3_column_blob(st_, col);
        return b ? std::string(static_cast<const char*>(b), size_t(sqlite3_column_bytes(st_, col))) : std::string();
    }

private:
    sqlite3_stmt* st_ = nullptr;
    std::string path_;
};

/// Every row of the executed statement `s` that `decode` (a row_decoders function) can read;
/// unreadable rows are skipped. Resets `s` for its next use.
template <class Decode, class Row = typename std::invoke_result_t<Decode, const Stmt&>::value_type>
std::vector<Row> read_rows(Stmt& s, Decode decode) {
    std::vector<Row> out;
    while (s.step())
        if (auto row = decode(s)) out.push_back(std::move(*row));
    s.reset();
    return out;
}

class SqliteStore final : public Store {
public:
    explicit SqliteStore(const std::string& path) : path_(path) {
        // NOMUTEX: the connection is used by one thread at a time (the Store is not thread-safe:
        // its statement cache is not, and the server and the ingest job hand it between threads
        // under their own locks), so SQLite's own per-call connection mutex only cost time: a
        // lock and an unlock per bind, 17 pairs per source row, a tenth of the writer thread's
        // time in the 20 M-packet benchmark's final checkpoint.
        // The write-back VFS starts the disk writes of the database and its WAL as they are
        // written (SqliteWritebackVfs); null (not registered) is the default VFS.
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            SqliteWritebackVfs::name()) != SQLITE_OK) {
            std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw StoreError(path + ": cannot open database: " + why);
        }
        try {
            init();
        } catch (...) {
            // The destructor does not run for a half-built object: release the handle here.
            stmts_.clear();
            sqlite3_close(db_);
            throw;
        }
    }

    void init() {
        sqlite3_busy_timeout(db_, 10000);
        if (!feed_.attach(db_)) throw StoreError(path_ + ": cannot register the row feed: " + sqlite3_errmsg(db_));
        // 64 kB pages for a new database (no effect on an existing one): the store is written in
        // large sorted batches and read in scans, and its B-trees then split a sixteenth as often
        // and the WAL takes a sixteenth of the frames. The final checkpoint of the 20 M-packet
        // ingest benchmark (128 k source rows, 129 k port rows, the state): median 1.12 -> 0.85 s
        // (6 alternating runs; 16 kB pages: 1.07 s).
        exec("PRAGMA page_size=65536");
        exec("PRAGMA journal_mode=WAL");
        // NORMAL in WAL mode: a committed transaction survives a crash of the process (kill -9);
        // only a power loss may lose the last commits, never corrupt the file.
        exec("PRAGMA synchronous=NORMAL");
        int version = 0;
        {
            Stmt s(db_, "PRAGMA user_version", path_);
            if (s.step()) version = static_cast<int>(s.i64(0));
        }
        if (version > kSchemaVersion)
            throw StoreError(path_ + ": database schema version " + std::to_string(version) +
                             " is newer than this iotwatch understands (" + std::to_string(kSchemaVersion) + ")");
        if (version == 1) {  // migrate: fingerprint counts per source and day
            for (const char* col : {"fp_mirai", "fp_zmap", "fp_masscan", "fp_large_scanner"})
                exec(std::string("ALTER TABLE source_day ADD COLUMN ") + col + " INTEGER NOT NULL DEFAULT 0");
        }
        if (version >= 1 && version <= 2)  // migrate: sensors that saw a source (new tables come from kSchema)
            exec("ALTER TABLE source_day ADD COLUMN sensors INTEGER NOT NULL DEFAULT 0");
        exec(kSchema);
        exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    }
    ~SqliteStore() override {
        stmts_.clear();
        if (in_tx_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db_);
    }

    void begin() override {
        exec("BEGIN IMMEDIATE");
        in_tx_ = true;
    }
    void commit() override {
        exec("COMMIT");
        in_tx_ = false;
    }
    void rollback() override {
        exec("ROLLBACK");
        in_tx_ = false;
    }

    void put_class_bins(const std::vector<ClassBinRow>& rows) override {
        batch([&] {
            Stmt& s = stmt("INSERT OR REPLACE INTO class_bin VALUES (?,?,?,?,?,?,?)");
            for (const auto& r : rows)
                s.bind(1, r.width).bind(2, r.bin_start).bind(3, std::string(packet_class_name(r.cls)))
                    .bind(4, int64_t(r.packets)).bind(5, int64_t(r.bytes)).bind(6, int64_t(r.sources))
                    .bind(7, int64_t(r.destinations)).run();
        }, rows.empty());
    }
    void put_port_bins(const std::vector<PortBinRow>& rows) override {
        batch([&] {
            feed_rows("INSERT OR REPLACE INTO port_bin SELECT c0, c1, c2, c3, c4, c5 FROM iotwatch_row_feed",
                      rows.size(), [&](size_t i, int col, SqliteRowFeed::Cell& cell) {
                          const PortBinRow& r = rows[i];
                          switch (col) {
                              case 0: return cell.set(r.width);
                              case 1: return cell.set(r.bin_start);
                              case 2: return cell.set(r.protocol);
                              case 3: return cell.set(r.other ? -1 : int64_t(r.port));
                              case 4: return cell.set(int64_t(r.packets));
                              case 5: return cell.set(int64_t(r.sources));
                          }
                      });
        }, rows.empty());
    }
    void put_bin_meta(const std::vector<BinMetaRow>& rows) override {
        batch([&] {
            Stmt& s = stmt("INSERT OR REPLACE INTO bin_meta VALUES (?,?,?,?,?,?,?)");
            for (const auto& r : rows)
                s.bind(1, r.width).bind(2, r.bin_start).bind(3, int64_t(r.outside)).bind(4, int64_t(r.not_ip))
                    .bind(5, int64_t(r.truncated)).bind(6, int64_t(r.undecodable)).bind(7, int64_t(r.late)).run();
        }, rows.empty());
    }
    void put_sensor_bins(const std::vector<SensorBinRow>& rows) override {
        batch([&] {
            Stmt& s = stmt("INSERT OR REPLACE INTO sensor_bin VALUES (?,?,?,?,?)");
            for (const auto& r : rows)
                s.bind(1, r.width).bind(2, r.bin_start).bind(3, r.sensor).bind(4, int64_t(r.packets))
                    .bind(5, int64_t(r.bytes)).run();
        }, rows.empty());
    }
    void put_source_days(const std::vector<SourceDayRow>& rows) override {
        batch([&] {
            // In the order of the table's key (day, src as text) and of its src index: each insert
            // lands next to the previous one in both B-trees (address order is not text order:
            // "10.0.0.1" < "9.0.0.1"; with one INSERT per row, this order took the benchmark's
            // 128 k sources from 0.30 to 0.25 s).
            std::vector<std::pair<std::string, const SourceDayRow*>> order;
            order.reserve(rows.size());
            for (const auto& r : rows) order.emplace_back(r.src.to_string(), &r);
            std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
                return a.second->day != b.second->day ? a.second->day < b.second->day : a.first < b.first;
            });
            feed_rows("INSERT OR REPLACE INTO source_day SELECT c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11,"
                      " c12, c13, c14 FROM iotwatch_row_feed",
                      order.size(), [&](size_t i, int col, SqliteRowFeed::Cell& cell) {
                          const auto& [text, row] = order[i];
                          const SourceDayRow& r = *row;
                          switch (col) {
                              case 0: return cell.set(r.day);
                              case 1: return cell.set(std::string_view(text));
                              case 2: return cell.set(r.first_seen_ns);
                              case 3: return cell.set(r.last_seen_ns);
                              case 4: return cell.set(int64_t(r.packets));
                              case 5: return cell.set(int64_t(r.bytes));
                              case 6: return cell.set(r.classes);
                              case 7: return cell.set(int64_t(r.destinations));
                              case 8: return cell.set(int64_t(r.ports));
                              case 9: return cell.set(std::string_view(r.top_ports));
                              case 10: return cell.set(int64_t(r.fingerprints[0]));
                              case 11: return cell.set(int64_t(r.fingerprints[1]));
                              case 12: return cell.set(int64_t(r.fingerprints[2]));
                              case 13: return cell.set(int64_t(r.fingerprints[3]));
                              case 14: return cell.set(int64_t(r.sensors));
                          }
                      });
        }, rows.empty());
    }

    void put_scan_events(const std::vector<ScanEvent>& events) override {
        batch([&] {
            // An event replaces any stored one of its source, protocol and port that starts within
            // it: that is the same scan stored while still open (ScanDetector::open_events), whose
            // start a late (out-of-order) probe may since have moved earlier. Scans of one key are
            // separated by more than the idle timeout, so no other scan can start within it.
            Stmt& del = stmt("DELETE FROM scan_event WHERE src = ? AND protocol = ? AND port = ? AND start_ns BETWEEN ? AND ?");
            Stmt& s = stmt("INSERT OR REPLACE INTO scan_event VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
            for (const auto& e : events) {
                del.bind(1, e.src.to_string()).bind(2, e.protocol).bind(3, e.port).bind(4, e.start_ns).bind(5, e.end_ns).run();
                s.bind(1, e.src.to_string()).bind(2, e.protocol).bind(3, e.port).bind(4, e.start_ns).bind(5, e.end_ns)
                    .bind(6, int64_t(e.packets)).bind(7, int64_t(e.destinations)).bind_real(8, e.rate_pps)
                    .bind(9, int64_t(e.fingerprint_packets[kFpMirai])).bind(10, int64_t(e.fingerprint_packets[kFpZmap]))
                    .bind(11, int64_t(e.fingerprint_packets[kFpMasscan]))
                    .bind(12, int64_t(e.fingerprint_packets[kFpLargeScanner])).run();
            }
        }, events.empty());
    }
    void put_dos_attacks(const std::vector<DosAttack>& attacks) override {
        batch([&] {
            Stmt& s = stmt("INSERT OR REPLACE INTO dos_attack VALUES (?,?,?,?,?,?,?,?,?,?)");
            for (const auto& a : attacks) {
                std::string ports;
                for (const auto& [port, n] : a.victim_ports) {
                    if (!ports.empty()) ports += ' ';
                    ports += std::to_string(port);
                    ports += ':';
                    ports += std::to_string(n);
                }
                s.bind(1, a.victim.to_string()).bind(2, a.protocol).bind(3, a.start_ns).bind(4, a.end_ns)
                    .bind(5, int64_t(a.packets)).bind(6, int64_t(a.max_window_packets)).bind_real(7, a.rate_pps)
                    .bind(8, int64_t(a.attackers)).bind(9, int64_t(a.attacker_ports)).bind(10, ports).run();
            }
        }, attacks.empty());
    }

    std::vector<SourceDayRow> mirai_sources(const TimeRange& range) override {
        static const std::string sql = std::string("SELECT ") + row_decoders::kSourceDayColumns +
                                       " FROM source_day WHERE day >= ? AND day < ? AND fp_mirai > 0 ORDER BY src, day";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, range.from).bind(2, range.to);
        return read_rows(s, row_decoders::source_day_from<Stmt>);
    }

    std::vector<ScanEvent> scan_events(const TimeRange& range, size_t n) override {
        static const std::string sql = std::string("SELECT ") + row_decoders::kScanEventColumns +
                                       " FROM scan_event WHERE start_ns >= ? AND start_ns < ? "
                                       "ORDER BY packets DESC, src, port, start_ns LIMIT ?";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, ns_bound(range.from)).bind(2, ns_bound(range.to)).bind(3, int64_t(n));
        return read_rows(s, row_decoders::scan_event_from<Stmt>);
    }
    std::vector<DosAttack> dos_attacks(const TimeRange& range, size_t n) override {
        static const std::string sql = std::string("SELECT ") + row_decoders::kDosAttackColumns +
                                       " FROM dos_attack WHERE start_ns >= ? AND start_ns < ? "
                                       "ORDER BY packets DESC, victim, start_ns LIMIT ?";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, ns_bound(range.from)).bind(2, ns_bound(range.to)).bind(3, int64_t(n));
        return read_rows(s, row_decoders::dos_attack_from<Stmt>);
    }

    std::optional<Checkpoint> load_checkpoint() override {
        Stmt& s = stmt("SELECT completed_inputs, state FROM checkpoint WHERE id = 1");
        std::optional<Checkpoint> cp;
        if (s.step()) {
            cp.emplace();
            std::istringstream in(s.text(0));
            for (std::string line; std::getline(in, line);)
                if (!line.empty()) cp->completed_inputs.push_back(line);
            cp->state = s.blob(1);
        }
        s.reset();
        if (cp && cp->state.empty()) {  // schema 4: the state is in parts (an older one is whole)
            Stmt& p = stmt("SELECT data FROM checkpoint_part ORDER BY seq");
            while (p.step()) cp->state += p.blob(0);
            p.reset();
        }
        return cp;
    }
    void save_checkpoint(const Checkpoint& cp) override {
        std::string inputs;
        for (const auto& i : cp.completed_inputs) inputs += i + "\n";  // paths with newlines are not supported
        // The state in 1 MB rows: SQLite builds each row's record in memory, and a 44 MB record
        // (the 20 M-packet benchmark's final state) was 44 MB of fresh pages to fault in; a 1 MB
        // record buffer is reused from row to row.
        constexpr size_t kPart = size_t(1) << 20;
        batch([&] {
            stmt("DELETE FROM checkpoint_part").run();
            Stmt& part = stmt("INSERT INTO checkpoint_part VALUES (?, ?)");
            // Each piece of the state in rows of its own (the loader concatenates the rows in seq
            // order, whatever their sizes).
            int64_t seq = 0;
            cp.for_each_state_piece([&](std::string_view piece) {
                for (size_t at = 0; at < piece.size(); at += kPart)
                    part.bind(1, seq++).bind_blob(2, piece.substr(at, kPart)).run();
            });
            stmt("INSERT OR REPLACE INTO checkpoint VALUES (1, ?, x'')").bind(1, inputs).run();
        }, false);
    }
    void clear_checkpoint() override {
        batch([&] {
            stmt("DELETE FROM checkpoint").run();
            stmt("DELETE FROM checkpoint_part").run();
        }, false);
    }

    TelescopeTotals totals(const TimeRange& range) override {
        TelescopeTotals t;
        Stmt& s = stmt("SELECT class, SUM(packets), SUM(bytes) FROM class_bin WHERE width = 86400 AND bin_start >= ? "
                       "AND bin_start < ? AND class != 'all' GROUP BY class");
        s.bind(1, range.from).bind(2, range.to);
        while (s.step()) {
            int c = packet_class_from_name(s.text(0));
            if (c < 0 || c >= kClassCount) continue;
            t.class_packets[c] = uint64_t(s.i64(1));
            t.class_bytes[c] = uint64_t(s.i64(2));
            t.packets += t.class_packets[c];
            t.bytes += t.class_bytes[c];
        }
        s.reset();
        Stmt& m = stmt("SELECT COALESCE(SUM(outside),0), COALESCE(SUM(not_ip),0), COALESCE(SUM(truncated),0), "
                       "COALESCE(SUM(undecodable),0), COALESCE(SUM(late),0), MIN(bin_start), MAX(bin_start) "
                       "FROM bin_meta WHERE width = 86400 AND bin_start >= ? AND bin_start < ?");
        m.bind(1, range.from).bind(2, range.to);
        if (m.step()) {
            t.outside = uint64_t(m.i64(0));
            t.not_ip = uint64_t(m.i64(1));
            t.truncated = uint64_t(m.i64(2));
            t.undecodable = uint64_t(m.i64(3));
            t.late = uint64_t(m.i64(4));
            t.first_bin = m.i64(5);
            t.last_bin = m.i64(6);
        }
        m.reset();
        Stmt& src = stmt("SELECT COUNT(DISTINCT src) FROM source_day WHERE day >= ? AND day < ?");
        src.bind(1, range.from).bind(2, range.to);
        if (src.step()) t.sources = uint64_t(src.i64(0));
        src.reset();
        Stmt& dst = stmt("SELECT COALESCE(MAX(destinations),0) FROM class_bin WHERE width = 86400 AND class = 'all' "
                         "AND bin_start >= ? AND bin_start < ?");
        dst.bind(1, range.from).bind(2, range.to);
        if (dst.step()) t.destinations = uint64_t(dst.i64(0));
        dst.reset();
        return t;
    }

    std::vector<ClassBinRow> class_series(int32_t width, const TimeRange& range) override {
        std::vector<ClassBinRow> out;
        Stmt& s = stmt("SELECT bin_start, class, packets, bytes, sources, destinations FROM class_bin WHERE width = ? "
                       "AND bin_start >= ? AND bin_start < ? ORDER BY bin_start");
        s.bind(1, width).bind(2, range.from).bind(3, range.to);
        while (s.step()) {
            int c = packet_class_from_name(s.text(1));
            if (c < 0) continue;
            out.push_back({s.i64(0), width, uint8_t(c), uint64_t(s.i64(2)), uint64_t(s.i64(3)), uint64_t(s.i64(4)),
                           uint64_t(s.i64(5))});
        }
        s.reset();
        std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) {
            return a.bin_start != b.bin_start ? a.bin_start < b.bin_start : a.cls < b.cls;
        });
        return out;
    }

    std::vector<PortRank> top_ports(uint8_t protocol, size_t n, const TimeRange& range) override {
        // Unique sources per port are exact per day; over several days the daily counts are summed
        // (a source active on two days counts twice). Reports say so.
        std::vector<PortRank> out;
        Stmt& s = stmt("SELECT port, SUM(sources), SUM(packets) FROM port_bin WHERE width = 86400 AND protocol = ? AND port >= 0 "
                       "AND bin_start >= ? AND bin_start < ? GROUP BY port "
                       "ORDER BY SUM(sources) DESC, SUM(packets) DESC, port ASC LIMIT ?");
        s.bind(1, protocol).bind(2, range.from).bind(3, range.to).bind(4, int64_t(n));
        while (s.step()) out.push_back({protocol, uint16_t(s.i64(0)), uint64_t(s.i64(1)), uint64_t(s.i64(2))});
        s.reset();
        return out;
    }

    std::vector<PortBinRow> port_series(int32_t width, uint8_t protocol, uint16_t port, const TimeRange& range) override {
        std::vector<PortBinRow> out;
        Stmt& s = stmt("SELECT bin_start, packets, sources FROM port_bin WHERE width = ? AND protocol = ? AND port = ? "
                       "AND bin_start >= ? AND bin_start < ? ORDER BY bin_start");
        s.bind(1, width).bind(2, protocol).bind(3, port).bind(4, range.from).bind(5, range.to);
        while (s.step()) {
            PortBinRow r;
            r.bin_start = s.i64(0);
            r.width = width;
            r.protocol = protocol;
            r.port = port;
            r.packets = uint64_t(s.i64(1));
            r.sources = uint64_t(s.i64(2));
            out.push_back(r);
        }
        s.reset();
        return out;
    }

    std::vector<SourceRank> top_sources(size_t n, const TimeRange& range) override {
        std::vector<SourceRank> out;
        Stmt& s = stmt("SELECT src, SUM(packets), SUM(bytes), MAX(destinations), MAX(ports), MIN(first_seen_ns), "
                       "MAX(last_seen_ns), SUM(fp_mirai), SUM(fp_zmap), SUM(fp_masscan), SUM(fp_large_scanner) "
                       "FROM source_day WHERE day >= ? AND day < ? GROUP BY src "
                       "ORDER BY SUM(packets) DESC, src ASC LIMIT ?");
        s.bind(1, range.from).bind(2, range.to).bind(3, int64_t(n));
        while (s.step()) {
            SourceRank r;
            auto a = IpAddress::parse(s.text(0));
            if (!a) continue;
            r.src = *a;
            r.packets = uint64_t(s.i64(1));
            r.bytes = uint64_t(s.i64(2));
            r.destinations = uint64_t(s.i64(3));
            r.ports = uint64_t(s.i64(4));
            r.first_seen_ns = s.i64(5);
            r.last_seen_ns = s.i64(6);
            for (int f = 0; f < 4; ++f) r.fingerprints[f] = uint64_t(s.i64(7 + f));
            out.push_back(r);
        }
        s.reset();
        // Classes (OR over days) and the busiest day's top ports.
        Stmt& d = stmt("SELECT classes, top_ports, packets FROM source_day WHERE src = ? AND day >= ? AND day < ?");
        for (auto& r : out) {
            d.bind(1, r.src.to_string()).bind(2, range.from).bind(3, range.to);
            int64_t best = -1;
            while (d.step()) {
                r.classes |= uint16_t(d.i64(0));
                if (d.i64(2) > best) {
                    best = d.i64(2);
                    r.top_ports = d.text(1);
                }
            }
            d.reset();
        }
        return out;
    }

    std::vector<SensorBinRow> sensor_totals(const TimeRange& range) override {
        std::vector<SensorBinRow> out;
        Stmt& s = stmt("SELECT sensor, SUM(packets), SUM(bytes) FROM sensor_bin WHERE width = 86400 AND bin_start >= ? "
                       "AND bin_start < ? GROUP BY sensor ORDER BY sensor");
        s.bind(1, range.from).bind(2, range.to);
        while (s.step()) {
            SensorBinRow r;
            r.width = 86400;
            r.sensor = s.text(0);
            r.packets = uint64_t(s.i64(1));
            r.bytes = uint64_t(s.i64(2));
            out.push_back(r);
        }
        s.reset();
        return out;
    }

    void put_source_labels(const std::vector<SourceLabel>& labels) override {
        batch([&] {
            Stmt& s = stmt("INSERT OR REPLACE INTO source_label VALUES (?,?,?,?,?,?)");
            for (const auto& l : labels)
                s.bind(1, l.window_start_s).bind(2, l.src.to_string()).bind(3, l.detector).bind(4, l.label)
                    .bind_real(5, l.score).bind(6, int64_t(l.packets)).run();
        }, labels.empty());
    }
    std::vector<SourceLabel> source_labels(const TimeRange& range) override {
        std::vector<SourceLabel> out;
        Stmt& s = stmt("SELECT window_start, src, detector, label, score, packets FROM source_label "
                       "WHERE window_start >= ? AND window_start < ? ORDER BY src, window_start, detector");
        s.bind(1, range.from).bind(2, range.to);
        while (s.step()) {
            auto a = IpAddress::parse(s.text(1));
            if (!a) continue;
            out.push_back({s.i64(0), *a, s.text(2), s.text(3), s.f64(4), uint64_t(s.i64(5))});
        }
        s.reset();
        return out;
    }

    std::vector<SourceDayRow> source_days(const TimeRange& range) override {
        static const std::string sql = std::string("SELECT ") + row_decoders::kSourceDayColumns +
                                       " FROM source_day WHERE day >= ? AND day < ? ORDER BY day, src";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, range.from).bind(2, range.to);
        return read_rows(s, row_decoders::source_day_from<Stmt>);
    }

    void put_sensor_names(const std::vector<std::string>& names) override {
        batch([&] {
            stmt("DELETE FROM sensor").run();
            Stmt& s = stmt("INSERT INTO sensor VALUES (?,?)");
            for (size_t i = 0; i < names.size(); ++i) s.bind(1, int64_t(i)).bind(2, names[i]).run();
        }, false);
    }
    std::vector<std::string> sensor_names() override {
        std::vector<std::string> out;
        Stmt& s = stmt("SELECT name FROM sensor ORDER BY idx");
        while (s.step()) out.push_back(s.text(0));
        s.reset();
        return out;
    }

    void replace_alerts(int64_t day, const std::vector<AlertRow>& rows) override {
        batch([&] {
            stmt("DELETE FROM alert WHERE day = ?").bind(1, day).run();
            Stmt& s = stmt("INSERT OR REPLACE INTO alert VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
            for (const auto& r : rows)
                s.bind(1, r.day).bind(2, r.org).bind(3, r.address.to_string()).bind(4, r.kind).bind(5, r.family)
                    .bind(6, r.confidence).bind(7, r.first_seen_ns).bind(8, r.last_seen_ns).bind(9, r.protocol)
                    .bind(10, r.port).bind(11, r.ports).bind(12, int64_t(r.packets)).bind_real(13, r.mirai_fraction)
                    .bind(14, r.source).bind(15, r.sensors).bind(16, int64_t(r.asn)).bind(17, r.country)
                    .bind(18, r.region).bind(19, r.city).run();
        }, false);
    }
    std::vector<AlertRow> alerts(const TimeRange& range) override {
        static const std::string sql = std::string("SELECT ") + row_decoders::kAlertColumns +
                                       " FROM alert WHERE day >= ? AND day < ? ORDER BY day, org, address, kind";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, range.from).bind(2, range.to);
        return read_rows(s, row_decoders::alert_from<Stmt>);
    }
    size_t put_external_evidence(const std::vector<ExternalEvidence>& rows) override {
        size_t added = 0;
        batch([&] {
            Stmt& s = stmt("INSERT OR IGNORE INTO external_evidence VALUES (?,?,?,?,?)");
            for (const auto& r : rows) {
                s.bind(1, r.feed).bind(2, r.address.to_string()).bind(3, r.ts_ns).bind(4, r.family).bind(5, r.detail).run();
                added += size_t(sqlite3_changes(db_));
            }
        }, rows.empty());
        return added;
    }
    std::vector<ExternalEvidence> external_evidence(const TimeRange& range) override {
        std::vector<ExternalEvidence> out;
        Stmt& s = stmt("SELECT feed, address, ts_ns, family, detail FROM external_evidence WHERE ts_ns >= ? AND ts_ns < ? "
                       "ORDER BY address, ts_ns, feed, family");
        s.bind(1, ns_bound(range.from)).bind(2, ns_bound(range.to));
        while (s.step()) {
            auto a = IpAddress::parse(s.text(1));
            if (!a) continue;
            out.push_back({s.text(0), *a, s.i64(2), s.text(3), s.text(4)});
        }
        s.reset();
        return out;
    }
    size_t put_malicious_sites(const std::vector<MaliciousSiteRow>& rows) override {
        size_t added = 0;
        batch([&] {
            Stmt& ins = stmt("INSERT OR IGNORE INTO malicious_site VALUES (?,?,?,?,?,?)");
            Stmt& widen = stmt("UPDATE malicious_site SET first_seen_ns = MIN(first_seen_ns, ?), "
                               "last_seen_ns = MAX(last_seen_ns, ?), category = ? WHERE domain = ? AND url = ? AND source = ?");
            for (const auto& r : rows) {
                ins.bind(1, r.domain).bind(2, r.url).bind(3, r.source).bind(4, r.category).bind(5, r.first_seen_ns)
                    .bind(6, r.last_seen_ns).run();
                if (sqlite3_changes(db_) > 0) {
                    ++added;
                    continue;
                }
                widen.bind(1, r.first_seen_ns).bind(2, r.last_seen_ns).bind(3, r.category).bind(4, r.domain)
                    .bind(5, r.url).bind(6, r.source).run();
            }
        }, rows.empty());
        return added;
    }
    std::vector<MaliciousSiteRow> malicious_sites() override {
        std::vector<MaliciousSiteRow> out;
        Stmt& s = stmt("SELECT domain, url, category, source, first_seen_ns, last_seen_ns FROM malicious_site "
                       "ORDER BY domain, url, source");
        while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.i64(5)});
        s.reset();
        return out;
    }

    bool put_share_object(const ShareObjectRow& r) override {
        bool added = false;
        batch([&] {
            Stmt& find = stmt("SELECT id FROM share_object WHERE collection = ? AND dedup_key = ?");
            find.bind(1, r.collection).bind(2, r.dedup_key);
            const bool exists = find.step();
            const std::string existing = exists ? find.text(0) : std::string();
            find.reset();
            if (exists && existing != r.id) {
                stmt("UPDATE share_object SET reports = reports + 1 WHERE collection = ? AND id = ?")
                    .bind(1, r.collection).bind(2, existing).run();
                return;
            }
            stmt("INSERT OR REPLACE INTO share_object VALUES (?,?,?,?,?,?,?,?,?,?)")
                .bind(1, r.collection).bind(2, r.id).bind(3, r.type).bind(4, r.dedup_key).bind(5, r.added_ns)
                .bind(6, r.tlp).bind(7, r.publisher).bind(8, r.recipients).bind(9, int64_t(r.reports)).bind(10, r.json).run();
            added = true;
        }, false);
        return added;
    }
    std::vector<ShareObjectRow> share_objects(const std::string& collection, int64_t added_after_ns) override {
        std::vector<ShareObjectRow> out;
        Stmt& s = stmt("SELECT collection, id, type, dedup_key, added_ns, tlp, publisher, recipients, reports, json "
                       "FROM share_object WHERE (? = '' OR collection = ?) AND added_ns > ? ORDER BY added_ns, id");
        s.bind(1, collection).bind(2, collection).bind(3, added_after_ns);
        while (s.step())
            out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.text(5), s.text(6), s.text(7),
                           uint64_t(s.i64(8)), s.text(9)});
        s.reset();
        return out;
    }
    void put_share_seal(const ShareSealRow& r) override {
        batch([&] {
            stmt("INSERT INTO share_seal VALUES (?,?,?,?)").bind(1, r.object_id).bind(2, r.submitter)
                .bind(3, r.submitted_ns).bind(4, r.status_id).run();
        }, false);
    }
    std::vector<ShareSealRow> share_seals() override {
        std::vector<ShareSealRow> out;
        Stmt& s = stmt("SELECT object_id, submitter, submitted_ns, status_id FROM share_seal ORDER BY submitted_ns, rowid");
        while (s.step()) out.push_back({s.text(0), s.text(1), s.i64(2), s.text(3)});
        s.reset();
        return out;
    }

    void log_access(const AccessLogEntry& e) override {
        batch([&] {
            stmt("INSERT INTO access_log VALUES (?,?,?,?)").bind(1, e.ts_ns).bind(2, e.who).bind(3, e.action)
                .bind(4, e.object).run();
        }, false);
    }
    std::vector<AccessLogEntry> access_log(const TimeRange& range) override {
        std::vector<AccessLogEntry> out;
        Stmt& s = stmt("SELECT ts_ns, who, action, object FROM access_log WHERE ts_ns >= ? AND ts_ns < ? "
                       "ORDER BY ts_ns, rowid");
        s.bind(1, ns_bound(range.from)).bind(2, ns_bound(range.to));
        while (s.step()) out.push_back({s.i64(0), s.text(1), s.text(2), s.text(3)});
        s.reset();
        return out;
    }

    std::vector<std::pair<std::string, uint64_t>> apply_retention(const RetentionPolicy& p, int64_t now_s) override {
        std::vector<std::pair<std::string, uint64_t>> deleted;
        // Each rule: table, its time column, the column's unit (1 = seconds, 1e9 = ns), days kept.
        struct Rule {
            const char* table;
            const char* column;
            int64_t unit;
            int64_t days;
        };
        const Rule rules[] = {
            {"class_bin", "bin_start", 1, p.telescope_bins_days},
            {"port_bin", "bin_start", 1, p.telescope_bins_days},
            {"bin_meta", "bin_start", 1, p.telescope_bins_days},
            {"sensor_bin", "bin_start", 1, p.telescope_bins_days},
            {"source_day", "day", 1, p.source_days_days},
            {"scan_event", "start_ns", 1000000000, p.events_days},
            {"dos_attack", "start_ns", 1000000000, p.events_days},
            {"source_label", "window_start", 1, p.events_days},
            {"alert", "day", 1, p.alerts_days},
            {"external_evidence", "ts_ns", 1000000000, p.external_days},
            {"access_log", "ts_ns", 1000000000, p.access_log_days},
            {"malicious_site", "last_seen_ns", 1000000000, p.sites_days},
            {"flow", "start_ns", 1000000000, p.flows_days},
        };
        batch([&] {
            for (const auto& r : rules) {
                if (r.days <= 0) continue;
                // Keep whole UTC days: everything before the start of the oldest kept day goes.
                const int64_t cutoff_s = (now_s / 86400 - r.days + 1) * 86400;
                const std::string bound = std::to_string(r.unit == 1 ? cutoff_s : ns_bound(cutoff_s));
                exec(std::string("DELETE FROM ") + r.table + " WHERE " + r.column + " < " + bound);
                uint64_t n = uint64_t(sqlite3_changes(db_));
                if (std::string(r.table) == "flow") {
                    // Blocks never cross a UTC day and the cutoff is a day boundary: whole blocks go.
                    Stmt& c = stmt("SELECT coalesce(sum(count), 0) FROM flow_block WHERE first_start_ns < ?");
                    c.bind(1, ns_bound(cutoff_s));
                    if (c.step()) n += uint64_t(c.i64(0));
                    c.reset();
                    exec("DELETE FROM flow_block WHERE first_start_ns < " + bound);
                }
                deleted.push_back({r.table, n});
            }
        }, false);
        return deleted;
    }

    void put_sensor_health(const std::vector<SensorHealthRow>& rows) override {
        batch([&] {
            Stmt& s = stmt("INSERT OR REPLACE INTO sensor_health VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
            for (const auto& r : rows)
                s.bind(1, r.sensor).bind(2, r.remote).bind(3, r.last_contact_ns).bind(4, r.updated_ns)
                    .bind(5, r.watermark_ns).bind(6, int64_t(r.batches)).bind(7, int64_t(r.packets))
                    .bind(8, int64_t(r.duplicates)).bind(9, int64_t(r.backlog_batches)).bind(10, int64_t(r.captured))
                    .bind(11, int64_t(r.darknet)).bind(12, int64_t(r.kernel_drops)).bind(13, int64_t(r.interface_drops))
                    .bind(14, int64_t(r.spool_batches)).bind(15, int64_t(r.spool_bytes)).bind(16, int64_t(r.final))
                    .run();
        }, false);
    }
    std::vector<SensorHealthRow> sensor_health() override {
        Stmt& s = stmt("SELECT sensor, remote, last_contact_ns, updated_ns, watermark_ns, batches, packets, duplicates, "
                       "backlog_batches, captured, darknet, kernel_drops, interface_drops, spool_batches, spool_bytes, "
                       "final FROM sensor_health ORDER BY sensor");
        std::vector<SensorHealthRow> out;
        while (s.step())
            out.push_back(SensorHealthRow{s.text(0), s.text(1), s.i64(2), s.i64(3), s.i64(4), uint64_t(s.i64(5)),
                                          uint64_t(s.i64(6)), uint64_t(s.i64(7)), uint64_t(s.i64(8)),
                                          uint64_t(s.i64(9)), uint64_t(s.i64(10)), uint64_t(s.i64(11)),
                                          uint64_t(s.i64(12)), uint64_t(s.i64(13)), uint64_t(s.i64(14)),
                                          s.i64(15) != 0});
        s.reset();
        return out;
    }

    void put_survey_campaign(const SurveyCampaign& c) override {
        batch([&] {
            stmt("INSERT OR REPLACE INTO survey_campaign VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
                .bind(1, c.id).bind(2, c.created_ns).bind(3, c.source_address).bind(4, c.contact)
                .bind(5, int64_t(c.seed)).bind(6, c.scope).bind(7, c.ports).bind(8, c.credentials)
                .bind(9, int64_t(c.total)).bind(10, int64_t(c.position)).bind(11, int64_t(c.emitted))
                .bind(12, int64_t(c.finished)).bind(13, int64_t(c.loopback_test)).run();
        }, false);
    }
    static SurveyCampaign campaign_row(Stmt& s) {
        return SurveyCampaign{s.text(0), s.i64(1), s.text(2), s.text(3), uint64_t(s.i64(4)), s.text(5), s.text(6),
                              s.text(7), uint64_t(s.i64(8)), uint64_t(s.i64(9)), uint64_t(s.i64(10)), s.i64(11) != 0,
                              s.i64(12) != 0};
    }
    std::optional<SurveyCampaign> survey_campaign(const std::string& id) override {
        Stmt& s = stmt("SELECT id, created_ns, source_address, contact, seed, scope, ports, credentials, total, position, "
                       "emitted, finished, loopback_test FROM survey_campaign WHERE id = ?");
        s.bind(1, id);
        std::optional<SurveyCampaign> out;
        if (s.step()) out = campaign_row(s);
        s.reset();
        return out;
    }
    std::vector<SurveyCampaign> survey_campaigns() override {
        Stmt& s = stmt("SELECT id, created_ns, source_address, contact, seed, scope, ports, credentials, total, position, "
                       "emitted, finished, loopback_test FROM survey_campaign ORDER BY created_ns, id");
        std::vector<SurveyCampaign> out;
        while (s.step()) out.push_back(campaign_row(s));
        s.reset();
        return out;
    }
    void put_survey_results(const std::vector<SurveyResult>& rows) override {
        batch([&] {
            Stmt& s = stmt("INSERT OR REPLACE INTO survey_result VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
            for (const auto& r : rows)
                s.bind(1, r.campaign).bind(2, r.address.to_string()).bind(3, r.port).bind(4, r.protocol)
                    .bind(5, int64_t(r.index)).bind(6, std::string(outcome_name(r.outcome))).bind(7, r.credential_id)
                    .bind(8, int64_t(r.attempts)).bind(9, r.started_ns).bind(10, r.ended_ns).bind(11, r.source_address)
                    .bind(12, r.detail).run();
        }, rows.empty());
    }
    std::vector<SurveyResult> survey_results(const std::string& campaign) override {
        static const std::string sql = std::string("SELECT ") + row_decoders::kSurveyResultColumns +
                                       " FROM survey_result WHERE campaign = ? ORDER BY idx";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, campaign);
        return read_rows(s, row_decoders::survey_result_from<Stmt>);
    }
    std::vector<SurveyResult> survey_results_between(const TimeRange& range) override {
        static const std::string sql = std::string("SELECT ") + row_decoders::kSurveyResultColumns +
                                       " FROM survey_result WHERE started_ns >= ? AND started_ns < ? ORDER BY address, port, started_ns";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, ns_bound(range.from)).bind(2, ns_bound(range.to));
        return read_rows(s, row_decoders::survey_result_from<Stmt>);
    }
    std::vector<SurveyResult> survey_findings(const TimeRange& range) override {
        static const std::string sql = std::string("SELECT ") + row_decoders::kSurveyResultColumns +
                                       " FROM survey_result WHERE started_ns >= ? AND started_ns < ? AND outcome IN ('login-ok', 'no-auth') ORDER BY address, port, started_ns";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, ns_bound(range.from)).bind(2, ns_bound(range.to));
        return read_rows(s, row_decoders::survey_result_from<Stmt>);
    }
    // Flows are kept in FlowBlocks (store/flow_block.h), one per batch and UTC day; the `flow`
    // table of earlier versions is still read (and expired) so nothing stored before is lost.
    void put_flows(const std::vector<FlowRecord>& flows) override {
        constexpr int64_t kDayNs = 86400 * 1000000000LL;
        auto day_of = [](int64_t ns) { return ns >= 0 ? ns / kDayNs : (ns + 1) / kDayNs - 1; };
        batch([&] {
            Stmt& s = stmt("INSERT INTO flow_block VALUES (?,?,?,?)");
            auto put_block = [&](const FlowRecord* first, size_t n) {
                for (size_t from = 0; from < n; from += FlowBlock::kMaxRecords) {
                    const size_t k = std::min(n - from, FlowBlock::kMaxRecords);
                    int64_t lo = INT64_MAX, hi = INT64_MIN;
                    for (size_t i = from; i < from + k; ++i) lo = std::min(lo, first[i].start_ns), hi = std::max(hi, first[i].start_ns);
                    s.bind(1, lo).bind(2, hi).bind(3, int64_t(k)).bind_blob(4, flow_encoder_.encode(first + from, k)).run();
                }
            };
            // A batch almost always falls within one UTC day: stored straight from the batch.
            const int64_t day = day_of(flows.front().start_ns);
            if (std::all_of(flows.begin(), flows.end(), [&](const FlowRecord& f) { return day_of(f.start_ns) == day; })) {
                put_block(flows.data(), flows.size());
                return;
            }
            std::map<int64_t, std::vector<FlowRecord>> by_day;
            for (const auto& f : flows) by_day[day_of(f.start_ns)].push_back(f);
            for (const auto& [d, all] : by_day) put_block(all.data(), all.size());
        }, flows.empty());
    }
    void put_flow_exporters(int64_t run_start_ns, const std::vector<ExporterStats>& stats) override {
        batch([&] {
            Stmt& s = stmt("INSERT OR REPLACE INTO flow_exporter VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
            for (const auto& e : stats)
                s.bind(1, run_start_ns).bind(2, e.exporter.to_string()).bind(3, int64_t(e.observation_domain))
                    .bind(4, e.version).bind(5, int64_t(e.packets)).bind(6, int64_t(e.records))
                    .bind(7, int64_t(e.templates)).bind(8, int64_t(e.options_templates))
                    .bind(9, int64_t(e.options_records)).bind(10, int64_t(e.sequence_gaps)).bind(11, int64_t(e.missing))
                    .bind(12, int64_t(e.reordered)).bind(13, int64_t(e.held_sets)).bind(14, int64_t(e.dropped_sets))
                    .bind(15, int64_t(e.malformed)).bind(16, int64_t(e.sampling_interval)).bind(17, e.first_seen_ns)
                    .bind(18, e.last_seen_ns).run();
        }, stats.empty());
    }
    std::vector<FlowRecord> flows(const TimeRange& range) override {
        std::vector<FlowRecord> out;
        legacy_flows(range, out);
        Stmt& b = stmt("SELECT rowid, data FROM flow_block WHERE first_start_ns < ? AND last_start_ns >= ? ORDER BY rowid");
        b.bind(1, ns_bound(range.to)).bind(2, ns_bound(range.from));
        while (b.step())
            FlowBlock::decode(b.blob(1), ns_bound(range.from), ns_bound(range.to), out,
                              path_ + ": flow_block " + std::to_string(b.i64(0)));
        b.reset();
        // By start time, then as stored (legacy rows first: they were stored before any block).
        std::stable_sort(out.begin(), out.end(), [](const FlowRecord& x, const FlowRecord& y) { return x.start_ns < y.start_ns; });
        return out;
    }

private:
    void legacy_flows(const TimeRange& range, std::vector<FlowRecord>& out) {
        static const std::string sql = std::string("SELECT ") + row_decoders::kFlowColumns +
                                       " FROM flow WHERE start_ns >= ? AND start_ns < ? ORDER BY start_ns, rowid";
        Stmt& s = stmt(sql.c_str());
        s.bind(1, ns_bound(range.from)).bind(2, ns_bound(range.to));
        const auto legacy = read_rows(s, row_decoders::flow_from<Stmt>);
        out.insert(out.end(), legacy.begin(), legacy.end());
    }

    void exec(const std::string& sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            std::string why = err ? err : sqlite3_errmsg(db_);
            sqlite3_free(err);
            throw StoreError(path_ + ": " + why + " (in: " + sql.substr(0, 40) + ")");
        }
    }
    Stmt& stmt(const char* sql) {
        auto it = stmts_.find(sql);
        if (it == stmts_.end()) it = stmts_.emplace(sql, std::make_unique<Stmt>(db_, sql, path_)).first;
        return *it->second;
    }
    /// Runs `sql` (reading iotwatch_row_feed) once over rows 0..n-1 of the feed: `column(row,
    /// col, cell)` sets each value (SqliteRowFeed). For large batches: one statement run instead
    /// of one per row.
    template <typename F>
    void feed_rows(const char* sql, size_t n, F&& column) {
        Stmt& s = stmt(sql);
        if (feed_.run(s.handle(), n, column) != SQLITE_DONE) throw StoreError(path_ + ": " + feed_.error());
    }
    /// Runs `f` inside the caller's transaction, or its own when none is open.
    template <typename F>
    void batch(F&& f, bool empty) {
        if (empty) return;
        if (in_tx_) {
            f();
            return;
        }
        exec("BEGIN IMMEDIATE");
        try {
            f();
        } catch (...) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
        exec("COMMIT");
    }

    std::string path_;
    sqlite3* db_ = nullptr;
    bool in_tx_ = false;
    std::map<const char*, std::unique_ptr<Stmt>> stmts_;
    SqliteRowFeed feed_;  // registered on db_ (init()); outlives it (~SqliteStore closes db_)
    FlowBlockEncoder flow_encoder_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path) { return std::make_unique<SqliteStore>(path); }

std::unique_ptr<Store> open_store(const std::string& spec) {
    if (spec.rfind("clickhouse://", 0) == 0) return open_clickhouse_store(spec);
    return open_sqlite_store(spec);
}

}  // namespace iotwatch

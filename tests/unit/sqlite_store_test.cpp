#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <tuple>

#include <sqlite3.h>

#include "core/error.h"
#include "report/telescope_report.h"
#include "store/store.h"

using namespace iotwatch;

namespace {
constexpr int64_t kDay = 1767225600;
struct TempDb {
    std::string path = "/tmp/iotwatch-store-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".db";
    static inline int counter = 0;
    ~TempDb() {
        for (const char* s : {"", "-wal", "-shm"}) std::remove((path + s).c_str());
    }
};
SourceDayRow src_row(int64_t day, const char* ip, uint64_t packets, uint16_t classes, const char* top) {
    SourceDayRow r;
    r.day = day;
    r.src = *IpAddress::parse(ip);
    r.first_seen_ns = day * 1000000000LL + 5;
    r.last_seen_ns = day * 1000000000LL + 600000000000LL;
    r.packets = packets;
    r.bytes = packets * 40;
    r.classes = classes;
    r.destinations = packets / 2;
    r.ports = 1;
    r.top_ports = top;
    return r;
}
}  // namespace

TEST(SqliteStore, ReplaceSemanticsAndTotals) {
    TempDb db;
    auto s = open_sqlite_store(db.path);
    s->begin();
    s->put_class_bins({{kDay, 86400, kClassSyn, 10, 400, 2, 9}, {kDay, 86400, kClassAll, 10, 400, 2, 9}});
    s->put_class_bins({{kDay, 86400, kClassSyn, 90, 3600, 3, 80}, {kDay, 86400, kClassUdp, 5, 140, 1, 5},
                       {kDay, 86400, kClassAll, 95, 3740, 4, 84}});  // replaces the first rows
    s->put_class_bins({{kDay + 86400, 86400, kClassSyn, 7, 280, 1, 7}, {kDay + 86400, 86400, kClassAll, 7, 280, 1, 7}});
    s->put_bin_meta({{kDay, 86400, 3, 1, 2, 0, 4}, {kDay + 86400, 86400, 1, 0, 0, 0, 0}});
    s->put_source_days({src_row(kDay, "1.1.1.1", 60, 1, "tcp/23:60"), src_row(kDay, "2.2.2.2", 35, 1 << kClassUdp, "udp/53:5"),
                        src_row(kDay + 86400, "1.1.1.1", 7, 1, "tcp/2323:7")});
    s->commit();
    TelescopeTotals t = s->totals({});
    EXPECT_EQ(t.class_packets[kClassSyn], 97u);
    EXPECT_EQ(t.class_packets[kClassUdp], 5u);
    EXPECT_EQ(t.packets, 102u);
    EXPECT_EQ(t.outside, 4u);
    EXPECT_EQ(t.late, 4u);
    EXPECT_EQ(t.sources, 2u);  // 1.1.1.1 on both days counts once
    EXPECT_EQ(t.destinations, 84u);
    EXPECT_EQ(t.first_bin, kDay);
    EXPECT_EQ(t.last_bin, kDay + 86400);
    TelescopeTotals day1 = s->totals({kDay, kDay + 86400});
    EXPECT_EQ(day1.packets, 95u);
    auto top = s->top_sources(10, {});
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].src.to_string(), "1.1.1.1");
    EXPECT_EQ(top[0].packets, 67u);
    EXPECT_EQ(top[0].top_ports, "tcp/23:60");  // of the busiest day
}

TEST(SqliteStore, RollbackDiscardsAndCheckpointRoundTrips) {
    TempDb db;
    auto s = open_sqlite_store(db.path);
    EXPECT_FALSE(s->load_checkpoint());
    s->begin();
    s->put_port_bins({{kDay, 86400, 6, 23, 100, 7}});
    s->rollback();
    EXPECT_TRUE(s->top_ports(6, 10, {}).empty());
    Checkpoint cp{{"/a.pcap|10", "/b.pcap|20"}, std::string("\0\1binary\xff", 10)};
    s->save_checkpoint(cp);
    auto back = s->load_checkpoint();
    ASSERT_TRUE(back);
    EXPECT_EQ(back->completed_inputs, cp.completed_inputs);
    EXPECT_EQ(back->state, cp.state);
    s->clear_checkpoint();
    EXPECT_FALSE(s->load_checkpoint());
    // The 'other' port rows never rank.
    PortBinRow other{kDay, 86400, 6, 0, 1000, 50, true};
    s->put_port_bins({{kDay, 86400, 6, 23, 100, 7}, {kDay, 86400, 6, 2323, 10, 7}, other});
    auto ports = s->top_ports(6, 10, {});
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_EQ(ports[0].port, 23);  // same sources: more packets first
}

TEST(SqliteStore, OpeningGarbageIsAStoreErrorNamingThePath) {
    std::string path = "/tmp/iotwatch-notadb-" + std::to_string(getpid());
    FILE* f = std::fopen(path.c_str(), "wb");
    std::fputs("this is not a database, just text that is long enough to look like a header.....", f);
    std::fclose(f);
    try {
        open_sqlite_store(path);
        ADD_FAILURE() << "no error";
    } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    std::remove(path.c_str());
}

TEST(FoldSparsePorts, SumsSingleSourcePortsPerBinButKeepsDays) {
    std::vector<PortBinRow> rows = {{0, 300, 6, 23, 50, 9}, {0, 300, 6, 40001, 1, 1}, {0, 300, 6, 40002, 2, 1},
                                    {0, 300, 17, 9999, 3, 1}, {0, 86400, 6, 40001, 1, 1}};
    fold_sparse_ports(rows);
    ASSERT_EQ(rows.size(), 4u);  // 23, tcp other, udp other, the day row
    uint64_t tcp_other = 0, udp_other = 0;
    for (auto& r : rows) {
        if (r.other && r.protocol == 6) {
            tcp_other = r.packets;
            EXPECT_EQ(r.sources, 2u);
        }
        if (r.other && r.protocol == 17) udp_other = r.packets;
    }
    EXPECT_EQ(tcp_other, 3u);
    EXPECT_EQ(udp_other, 3u);
}

TEST(FoldSparsePorts, ABinRewrittenAfterItsPortsGainedSourcesLeavesNoStaleOtherRow) {
    // A checkpoint mid-bin: port 40001 has one source (folded into `other`). At the bin's end it
    // has two: its own row, and the `other` row must be replaced, not left from the checkpoint.
    TempDb db;
    auto s = open_sqlite_store(db.path);
    std::vector<PortBinRow> mid = {{0, 300, 6, 23, 50, 9}, {0, 300, 6, 40001, 1, 1}};
    fold_sparse_ports(mid);
    s->put_port_bins(mid);
    std::vector<PortBinRow> end = {{0, 300, 6, 23, 60, 9}, {0, 300, 6, 40001, 2, 2}};
    fold_sparse_ports(end);
    s->put_port_bins(end);
    s.reset();
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.path.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, "SELECT packets, sources FROM port_bin WHERE port = -1", -1, &q, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(q, 0), 0);  // the checkpoint's 1 packet is gone
    EXPECT_EQ(sqlite3_column_int64(q, 1), 0);
    EXPECT_EQ(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(raw);
}

TEST(Report, JsonSummaryIsTheDocumentedInterface) {
    TempDb db;
    auto s = open_sqlite_store(db.path);
    s->put_class_bins({{kDay, 86400, kClassSyn, 90, 3600, 3, 80}, {kDay, 86400, kClassAll, 90, 3600, 3, 80}});
    s->put_bin_meta({{kDay, 86400, 3, 0, 0, 0, 0}});
    s->put_port_bins({{kDay, 86400, 6, 23, 90, 3}});
    s->put_source_days({src_row(kDay, "1.1.1.1", 90, 1, "tcp/23:90")});
    std::ostringstream out;
    ReportOptions o;
    o.format = ReportFormat::kJson;
    write_report(*s, o, out);
    const std::string j = out.str();
    EXPECT_NE(j.find(R"("classes":{"syn":90,"synack":0,"ack":0,"fin":0,"rst":0,"push":0,"tcp_other":0,"udp":0,"icmp":0,"other_ip":0})"),
              std::string::npos) << j;
    EXPECT_NE(j.find(R"("packets":90,)"), std::string::npos);
    EXPECT_NE(j.find(R"("outside":3,)"), std::string::npos);
    EXPECT_NE(j.find(R"("sources":1,)"), std::string::npos);
    EXPECT_NE(j.find(R"("top_tcp_ports":[{"port":23,"service":"telnet","sources":3,"packets":90}])"), std::string::npos) << j;
    EXPECT_NE(j.find(R"("first_day":"2026-01-01")"), std::string::npos);
    // Each format carries the same syn count in its own syntax.
    const std::pair<ReportFormat, const char*> expected[] = {
        {ReportFormat::kTable, "  syn            90 100.00% 3,600"},
        {ReportFormat::kCsv, "\nsyn,90,100.00%,3600\n"},
        {ReportFormat::kJsonLines, R"({"view":"classes","class":"syn","packets":90,)"}};
    for (const auto& [f, needle] : expected) {
        std::ostringstream o2;
        o.format = f;
        write_report(*s, o, o2);
        EXPECT_NE(o2.str().find(needle), std::string::npos) << o2.str();
    }
    std::ostringstream csv;
    o.format = ReportFormat::kCsv;
    o.view = "classes";
    write_report(*s, o, csv);
    EXPECT_EQ(csv.str().substr(0, csv.str().find('\n')), "class,packets,share,bytes");
    o.view = "bogus";
    EXPECT_THROW(write_report(*s, o, csv), ConfigError);
}

#include <sqlite3.h>

// A database written by schema version 1 (no fingerprint columns) is migrated in place.
TEST(SqliteStore, MigratesSchemaVersion1) {
    TempDb db;
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "CREATE TABLE source_day (day INTEGER NOT NULL, src TEXT NOT NULL, first_seen_ns INTEGER NOT NULL,"
                           " last_seen_ns INTEGER NOT NULL, packets INTEGER NOT NULL, bytes INTEGER NOT NULL, classes INTEGER"
                           " NOT NULL, destinations INTEGER NOT NULL, ports INTEGER NOT NULL, top_ports TEXT NOT NULL,"
                           " PRIMARY KEY (day, src)) WITHOUT ROWID;"
                           "INSERT INTO source_day VALUES (0, '1.2.3.4', 0, 0, 5, 200, 1, 5, 1, 'tcp/23:5');"
                           "PRAGMA user_version=1;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
    auto s = open_sqlite_store(db.path);
    SourceDayRow r = src_row(kDay, "9.9.9.9", 10, 1, "tcp/23:10");
    r.fingerprints[kFpMirai] = 10;
    s->put_source_days({r});
    auto m = s->mirai_sources({});
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].src.to_string(), "9.9.9.9");
    EXPECT_EQ(m[0].fingerprints[kFpMirai], 10u);
    EXPECT_EQ(s->totals({}).sources, 2u);  // the old row is still there
}

// Schema 4 stores the checkpoint state in 1 MB parts: a state of several parts round-trips, a
// smaller one replacing it leaves no stale part, and a schema 3 store's whole-blob checkpoint is
// still read (an ingest interrupted before the upgrade resumes).
TEST(SqliteStore, CheckpointStateInPartsAndTheSchema3Blob) {
    TempDb db;
    {
        auto s = open_sqlite_store(db.path);
        std::string big(3 * (1 << 20) + 12345, '\0');
        for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
        s->begin();
        s->save_checkpoint({{"/a.pcap|10"}, big});
        s->commit();
        auto back = s->load_checkpoint();
        ASSERT_TRUE(back);
        EXPECT_EQ(back->state, big);
        s->begin();
        s->save_checkpoint({{"/b.pcap|20"}, "small"});
        s->commit();
        back = s->load_checkpoint();
        ASSERT_TRUE(back);
        EXPECT_EQ(back->state, "small");
        EXPECT_EQ(back->completed_inputs, std::vector<std::string>{"/b.pcap|20"});
        // A state in pieces (partitioned workers' parts) loads as their concatenation, pieces of
        // any size, an empty one included; a smaller state saved after it leaves no stale part.
        Checkpoint pieces{{"/c.pcap|30"}, "head", {big, "", std::string(1, '\0'), big.substr(7, (1 << 20) + 1)}};
        s->begin();
        s->save_checkpoint(pieces);
        s->commit();
        back = s->load_checkpoint();
        ASSERT_TRUE(back);
        EXPECT_EQ(back->state, "head" + big + std::string(1, '\0') + big.substr(7, (1 << 20) + 1));
        EXPECT_TRUE(back->state_continued.empty());
        EXPECT_EQ(back->state, pieces.joined_state());
        s->begin();
        s->save_checkpoint({{"/d.pcap|40"}, "x", {"y"}});
        s->commit();
        back = s->load_checkpoint();
        ASSERT_TRUE(back);
        EXPECT_EQ(back->state, "xy");
        s->clear_checkpoint();
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "INSERT INTO checkpoint VALUES (1, '/c.pcap|30\n', x'00ff01'); PRAGMA user_version=3;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
    auto s = open_sqlite_store(db.path);
    auto back = s->load_checkpoint();
    ASSERT_TRUE(back);
    EXPECT_EQ(back->state, std::string("\0\xff\1", 3));
    EXPECT_EQ(back->completed_inputs, std::vector<std::string>{"/c.pcap|30"});
}

// A scan stored while still open is replaced by its final version, even when a late probe moved
// its start earlier; other scans of the same source and port (later, past the idle gap) stay.
TEST(SqliteStore, FinalScanEventReplacesTheOpenOneItOverlaps) {
    TempDb db;
    auto s = open_sqlite_store(db.path);
    auto event = [](int64_t start_s, int64_t end_s, uint64_t packets, uint16_t port = 23) {
        ScanEvent e;
        e.src = *IpAddress::parse("1.2.3.4");
        e.protocol = 6;
        e.port = port;
        e.start_ns = (kDay + start_s) * 1000000000LL;
        e.end_ns = (kDay + end_s) * 1000000000LL;
        e.packets = e.destinations = packets;
        e.rate_pps = 100;
        return e;
    };
    s->begin();
    s->put_scan_events({event(100, 200, 150), event(100, 200, 150, 2323), event(5000, 5100, 300)});
    s->put_scan_events({event(90, 400, 500)});  // the final 23/tcp scan, started 10 s earlier
    s->commit();
    auto events = s->scan_events({}, 100);
    std::sort(events.begin(), events.end(), [](auto& a, auto& b) { return std::tie(a.port, a.start_ns) < std::tie(b.port, b.start_ns); });
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].packets, 500u);
    EXPECT_EQ(events[0].start_ns, (kDay + 90) * 1000000000LL);
    EXPECT_EQ(events[1].packets, 300u);
    EXPECT_EQ(events[2].port, 2323);
}

// `iotwatch alerts`: the daily per-organisation alert lists (NICTER alerts, DAEDALUS), and the
// national statistics over a period (`--stats`).
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/geo_options.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "detect/host_judgement.h"
#include "enrich/organisation_registry.h"
#include "notify/daily_alerts.h"
#include "notify/outbox.h"
#include "store/store.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {
namespace {

int64_t parse_day(const ArgParser& args, const std::string& flag) {
    auto t = parse_utc(args.get(flag));
    if (!t || args.get(flag).size() != 10) throw ConfigError("--" + flag + ": '" + args.get(flag) + "' is not YYYY-MM-DD");
    return bin_start_seconds(*t, 86400);
}

int run_stats(const ArgParser& args, Store& store) {
    TimeRange range;
    if (args.has("from")) range.from = parse_day(args, "from");
    if (args.has("to")) range.to = parse_day(args, "to");
    const auto rows = store.alerts(range);
    store.log_access({now_ns(), operator_name(args), "alerts.stats",
                      "from=" + (args.has("from") ? args.get("from") : std::string("*")) +
                          " to=" + (args.has("to") ? args.get("to") : std::string("*"))});
    // Distinct addresses per day, nationally and per organisation.
    std::map<int64_t, std::set<IpAddress>> national;
    std::map<std::string, std::map<int64_t, std::set<IpAddress>>> per_org;
    for (const auto& r : rows) {
        national[r.day].insert(r.address);
        per_org[r.org][r.day].insert(r.address);
    }
    int64_t first = range.from, last = range.to - 86400;
    if (range.from == INT64_MIN) first = national.empty() ? 0 : national.begin()->first;
    if (range.to == INT64_MAX) last = national.empty() ? -86400 : national.rbegin()->first;
    struct Summary {
        uint64_t days = 0, total = 0, min = UINT64_MAX, max = 0;
        double average() const { return days ? double(total) / double(days) : 0; }
    };
    auto summarise = [&](const std::map<int64_t, std::set<IpAddress>>& by_day) {
        Summary s;
        for (int64_t d = first; d <= last; d += 86400) {
            auto it = by_day.find(d);
            const uint64_t n = it == by_day.end() ? 0 : it->second.size();
            ++s.days;
            s.total += n;
            s.min = std::min(s.min, n);
            s.max = std::max(s.max, n);
        }
        if (!s.days) s.min = 0;
        return s;
    };
    const Summary all = summarise(national);
    if (args.has("json")) {
        JsonWriter w(std::cout);
        w.begin_object();
        w.key("from").value(all.days ? format_utc_day(first * kNanosPerSecond) : "");
        w.key("to").value(all.days ? format_utc_day(last * kNanosPerSecond) : "");
        w.key("days").value(all.days);
        w.key("daily").begin_array();
        for (int64_t d = first; d <= last; d += 86400) {
            w.begin_object();
            w.key("day").value(format_utc_day(d * kNanosPerSecond));
            auto it = national.find(d);
            w.key("addresses").value(uint64_t(it == national.end() ? 0 : it->second.size()));
            w.key("organisations").begin_object();
            for (const auto& [org, by_day] : per_org) {
                auto jt = by_day.find(d);
                w.key(org).value(uint64_t(jt == by_day.end() ? 0 : jt->second.size()));
            }
            w.end_object();
            w.end_object();
        }
        w.end_array();
        auto put = [&](const Summary& s) {
            w.begin_object();
            w.key("average").value(s.average());
            w.key("min").value(s.min);
            w.key("max").value(s.max);
            w.end_object();
        };
        w.key("national");
        put(all);
        w.key("per_organisation").begin_object();
        for (const auto& [org, by_day] : per_org) {
            w.key(org);
            put(summarise(by_day));
        }
        w.end_object();
        w.end_object();
        std::cout << '\n';
    } else {
        std::printf("%-12s %10s\n", "day", "addresses");
        for (int64_t d = first; d <= last; d += 86400) {
            auto it = national.find(d);
            std::printf("%-12s %10zu\n", format_utc_day(d * kNanosPerSecond).c_str(),
                        it == national.end() ? size_t(0) : it->second.size());
        }
        std::printf("\n%-24s %8s %8s %8s\n", "alerted addresses/day", "average", "min", "max");
        std::printf("%-24s %8.1f %8llu %8llu\n", "national", all.average(), (unsigned long long)all.min,
                    (unsigned long long)all.max);
        for (const auto& [org, by_day] : per_org) {
            const Summary s = summarise(by_day);
            std::printf("%-24s %8.1f %8llu %8llu\n", org.c_str(), s.average(), (unsigned long long)s.min,
                        (unsigned long long)s.max);
        }
    }
    std::cout.flush();
    return std::cout ? kExitOk : kExitFailure;
}

}  // namespace

int cmd_alerts(int argc, char** argv) {
    ArgParser args("alerts", "--orgs FILE [--day YYYY-MM-DD] [--db FILE] [--outbox DIR] | --stats [--from D --to D]",
                   "Builds each participating organisation's daily alert list: its addresses judged infected\n"
                   "that UTC day (telescope detections after ingest --detect, and imported partner evidence),\n"
                   "one row per (address, evidence kind), and writes them to its outbox folder in its formats\n"
                   "(Shadowserver darknet CSV, JSON lines, STIX 2.1) with a manifest of sha256 sums. Re-running\n"
                   "a day rewrites identical files. Every run is recorded in the store's access log.\n"
                   "--stats prints alerted addresses per day and the daily average/min/max, nationally and\n"
                   "per organisation, from the stored alert rows.");
    args.option("orgs", "FILE", "organisation registry (TOML [[organisation]] tables; see README)");
    args.option("day", "YYYY-MM-DD", "the UTC day to alert on (default: yesterday)");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default: the config's store.db, else iotwatch.db)");
    args.option("outbox", "DIR", "where the per-organisation folders go (default outbox)");
    args.option("config", "FILE", "telescope configuration: [retention] is enforced after the run");
    args.option("iot-ports", "FILE", "IoT port taxonomy TSV (default: data/iot-ports.tsv, built in)");
    args.option("research-scanners", "FILE", "research-scanner list TSV (default: data/research-scanners.tsv, built in)");
    args.option("operator", "NAME", "who runs this, for the access log (default: the login name)");
    add_geo_options(args);
    args.flag("stats", "national statistics instead of alert files");
    args.option("from", "YYYY-MM-DD", "--stats: first day (default: the first day with alerts)");
    args.option("to", "YYYY-MM-DD", "--stats: day after the last (default: after the last day with alerts)");
    args.flag("json", "print the run summary (or the statistics) as one JSON object");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.positional().empty()) throw ConfigError("unexpected argument '" + args.positional()[0] + "'");

    TelescopeConfig cfg;
    if (args.has("config")) cfg = TelescopeConfig::load(args.get("config"));
    const std::string db = args.get("db", cfg.db_path.empty() ? "iotwatch.db" : cfg.db_path);
    auto store = open_store(db);
    if (args.has("stats")) return run_stats(args, *store);

    if (!args.has("orgs")) throw ConfigError("--orgs FILE is required (the organisations to alert)");
    const OrganisationRegistry registry = OrganisationRegistry::load(args.get("orgs"));
    const PortTaxonomy iot_ports = args.has("iot-ports") ? PortTaxonomy::load(args.get("iot-ports")) : PortTaxonomy::builtin();
    const ResearchScannerList research = args.has("research-scanners")
                                             ? ResearchScannerList::load(args.get("research-scanners"))
                                             : ResearchScannerList::builtin();
    const int64_t day = args.has("day") ? parse_day(args, "day") : bin_start_seconds(now_ns(), 86400) - 86400;
    const std::string day_text = format_utc_day(day * kNanosPerSecond);
    const std::string outbox = args.get("outbox", "outbox");
    const std::string who = operator_name(args);

    std::unique_ptr<GeoEnricher> geo = open_geo(args, cfg);
    DailyAlertsInput in;
    if (geo) in.geo = [&geo](const IpAddress& a) { return geo->lookup(a); };
    in.registry = &registry;
    in.iot_ports = &iot_ports;
    in.research = &research;
    in.sensor_names = store->sensor_names();
    DailyAlertsResult result = build_daily_alerts(*store, day, in);

    // Files first, then the rows and the access log in one transaction: a crash in between leaves
    // files that a re-run rewrites identically.
    struct OrgResult {
        const Organisation* org;
        size_t rows = 0, addresses = 0;
        std::vector<OutboxFile> files;
    };
    std::vector<OrgResult> per_org;
    for (const auto& org : registry.organisations()) {
        std::vector<AlertRow> rows;
        std::set<IpAddress> addresses;
        for (const auto& r : result.rows)
            if (r.org == org.id) {
                rows.push_back(r);
                addresses.insert(r.address);
            }
        OrgResult o{&org, rows.size(), addresses.size(), {}};
        o.files = write_outbox(outbox, {&org, day}, rows);
        per_org.push_back(std::move(o));
    }
    store->begin();
    store->replace_alerts(day, result.rows);
    for (const auto& o : per_org)
        store->log_access({now_ns(), who, "alerts.write",
                           "org=" + o.org->id + " day=" + day_text + " rows=" + std::to_string(o.rows)});
    std::vector<std::pair<std::string, uint64_t>> expired;
    if (cfg.has_retention) expired = store->apply_retention(cfg.retention, now_ns() / kNanosPerSecond);
    store->commit();

    if (args.has("json")) {
        JsonWriter w(std::cout);
        w.begin_object();
        w.key("day").value(day_text);
        w.key("judged").value(result.judged);
        w.key("research_excluded").value(result.research_excluded);
        w.key("external").value(result.external);
        w.key("unattributed").value(result.unattributed);
        w.key("rows").value(uint64_t(result.rows.size()));
        w.key("organisations").begin_array();
        for (const auto& o : per_org) {
            w.begin_object();
            w.key("id").value(o.org->id);
            w.key("rows").value(uint64_t(o.rows));
            w.key("addresses").value(uint64_t(o.addresses));
            w.key("files").begin_array();
            for (const auto& f : o.files) {
                w.begin_object();
                w.key("path").value(f.path);
                w.key("format").value(f.format);
                w.key("sha256").value(f.sha256);
                w.key("rows").value(f.rows);
                w.end_object();
            }
            w.end_array();
            w.end_object();
        }
        w.end_array();
        w.key("expired").begin_object();
        for (const auto& [table, n] : expired) w.key(table).value(n);
        w.end_object();
        w.end_object();
        std::cout << '\n';
    } else {
        std::printf("alerts for %s: %zu rows (%llu telescope judgements, %llu partner records; %llu research "
                    "scanners excluded, %llu rows no organisation claims)\n",
                    day_text.c_str(), result.rows.size(), (unsigned long long)result.judged,
                    (unsigned long long)result.external, (unsigned long long)result.research_excluded,
                    (unsigned long long)result.unattributed);
        for (const auto& o : per_org)
            std::printf("  %-24s %6zu rows %6zu addresses  %s\n", o.org->id.c_str(), o.rows, o.addresses,
                        o.files.empty() ? "(no formats)"
                                        : std::filesystem::path(o.files[0].path).parent_path().string().c_str());
    }
    std::cout.flush();
    return std::cout ? kExitOk : kExitFailure;
}

}  // namespace iotwatch::cli

// `iotwatch cnc`: the day's likely C&C servers from stored flow records (headers only), seeded by
// the hosts known infected that day (telescope judgements, survey findings, partner evidence,
// --seeds). Prints the ranked candidates with every signal's evidence; --record stores those at or
// above --min-score as evidence of the feed "cnc-scoring", which `iotwatch alerts` reports to the
// organisation owning the server (kind "cnc-server").
#include <fstream>
#include <iostream>
#include <set>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "detect/host_judgement.h"
#include "flows/cnc_scorer.h"
#include "store/store.h"

namespace iotwatch::cli {
namespace {

const char* proto_name(uint8_t p) { return p == 6 ? "tcp" : p == 17 ? "udp" : "other"; }

std::set<IpAddress> load_seeds_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, UINT64_MAX, "cannot read the seeds file");
    std::set<IpAddress> out;
    std::string line;
    uint64_t offset = 0, line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        const uint64_t here = offset;
        offset += line.size() + 1;
        if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
        const auto a = line.find_first_not_of(" \t\r");
        if (a == std::string::npos) continue;
        const std::string text = line.substr(a, line.find_last_not_of(" \t\r") - a + 1);
        auto ip = IpAddress::parse(text);
        if (!ip) throw InputError(path, here, "line " + std::to_string(line_no) + ": '" + text + "' is not an address");
        out.insert(*ip);
    }
    return out;
}

}  // namespace

int cmd_cnc(int argc, char** argv) {
    ArgParser args("cnc", "--day YYYY-MM-DD [--db FILE|URL] [options]",
                   "Ranks the day's likely C&C servers from stored flows (iotwatch collect): co-occurrence with\n"
                   "known infected hosts (a hypergeometric test), beaconing (RITA-style regularity of times and\n"
                   "sizes) and DISCLOSURE-style server statistics, popular destinations excluded. Seeds: the\n"
                   "day's telescope judgements, survey findings and partner evidence, plus --seeds FILE.");
    args.option("day", "YYYY-MM-DD", "the UTC day whose flows are scored (required)");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.option("seeds", "FILE", "more known-infected addresses, one per line ('#' comments)");
    args.option("popular", "FILE", "more popular destinations (TSV like data/cnc-popular.tsv)");
    args.option("popular-share", "X", "a server with more than this share of the day's clients is popular (default 0.2)");
    args.option("min-seed-clients", "N", "co-occurrence needs at least N seed clients (default 2)");
    args.option("top", "N", "candidates printed (default 20)");
    args.option("min-score", "X", "--record keeps candidates scoring at least X (default 0.5)");
    args.flag("record", "store candidates >= --min-score as evidence (feed cnc-scoring) for iotwatch alerts");
    args.flag("json", "JSON lines, one candidate per line, then a summary object");
    args.option("operator", "NAME", "who runs this, for the access log (default: the login name)");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.positional().empty()) throw ConfigError("unexpected argument '" + args.positional()[0] + "'");
    if (!args.has("day")) throw ConfigError("--day YYYY-MM-DD is required");
    const auto day_ns = parse_utc(args.get("day"));
    if (args.get("day").size() != 10 || !day_ns) throw ConfigError("--day: '" + args.get("day") + "' is not YYYY-MM-DD");
    const int64_t day_s = *day_ns / kNanosPerSecond;
    const TimeRange range{day_s, day_s + 86400};

    CncSettings settings;
    settings.popular_share = args.get_double("popular-share", settings.popular_share);
    settings.min_seed_clients = uint32_t(args.get_int("min-seed-clients", settings.min_seed_clients));
    const double min_score = args.get_double("min-score", 0.5);
    if (!(min_score >= 0 && min_score <= 1)) throw ConfigError("--min-score: must be in [0, 1]");
    const long long top = args.get_int("top", 20);
    if (top < 1) throw ConfigError("--top: must be >= 1");
    PopularDestinations popular = PopularDestinations::builtin();
    if (args.has("popular")) popular.merge(PopularDestinations::load(args.get("popular")));
    const CncScorer scorer(settings, std::move(popular));

    auto store = open_store(args.get("db", "iotwatch.db"));
    // Seeds: hosts known infected that day, whatever said so (never our own C&C findings).
    std::set<IpAddress> seeds;
    if (args.has("seeds")) seeds = load_seeds_file(args.get("seeds"));
    const auto events = store->scan_events(range, SIZE_MAX);
    for (const auto& h : judge_infected_hosts(events, PortTaxonomy::builtin(), ResearchScannerList::builtin(), nullptr,
                                              store->mirai_sources(range)))
        seeds.insert(h.src);
    for (const auto& f : store->survey_findings(range)) seeds.insert(f.address);
    for (const auto& e : store->external_evidence(range))
        if (e.feed != kCncEvidenceFeed) seeds.insert(e.address);

    const auto flows = store->flows(range);
    const CncResult result = scorer.score(flows, seeds);

    uint64_t recorded = 0;
    if (args.has("record")) {
        std::vector<ExternalEvidence> rows;
        for (const auto& c : result.candidates) {
            if (c.score < min_score) break;
            rows.push_back({kCncEvidenceFeed, c.server, c.first_seen_ns, "cnc-server", format_cnc_evidence(c)});
        }
        recorded = store->put_external_evidence(rows);
        store->log_access({now_ns(), operator_name(args), "cnc.record",
                           "day=" + args.get("day") + " candidates=" + std::to_string(rows.size())});
    }

    const size_t shown = std::min<size_t>(size_t(top), result.candidates.size());
    if (args.has("json")) {
        JsonWriter w(std::cout);
        for (size_t i = 0; i < shown; ++i) {
            const auto& c = result.candidates[i];
            w.begin_object();
            w.key("rank").value(uint64_t(i + 1));
            w.key("server").value(c.server.to_string());
            w.key("proto").value(proto_name(c.protocol));
            w.key("port").value(unsigned(c.port));
            w.key("score").value(c.score);
            w.key("clients").value(c.clients);
            w.key("seed_clients").value(c.seed_clients);
            w.key("first_seen").value(format_utc(c.first_seen_ns));
            w.key("last_seen").value(format_utc(c.last_seen_ns));
            for (const auto& s : c.signals) {
                w.key(s.name).begin_object();
                w.key("score").value(s.score);
                for (const auto& [k, v] : s.fields) w.key(k).value(v);
                w.end_object();
            }
            w.end_object();
            std::cout << '\n';
        }
        w.begin_object();
        w.key("summary").begin_object();
        w.key("day").value(args.get("day"));
        w.key("flows").value(result.flows);
        w.key("oriented_flows").value(result.oriented);
        w.key("servers").value(result.servers);
        w.key("popular_excluded").value(result.popular_excluded);
        w.key("seeds").value(uint64_t(seeds.size()));
        w.key("clients").value(result.totals.clients);
        w.key("seed_clients").value(result.totals.seed_clients);
        w.key("candidates").value(uint64_t(result.candidates.size()));
        w.key("recorded").value(recorded);
        w.end_object();
        w.end_object();
        std::cout << '\n';
    } else {
        std::printf("%4s %-39s %-10s %6s %8s %6s %8s %7s %8s\n", "rank", "server", "port", "score", "clients", "seeds",
                    "p-value", "beacon", "profile");
        for (size_t i = 0; i < shown; ++i) {
            const auto& c = result.candidates[i];
            const std::string port = std::string(proto_name(c.protocol)) + "/" + std::to_string(c.port);
            std::printf("%4zu %-39s %-10s %6.3f %8llu %6llu %8.1e %7.3f %8.3f\n", i + 1, c.server.to_string().c_str(),
                        port.c_str(), c.score, (unsigned long long)c.clients, (unsigned long long)c.seed_clients,
                        c.field("co_occurrence", "p_value"), c.signal_score("beacon"),
                        c.signal_score("server_profile"));
        }
        std::printf("%llu flows, %llu servers (%llu popular excluded), %zu seeds, %zu candidates%s\n",
                    (unsigned long long)result.flows, (unsigned long long)result.servers,
                    (unsigned long long)result.popular_excluded, seeds.size(), result.candidates.size(),
                    args.has("record") ? (", " + std::to_string(recorded) + " recorded").c_str() : "");
    }
    return std::cout.flush() ? kExitOk : kExitFailure;
}

}  // namespace iotwatch::cli

// `iotwatch sites`: the malicious-site list (ACTIVE): import partner feeds and submissions, export
// a DNS Response Policy Zone for ISPs' resolvers, or plain lists.
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/feed_input.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "sharing/malicious_site.h"
#include "sharing/rpz_zone.h"
#include "store/store.h"

namespace iotwatch::cli {
namespace {

std::vector<MaliciousSite> stored_sites(Store& store) {
    std::vector<MaliciousSite> out;
    for (const auto& r : store.malicious_sites())
        out.push_back({r.domain, r.url, r.category, r.source, r.first_seen_ns, r.last_seen_ns});
    return out;
}

int run_import(int argc, char** argv) {
    ArgParser args("sites import", "--feed NAME [--format csv|stix] [--category C] [--db FILE] FILE...",
                   "Adds malware-distribution and phishing URLs/domains from a partner feed or submission: CSV\n"
                   "with a url, domain or host column (optional first_seen and category columns) or a STIX 2.1\n"
                   "bundle (indicators on url:value / domain-name:value). Known entries widen their first/last\n"
                   "seen. A bad record is reported with file, line or object and field, skipped, and makes the\n"
                   "exit code 3; good records are kept.");
    args.option("feed", "NAME", "source of the list (kept with each entry)");
    args.option("format", "FORMAT", "csv or stix (default: stix for *.json, else csv)");
    args.option("category", "C", "category for CSV rows without one (default malware)");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.flag("json", "print the summary as one JSON object");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.has("feed") || args.get("feed").empty()) throw ConfigError("--feed NAME is required");
    if (args.positional().empty()) throw ConfigError("give at least one FILE");
    auto store = open_store(args.get("db", "iotwatch.db"));
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    uint64_t read = 0, added = 0, bad = 0;
    for (const auto& path : args.positional()) {
        const std::string format = feed_format(path, args.get("format"));
        const std::string text = read_input_file(path);
        SiteParseResult r = format == "csv" ? parse_sites_csv(text, path, args.get("feed"), args.get("category"), now)
                                            : parse_sites_stix(text, path, args.get("feed"));
        for (const auto& e : r.errors) std::cerr << "iotwatch sites: " << e << "\n";
        std::vector<MaliciousSiteRow> rows;
        for (const auto& s : r.sites) rows.push_back({s.domain, s.url, s.category, s.source, s.first_seen_ns, s.last_seen_ns});
        read += rows.size();
        bad += r.bad;
        added += store->put_malicious_sites(rows);
    }
    print_feed_summary(std::cout, args.has("json"), args.get("feed"), read, added, bad);
    return bad ? kExitBadInput : kExitOk;
}

int run_rpz(int argc, char** argv) {
    ArgParser args("sites rpz", "(--warning-a IP [--warning-aaaa IP] | --warning-cname NAME | --nxdomain) [--zone Z] [--output FILE]",
                   "Writes the list as a DNS Response Policy Zone for BIND (response-policy) or Unbound (rpz:):\n"
                   "every listed domain and every name under it is answered with the warning page's address\n"
                   "(or CNAME, or NXDOMAIN). The same list gives the same file (the SOA serial is YYYYMMDD00 of\n"
                   "the newest entry unless --serial is given).");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.option("zone", "NAME", "policy zone name, also the file's $ORIGIN (default rpz.iotwatch.local)");
    args.option("warning-a", "IP", "IPv4 address of the warning page");
    args.option("warning-aaaa", "IP", "IPv6 address of the warning page");
    args.option("warning-cname", "NAME", "answer with a CNAME to this name instead");
    args.flag("nxdomain", "answer NXDOMAIN instead of redirecting");
    args.option("ttl", "SECONDS", "TTL of the policy records (default 300)");
    args.option("serial", "N", "SOA serial (default: YYYYMMDD00 of the newest entry)");
    args.option("output", "FILE", "write to FILE (atomically) instead of stdout");
    if (!args.parse(argc, argv)) return kExitOk;
    RpzOptions o;
    o.zone = args.get("zone", o.zone);
    o.warning_a = args.get("warning-a");
    o.warning_aaaa = args.get("warning-aaaa");
    o.warning_cname = args.get("warning-cname");
    o.nxdomain = args.has("nxdomain");
    const long long ttl = args.get_int("ttl", 300);
    if (ttl < 0 || ttl > 86400) throw ConfigError("--ttl must be 0..86400");
    o.ttl = static_cast<uint32_t>(ttl);
    const long long serial = args.get_int("serial", 0);
    if (serial < 0 || serial > 4294967295LL) throw ConfigError("--serial must be 0..4294967295");
    o.serial = static_cast<uint32_t>(serial);
    auto store = open_store(args.get("db", "iotwatch.db"));
    const std::string zone = render_rpz_zone(stored_sites(*store), o);
    if (!args.has("output")) {
        std::cout << zone;
        return std::cout ? kExitOk : kExitFailure;
    }
    const std::string path = args.get("output"), tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << zone;
        if (!out) throw StoreError(tmp + ": cannot write");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw StoreError(path + ": cannot rename into place");
    return kExitOk;
}

int run_list(int argc, char** argv) {
    ArgParser args("sites list", "[--format domains|urls|csv|jsonl] [--db FILE]",
                   "Prints the list: distinct domains or URLs one per line (for block lists and proxies), or\n"
                   "every entry with category, source and first/last seen as CSV or JSON lines.");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.option("format", "FORMAT", "domains (default), urls, csv or jsonl");
    if (!args.parse(argc, argv)) return kExitOk;
    const std::string format = args.get("format", "domains");
    auto store = open_store(args.get("db", "iotwatch.db"));
    const auto rows = store->malicious_sites();
    if (format == "domains" || format == "urls") {
        std::set<std::string> seen;
        for (const auto& r : rows) {
            const std::string& v = format == "domains" ? r.domain : r.url;
            if (!v.empty() && seen.insert(v).second) std::cout << v << "\n";
        }
    } else if (format == "csv") {
        std::cout << "domain,url,category,source,first_seen,last_seen\n";
        auto q = [](const std::string& v) {
            if (v.find_first_of(",\"\n") == std::string::npos) return v;
            std::string o = "\"";
            for (char c : v) o += c == '"' ? std::string("\"\"") : std::string(1, c);
            return o + "\"";
        };
        for (const auto& r : rows)
            std::cout << q(r.domain) << "," << q(r.url) << "," << q(r.category) << "," << q(r.source) << ","
                      << format_utc(r.first_seen_ns) << "," << format_utc(r.last_seen_ns) << "\n";
    } else if (format == "jsonl") {
        for (const auto& r : rows) {
            JsonWriter w(std::cout);
            w.begin_object().key("domain").value(r.domain).key("url").value(r.url).key("category").value(r.category)
                .key("source").value(r.source).key("first_seen").value(format_utc(r.first_seen_ns))
                .key("last_seen").value(format_utc(r.last_seen_ns)).end_object();
            std::cout << "\n";
        }
    } else {
        throw ConfigError("--format must be domains, urls, csv or jsonl, not '" + format + "'");
    }
    return std::cout ? kExitOk : kExitFailure;
}

}  // namespace

int cmd_sites(int argc, char** argv) {
    static const char* kUsage =
        "usage: iotwatch sites import|rpz|list [OPTIONS]\n\n"
        "The malicious-site list (ACTIVE): malware-distribution and phishing URLs/domains.\n"
        "  import   add entries from partner feeds or submissions (CSV, STIX 2.1)\n"
        "  rpz      write a DNS Response Policy Zone for ISPs' resolvers (BIND, Unbound)\n"
        "  list     print the list (domains, urls, csv, jsonl)\n"
        "`iotwatch sites SUBCOMMAND --help` explains each.\n";
    if (argc < 1 || !std::strcmp(argv[0], "--help") || !std::strcmp(argv[0], "-h")) {
        std::fputs(kUsage, argc < 1 ? stderr : stdout);
        return argc < 1 ? kExitUsage : kExitOk;
    }
    const std::string sub = argv[0];
    if (sub == "import") return run_import(argc - 1, argv + 1);
    if (sub == "rpz") return run_rpz(argc - 1, argv + 1);
    if (sub == "list") return run_list(argc - 1, argv + 1);
    throw ConfigError("unknown sites subcommand '" + sub + "' (import, rpz, list)");
}

}  // namespace iotwatch::cli

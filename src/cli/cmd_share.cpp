// `iotwatch share`: the sharing hub from the command line (the TAXII 2.1 endpoints of `serve` are
// the network face of the same SharingHub): anonymised submissions, publishing iotwatch's own daily
// findings, and TLP-checked reads.
#include <chrono>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/feed_input.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "notify/alert_format.h"
#include "flows/cnc_scorer.h"
#include "sharing/findings_stix.h"
#include "sharing/sharing_hub.h"

namespace iotwatch::cli {
namespace {

Reader reader_from(const ArgParser& args, const OrganisationRegistry* reg) {
    if (args.has("admin")) return {"", true};
    if (!args.has("as")) throw ConfigError("say who reads: --as ORG or --admin (the hub enforces TLP per reader)");
    if (reg && reg->find(args.get("as")) == OrganisationRegistry::kNone)
        throw ConfigError("--as: no organisation '" + args.get("as") + "' in the registry");
    return {args.get("as"), false};
}

}  // namespace

int cmd_share(int argc, char** argv) {
    static const char* kUsage =
        "usage: iotwatch share submit|publish|get|collections|seals [OPTIONS]\n\n"
        "The information-sharing hub (J-CSIP / ISAC style), TLP 2.0 enforced on every read:\n"
        "  submit       an organisation's STIX 2.1 bundle, anonymised and routed to its sectors\n"
        "  publish      iotwatch's own findings of a day: alert sightings, scan campaigns, DoS victims,\n"
        "               C&C candidates (iotwatch cnc --record)\n"
        "               (to the owning organisation, TLP:AMBER; unowned addresses: national, TLP:GREEN)\n"
        "  get          the objects of a collection a reader may see, as a STIX bundle\n"
        "  collections  the collections a reader may see\n"
        "  seals        the sealed submitter mapping (operator only)\n"
        "Common options: --db FILE, --orgs FILE (registry: sectors), --as ORG | --admin.\n";
    if (argc < 1 || !std::strcmp(argv[0], "--help") || !std::strcmp(argv[0], "-h")) {
        std::fputs(kUsage, argc < 1 ? stderr : stdout);
        return argc < 1 ? kExitUsage : kExitOk;
    }
    const std::string sub = argv[0];
    ArgParser args("share " + sub, "[OPTIONS]", "See `iotwatch share --help`.");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.option("orgs", "FILE", "organisation registry (sector membership)");
    args.option("org", "ID", "submit: the submitting organisation");
    args.option("as", "ORG", "read as this organisation");
    args.flag("admin", "read as the hub operator (everything; logged)");
    args.option("collection", "NAME", "get: the collection (national, sector-<name>, org-<id>)");
    args.option("added-after", "TIME", "get: only objects added after this UTC time");
    args.option("type", "TYPE", "get: only this STIX type");
    args.option("day", "YYYY-MM-DD", "publish: the day whose alerts to publish");
    if (!args.parse(argc - 1, argv + 1)) return kExitOk;
    auto store = open_store(args.get("db", "iotwatch.db"));
    std::unique_ptr<OrganisationRegistry> reg;
    if (args.has("orgs")) reg = std::make_unique<OrganisationRegistry>(OrganisationRegistry::load(args.get("orgs")));
    SharingHub hub(*store, reg.get());

    if (sub == "submit") {
        if (!args.has("org")) throw ConfigError("--org ID (the submitter) is required");
        if (reg && reg->find(args.get("org")) == OrganisationRegistry::kNone)
            throw ConfigError("--org: no organisation '" + args.get("org") + "' in the registry");
        if (args.positional().empty()) throw ConfigError("give the bundle FILE(s)");
        int rc = kExitOk;
        for (const auto& path : args.positional()) {
            const SubmissionResult r = hub.submit(read_input_file(path), path, args.get("org"), now_ns());
            JsonWriter w(std::cout);
            w.begin_object().key("file").value(path).key("status").value(r.status_id).key("accepted").value(uint64_t(r.accepted))
                .key("merged").value(uint64_t(r.merged)).key("sites_added").value(uint64_t(r.sites)).key("severity").value(r.severity).key("severity_reason")
                .value(r.severity_reason).key("collections").begin_array();
            for (const auto& c : r.collections) w.value(c);
            w.end_array().key("errors").begin_array();
            for (const auto& e : r.errors) w.value(e);
            w.end_array().end_object();
            std::cout << "\n";
            if (!r.errors.empty()) rc = kExitBadInput;
        }
        return rc;
    }
    if (sub == "publish") {
        if (!reg) throw ConfigError("--orgs FILE is required (whose alerts go where)");
        auto t = parse_utc(args.get("day"));
        if (!t || args.get("day").size() != 10) throw ConfigError("--day YYYY-MM-DD is required");
        const int64_t day = bin_start_seconds(*t, 86400);
        size_t published = 0;
        for (const auto& org : reg->organisations()) {
            std::vector<AlertRow> rows;
            for (auto& r : store->alerts({day, day + 86400}))
                if (r.org == org.id) rows.push_back(r);
            if (rows.empty()) continue;
            // The same STIX objects the organisation's alert file carries (TLP:AMBER, to it alone).
            const auto bundle = nlohmann::json::parse(render_stix_bundle({&org, day}, rows));
            for (const auto& o : bundle["objects"]) {
                hub.publish("org-" + org.id, o.dump(), "", {org.id}, now_ns());
                ++published;
            }
        }
        // Scan campaigns and DoS victims of the day: to the organisation owning the address
        // (TLP:AMBER, that organisation alone: its subscribers' devices), else to the national
        // collection (TLP:GREEN: addresses outside every participating organisation).
        // C&C candidates recorded by `iotwatch cnc --record` the same way.
        size_t scans = 0, victims = 0, cnc = 0;
        auto route = [&](const IpAddress& a, const std::vector<std::string>& objects) {
            const uint32_t owner = reg->owner(a);
            for (const auto& o : objects) {
                if (owner != OrganisationRegistry::kNone) {
                    const std::string& id = reg->organisations()[owner].id;
                    hub.publish("org-" + id, o, "", {id}, now_ns());
                } else {
                    hub.publish("national", o, "", {}, now_ns());
                }
                ++published;
            }
        };
        for (const auto& e : store->scan_events({day, day + 86400}, SIZE_MAX)) {
            const bool owned = reg->owner(e.src) != OrganisationRegistry::kNone;
            route(e.src, scan_event_stix(e, owned ? Tlp::kAmber : Tlp::kGreen));
            ++scans;
        }
        for (const auto& a : store->dos_attacks({day, day + 86400}, SIZE_MAX)) {
            const bool owned = reg->owner(a.victim) != OrganisationRegistry::kNone;
            route(a.victim, dos_attack_stix(a, owned ? Tlp::kAmber : Tlp::kGreen));
            ++victims;
        }
        for (const auto& e : store->external_evidence({day, day + 86400})) {
            if (e.feed != kCncEvidenceFeed) continue;
            const auto d = parse_cnc_evidence(e.detail);
            if (!d) continue;  // not written by iotwatch cnc
            const bool owned = reg->owner(e.address) != OrganisationRegistry::kNone;
            route(e.address, cnc_candidate_stix(e.address, d->protocol, d->port, d->score, d->clients, d->seed_clients,
                                                e.ts_ns, owned ? Tlp::kAmber : Tlp::kGreen));
            ++cnc;
        }
        std::cout << "published " << published << " objects for " << args.get("day") << " (" << scans
                  << " scan campaigns, " << victims << " DoS victims, " << cnc << " C&C candidates)\n";
        return kExitOk;
    }
    const Reader reader = reader_from(args, reg.get());
    store->log_access({now_ns(), reader.admin ? "operator" : reader.org, "share." + sub,
                       args.get("collection", "*")});
    if (sub == "collections") {
        for (const auto& c : hub.collections(reader)) std::cout << c << "\n";
        return kExitOk;
    }
    if (sub == "get") {
        int64_t after = INT64_MIN;
        if (args.has("added-after")) {
            auto t = parse_utc(args.get("added-after"));
            if (!t) throw ConfigError("--added-after: '" + args.get("added-after") + "' is not a UTC time");
            after = *t;
        }
        nlohmann::json bundle = {{"type", "bundle"},
                                 {"id", "bundle--" + uuid5("0b6c2f0e-8a4d-4e3b-9c55-7d1e2a9f6b30",
                                                           "get|" + args.get("collection") + "|" + reader.org)},
                                 {"objects", nlohmann::json::array()}};
        for (const auto& o : hub.objects(reader, args.get("collection"), after, SIZE_MAX, args.get("type"))) {
            auto obj = nlohmann::json::parse(o.json);
            if (o.reports > 1) obj["x_iotwatch_reports"] = o.reports;
            bundle["objects"].push_back(std::move(obj));
        }
        std::cout << bundle.dump() << "\n";
        return kExitOk;
    }
    if (sub == "seals") {
        if (!reader.admin) throw ConfigError("the sealed submitter mapping is for the operator only (--admin)");
        for (const auto& s : store->share_seals())
            std::cout << s.object_id << "\t" << s.submitter << "\t" << format_utc(s.submitted_ns) << "\t" << s.status_id << "\n";
        return kExitOk;
    }
    throw ConfigError("unknown share subcommand '" + sub + "' (submit, publish, get, collections, seals)");
}

}  // namespace iotwatch::cli

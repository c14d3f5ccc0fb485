// `iotwatch survey`: the NOTICE-style weak-credential survey of allow-listed address space.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"
#include "enrich/organisation_registry.h"
#include "store/store.h"
#include "survey/credential_list.h"
#include "survey/cyclic_permutation.h"
#include "survey/probe_registry.h"
#include "survey/rate_limiter.h"
#include "survey/survey_engine.h"
#include "survey/monthly_summary.h"
#include "survey/survey_scope.h"

namespace iotwatch::cli {
namespace {

struct PortModule {
    uint16_t port;
    const ProbeModule* module;
};

/// "23,2323,8023/telnet,443/https": a bare port takes its default module.
std::vector<PortModule> parse_ports(const std::string& text) {
    std::vector<PortModule> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item.empty()) continue;
        const auto slash = item.find('/');
        const std::string num = item.substr(0, slash);
        long port = 0;
        try {
            size_t used = 0;
            port = std::stol(num, &used);
            if (used != num.size()) port = 0;
        } catch (...) {
            port = 0;
        }
        if (port < 1 || port > 65535) throw ConfigError("--ports: '" + item + "' is not a port (1..65535)");
        const ProbeModule* m = slash == std::string::npos ? ProbeRegistry::for_port(uint16_t(port))
                                                          : ProbeRegistry::find(item.substr(slash + 1));
        if (!m)
            throw ConfigError("--ports: '" + item + "': no probe module" +
                              (slash == std::string::npos ? " for this port (write PORT/MODULE: telnet, http, https)"
                                                          : " of that name (telnet, http, https)"));
        for (const auto& pm : out)
            if (pm.port == port) throw ConfigError("--ports: port " + num + " is listed twice");
        out.push_back({uint16_t(port), m});
    }
    if (out.empty()) throw ConfigError("--ports: no port given");
    return out;
}

std::string ports_text(const std::vector<PortModule>& ports) {
    std::string s;
    for (const auto& p : ports) s += (s.empty() ? "" : ",") + std::to_string(p.port) + "/" + p.module->name;
    return s;
}

void write_result_json(JsonWriter& w, const SurveyResult& r) {
    w.begin_object();
    w.key("campaign").value(r.campaign);
    w.key("address").value(r.address.to_string());
    w.key("port").value(unsigned(r.port));
    w.key("protocol").value(r.protocol);
    w.key("outcome").value(outcome_name(r.outcome));
    if (r.credential_id.empty()) w.key("credential_id").null();
    else w.key("credential_id").value(r.credential_id);
    w.key("attempts").value(unsigned(r.attempts));
    w.key("started").value(format_utc(r.started_ns, 3));
    w.key("ended").value(format_utc(r.ended_ns, 3));
    w.key("source_address").value(r.source_address);
    w.key("detail").value(r.detail);
    w.end_object();
}

}  // namespace

/// `survey --summary YYYY-MM`: the month's results of every campaign, summarised.
static int print_monthly_summary(const ArgParser& args) {
    const std::string month = args.get("summary");
    const auto month_range = month_seconds(month);
    if (!month_range) throw ConfigError("--summary: '" + month + "' is not YYYY-MM");
    const TimeRange range{month_range->first, month_range->second};
    std::optional<OrganisationRegistry> reg;
    if (args.has("orgs")) reg = OrganisationRegistry::load(args.get("orgs"));
    auto store = open_store(args.get("db", "iotwatch.db"));
    const auto rows = summarise_survey(store->survey_results_between(range), reg ? &*reg : nullptr);
    if (args.has("json")) {
        JsonWriter w(std::cout);
        for (const auto& r : rows) {
            w.begin_object();
            w.key("month").value(month);
            w.key("org").value(r.org);
            w.key("protocol").value(r.protocol);
            w.key("surveyed").value(r.surveyed);
            w.key("responded").value(r.responded);
            w.key("auth_prompt").value(r.auth_prompt);
            w.key("login_ok").value(r.login_ok);
            w.key("no_auth").value(r.no_auth);
            w.end_object();
            std::cout << '\n';
        }
    } else {
        std::printf("%-20s %-10s %10s %10s %12s %10s %8s\n", "organisation", "protocol", "surveyed", "answered",
                    "id/password", "login-ok", "no-auth");
        for (const auto& r : rows)
            std::printf("%-20s %-10s %10llu %10llu %12llu %10llu %8llu\n", r.org.c_str(), r.protocol.c_str(),
                        (unsigned long long)r.surveyed, (unsigned long long)r.responded,
                        (unsigned long long)r.auth_prompt, (unsigned long long)r.login_ok,
                        (unsigned long long)r.no_auth);
        if (rows.empty()) std::printf("(no survey results in %s)\n", month.c_str());
    }
    return std::cout.flush() ? kExitOk : kExitFailure;
}

int cmd_survey(int argc, char** argv) {
    ArgParser args("survey", "(--orgs FILE [--org ID]... | --allow FILE) --source-address ADDR --contact TEXT [options]",
                   "Surveys allow-listed address space for IoT login prompts and weak credentials (NOTICE):\n"
                   "per (address, port, protocol) the outcome closed, open-no-service, no-auth, auth-prompt,\n"
                   "login-ok (with the credential's id, never the password), error or timeout, stored in the\n"
                   "store's survey tables. There are no default targets: the allow-list comes from the\n"
                   "organisation registry's prefixes or an allow file, and the block list (reserved and\n"
                   "special-use ranges, plus --block opt-out files) always applies. Loopback is blocked unless\n"
                   "--loopback-test, which requires every allow entry to be inside 127.0.0.0/8 or ::1. Rate limits\n"
                   "always apply. On a successful login the connection is closed at once; no command is ever\n"
                   "sent. Targets are visited in a seeded cyclic-group order; rerun with the same --campaign\n"
                   "to continue a stopped campaign without probing finished targets again.");
    args.option("orgs", "FILE", "organisation registry: its prefixes are the allow-list");
    args.option("org", "ID", "only this organisation's prefixes (repeatable)", true);
    args.option("allow", "FILE", "allow-list file: one CIDR per line, '#' comments");
    args.option("block", "FILE", "opt-out / extra block list file, same format (repeatable; always applied)", true);
    args.option("ports", "LIST", "ports and modules, e.g. 23,2323,80,8023/telnet,443/https (default: NOTICE's 23,2323,22,80,8080,8000,81,443,8443)");
    args.option("rate", "N", "new connections per second, all targets (default 100)");
    args.option("rate-per-24", "N", "new connections per second per /24 (default 5)");
    args.option("rate-per-target", "N", "new connections per second per address (default 1)");
    args.option("max-attempts", "N", "credentials tried per device, 0 = only look for the prompt (default 10)");
    args.option("credentials", "FILE", "credential list CSV (id,user,password,source); default: built in (Mirai 2016 + MIC classes)");
    args.option("credential-order", "ORDER", "listed (default) or weight");
    args.option("concurrency", "N", "devices in flight (default 1000)");
    args.option("connect-timeout", "MS", "TCP connect timeout (default 3000)");
    args.option("phase-timeout", "MS", "silence allowed in a phase: banner, password, response (default 5000)");
    args.option("seed", "N", "target order seed (default: random, stored with the campaign)");
    args.option("campaign", "ID", "campaign id; an existing one is resumed (default: survey-<seed>)");
    args.option("source-address", "ADDR", "the scanner's published IPv4 address: sockets are bound to it");
    args.option("source-address6", "ADDR", "the scanner's published IPv6 address (required when the scope has IPv6)");
    args.option("contact", "TEXT", "opt-out contact published with the campaign (and in HTTP User-Agent)");
    args.flag("loopback-test", "a test campaign: the allow-list must be inside 127.0.0.0/8 or be ::1");
    args.flag("dry-run", "print the targets as JSON lines in probe order; send nothing");
    args.flag("results", "print the stored results of --campaign as JSON lines and exit");
    args.flag("campaigns", "print every stored campaign record (with its progress) as JSON lines and exit");
    args.option("summary", "YYYY-MM", "print NOTICE's monthly figures (per organisation of --orgs and protocol:\n"
                "addresses surveyed, answered, ID/password prompt, weak login accepted, no auth) and exit");
    args.option("db", "FILE|URL", "SQLite file or clickhouse://HOST:PORT/DB (default iotwatch.db)");
    args.flag("json", "print the run summary as one JSON object");
    args.flag("progress", "progress on stderr even when it is not a terminal");
    args.flag("quiet", "no progress");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.positional().empty()) throw ConfigError("unexpected argument '" + args.positional()[0] + "'");

    if (args.has("summary")) return print_monthly_summary(args);
    if (args.has("campaigns")) {
        auto store = open_store(args.get("db", "iotwatch.db"));
        JsonWriter w(std::cout);
        for (const auto& c : store->survey_campaigns()) {
            w.begin_object();
            w.key("id").value(c.id);
            w.key("created").value(format_utc(c.created_ns, 3));
            w.key("source_address").value(c.source_address);
            w.key("contact").value(c.contact);
            w.key("seed").value(c.seed);
            w.key("scope").value(c.scope);
            w.key("ports").value(c.ports);
            w.key("credentials").value(c.credentials);
            w.key("targets").value(c.total);
            w.key("position").value(c.position);
            w.key("emitted").value(c.emitted);
            w.key("finished").value(c.finished);
            w.key("loopback_test").value(c.loopback_test);
            w.end_object();
            std::cout << '\n';
        }
        return std::cout.flush() ? kExitOk : kExitFailure;
    }
    if (args.has("results")) {
        if (!args.has("campaign")) throw ConfigError("--results needs --campaign ID");
        auto store = open_store(args.get("db", "iotwatch.db"));
        JsonWriter w(std::cout);
        for (const auto& r : store->survey_results(args.get("campaign"))) {
            write_result_json(w, r);
            std::cout << '\n';
        }
        return std::cout.flush() ? kExitOk : kExitFailure;
    }

    // Scope: allow-list minus block list, built and checked before anything else.
    if (!args.has("orgs") && !args.has("allow"))
        throw ConfigError("--orgs FILE or --allow FILE is required: the survey has no default targets");
    std::vector<Prefix> allow;
    std::string scope_text;
    if (args.has("orgs")) {
        const auto reg = OrganisationRegistry::load(args.get("orgs"));
        allow = SurveyScope::from_registry(reg, args.all("org"));
        scope_text = "orgs=" + args.get("orgs");
    } else if (args.has("org")) {
        throw ConfigError("--org needs --orgs FILE");
    }
    if (args.has("allow")) {
        for (const auto& p : SurveyScope::load_allow_file(args.get("allow"))) allow.push_back(p);
        scope_text += (scope_text.empty() ? "" : " ") + std::string("allow=") + args.get("allow");
    }
    BlockList block = BlockList::reserved();
    for (const auto& f : args.all("block")) {
        block.add_file(f);
        scope_text += " block=" + f;
    }
    const bool loopback_test = args.has("loopback-test");
    const SurveyScope scope(allow, std::move(block), loopback_test);
    const auto ports = parse_ports(args.get("ports", "23,2323,22,80,8080,8000,81,443,8443"));

    RateLimits limits;
    limits.global_per_s = args.get_double("rate", limits.global_per_s);
    limits.per_24_per_s = args.get_double("rate-per-24", limits.per_24_per_s);
    limits.per_target_per_s = args.get_double("rate-per-target", limits.per_target_per_s);
    const long long max_attempts = args.get_int("max-attempts", 10);
    if (max_attempts < 0 || max_attempts > 1000) throw ConfigError("--max-attempts: must be 0..1000");
    limits.attempts_per_device = uint32_t(max_attempts);
    RateLimiter limiter(limits);

    CredentialList creds = args.has("credentials") ? CredentialList::load(args.get("credentials")) : CredentialList::builtin();
    const std::string order = args.get("credential-order", "listed");
    if (order != "listed" && order != "weight") throw ConfigError("--credential-order: 'listed' or 'weight', not '" + order + "'");
    creds.order(order == "weight" ? CredentialOrder::kWeight : CredentialOrder::kListed);

    const uint64_t total = scope.size() * ports.size();
    uint64_t seed = args.has("seed") ? uint64_t(args.get_int("seed", 0)) : std::random_device{}() * 0x100000000ULL + std::random_device{}();
    scope_text += " addresses=" + std::to_string(scope.size()) + " blocked=" + std::to_string(scope.blocked());

    auto target_at = [&](uint64_t i) {
        return SurveyTarget{i, scope.at(i / ports.size()), ports[i % ports.size()].port, ports[i % ports.size()].module};
    };

    if (args.has("dry-run")) {
        CyclicPermutation perm(total, seed);
        JsonWriter w(std::cout);
        while (auto i = perm.next()) {
            const SurveyTarget t = target_at(*i);
            w.begin_object();
            w.key("index").value(*i);
            w.key("address").value(t.address.to_string());
            w.key("port").value(unsigned(t.port));
            w.key("protocol").value(t.module->name);
            w.key("max_attempts").value(unsigned(limits.attempts_per_device));
            w.end_object();
            std::cout << '\n';
            if (!std::cout) return kExitFailure;
        }
        std::cerr << "survey --dry-run: " << total << " targets (" << scope.size() << " addresses x " << ports.size()
                  << " ports), seed " << seed << "; nothing was sent\n";
        return kExitOk;
    }

    if (!args.has("source-address")) throw ConfigError("--source-address: required (the scanner's published address)");
    if (!args.has("contact") || args.get("contact").empty()) throw ConfigError("--contact: required (the published opt-out contact)");
    auto source = IpAddress::parse(args.get("source-address"));
    if (!source || !source->is_v4()) throw ConfigError("--source-address: '" + args.get("source-address") + "' is not an IPv4 address");
    std::optional<IpAddress> source6;
    if (args.has("source-address6")) {
        source6 = IpAddress::parse(args.get("source-address6"));
        if (!source6 || source6->is_v4())
            throw ConfigError("--source-address6: '" + args.get("source-address6") + "' is not an IPv6 address");
    } else if (scope.v6_addresses() > 0 && !loopback_test) {
        throw ConfigError("--source-address6: required, the scope has " + std::to_string(scope.v6_addresses()) +
                          " IPv6 addresses (the scanner's published IPv6 address)");
    }
    // The published addresses, as stored with the campaign: "IPv4" or "IPv4 IPv6".
    const std::string published = source->to_string() + (source6 ? " " + source6->to_string() : "");

    auto store = open_store(args.get("db", "iotwatch.db"));
    std::string campaign_id = args.get("campaign");
    SurveyCampaign campaign;
    std::optional<SurveyCampaign> stored = campaign_id.empty() ? std::nullopt : store->survey_campaign(campaign_id);
    if (stored) {
        campaign = *stored;
        if (args.has("seed") && seed != campaign.seed) throw ConfigError("--seed: campaign '" + campaign_id + "' was started with seed " + std::to_string(campaign.seed));
        if (campaign.total != total || campaign.ports != ports_text(ports) || campaign.loopback_test != loopback_test)
            throw ConfigError("--campaign: '" + campaign_id + "' was started with another scope or ports (" + campaign.ports + ", " +
                              std::to_string(campaign.total) + " targets); use a new campaign id");
        seed = campaign.seed;
    } else {
        if (campaign_id.empty()) campaign_id = "survey-" + std::to_string(seed);
        campaign = {campaign_id, now_ns(), published, args.get("contact"), seed, scope_text, ports_text(ports),
                    args.has("credentials") ? args.get("credentials") : "builtin", total, 0, 0, false, loopback_test};
        store->put_survey_campaign(campaign);
    }

    // Resume: continue the permutation at the stored low-water position, skipping targets that
    // finished beyond it before the stop.
    CyclicPermutation perm(total, seed);
    perm.seek(campaign.position, campaign.emitted);
    std::set<uint64_t> done_before;
    for (const auto& r : store->survey_results(campaign_id)) done_before.insert(r.index);

    EngineSettings settings;
    settings.concurrency = size_t(std::max<long long>(1, args.get_int("concurrency", 1000)));
    {
        // One socket per device in flight (+ the store, the epoll fd, stdio): raise the soft
        // open-file limit as far as the hard one allows, and say so when it still does not fit.
        rlimit lim{};
        const rlim_t need = rlim_t(settings.concurrency) + 64;
        if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < need) {
            lim.rlim_cur = std::min(need, lim.rlim_max);
            setrlimit(RLIMIT_NOFILE, &lim);
            getrlimit(RLIMIT_NOFILE, &lim);
            if (lim.rlim_cur < need)
                throw ConfigError("--concurrency " + std::to_string(settings.concurrency) + " needs " + std::to_string(need) +
                                  " open files; the hard limit (ulimit -Hn) is " + std::to_string(lim.rlim_max));
        }
    }
    settings.connect_timeout_ms = int(args.get_int("connect-timeout", 3000));
    settings.phase_timeout_ms = int(args.get_int("phase-timeout", 5000));
    settings.connection_max_ms = std::max(settings.phase_timeout_ms * 4, 20000);
    settings.source = source;
    settings.source6 = source6;
    settings.campaign = campaign_id;
    settings.contact = campaign.contact;
    SurveyEngine engine(scope, limiter, creds, settings);

    // In-flight targets in emission order, with the permutation state after each was emitted: the
    // stored position only passes a target once it (and every one before it) has a result.
    struct Issued {
        uint64_t index, steps, emitted;
        bool done = false;
    };
    std::deque<Issued> issued;
    std::vector<SurveyResult> pending;
    uint64_t skipped = 0;
    auto next = [&]() -> std::optional<SurveyTarget> {
        while (auto i = perm.next()) {
            if (done_before.count(*i)) {
                ++skipped;
                issued.push_back({*i, perm.position(), perm.emitted(), true});
                continue;
            }
            issued.push_back({*i, perm.position(), perm.emitted(), false});
            return target_at(*i);
        }
        return std::nullopt;
    };
    auto checkpoint = [&](bool finished) {
        while (!issued.empty() && issued.front().done) {
            campaign.position = issued.front().steps;
            campaign.emitted = issued.front().emitted;
            issued.pop_front();
        }
        campaign.finished = finished;
        store->begin();
        store->put_survey_results(pending);
        store->put_survey_campaign(campaign);
        store->commit();
        pending.clear();
    };
    auto last_flush = std::chrono::steady_clock::now();
    auto on_result = [&](const SurveyResult& r) {
        pending.push_back(r);
        for (auto& is : issued)
            if (is.index == r.index && !is.done) {
                is.done = true;
                break;
            }
        if (pending.size() >= 256 || std::chrono::steady_clock::now() - last_flush > std::chrono::seconds(1)) {
            checkpoint(false);
            last_flush = std::chrono::steady_clock::now();
        }
    };
    const bool show_progress = !args.has("quiet") && (args.has("progress") || isatty(STDERR_FILENO));
    const uint64_t remaining_at_start = total - campaign.emitted;
    auto progress = [&](const EngineStats& s) {
        if (!show_progress) return;
        const double rate = s.elapsed_s > 0 ? double(s.done) / s.elapsed_s : 0;
        const double left = double(remaining_at_start) - double(s.done) - double(skipped);
        std::fprintf(stderr, "survey: %llu/%llu targets done, %.1f/s, ETA %.0f s, in flight %llu;",
                     (unsigned long long)(s.done + skipped + (total - remaining_at_start)), (unsigned long long)total, rate,
                     rate > 0 ? left / rate : 0.0, (unsigned long long)s.in_flight);
        for (int o = 0; o < kSurveyOutcomeCount; ++o)
            std::fprintf(stderr, " %s %llu", outcome_name(SurveyOutcome(o)), (unsigned long long)s.outcomes[o]);
        std::fputc('\n', stderr);
    };
    const EngineStats stats = engine.run(next, on_result, &stop_requested(), progress);
    const bool interrupted = stop_requested().load();
    checkpoint(!interrupted && perm.emitted() == total);
    progress(stats);

    if (args.has("json")) {
        JsonWriter w(std::cout);
        w.begin_object();
        w.key("campaign").value(campaign_id);
        w.key("source_address").value(campaign.source_address);
        w.key("contact").value(campaign.contact);
        w.key("seed").value(campaign.seed);
        w.key("targets").value(total);
        w.key("addresses").value(scope.size());
        w.key("blocked_addresses").value(scope.blocked());
        w.key("ipv6_addresses").value(scope.v6_addresses());
        w.key("probed").value(stats.done);
        w.key("skipped_already_done").value(skipped);
        w.key("refused").value(stats.refused);
        w.key("connections").value(stats.connections);
        w.key("credentials").value(uint64_t(creds.size()));
        w.key("max_attempts").value(unsigned(limits.attempts_per_device));
        w.key("outcomes").begin_object();
        for (int o = 0; o < kSurveyOutcomeCount; ++o) w.key(outcome_name(SurveyOutcome(o))).value(stats.outcomes[o]);
        w.end_object();
        w.key("seconds").value(stats.elapsed_s);
        w.key("finished").value(campaign.finished);
        w.end_object();
        std::cout << '\n';
    } else {
        std::printf("campaign %s: %llu targets probed (%llu already done), %llu connections, %.1f s%s\n",
                    campaign_id.c_str(), (unsigned long long)stats.done, (unsigned long long)skipped,
                    (unsigned long long)stats.connections, stats.elapsed_s, campaign.finished ? "" : " (not finished)");
        for (int o = 0; o < kSurveyOutcomeCount; ++o)
            std::printf("  %-16s %llu\n", outcome_name(SurveyOutcome(o)), (unsigned long long)stats.outcomes[o]);
    }
    std::cout.flush();
    if (interrupted) return kExitInterrupted;
    return std::cout ? kExitOk : kExitFailure;
}

}  // namespace iotwatch::cli

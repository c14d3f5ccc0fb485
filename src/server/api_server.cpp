#include <cstdio>
#include "server/api_server.h"
#include "server/taxii_service.h"

// Debian builds cpp-httplib as a shared library; its pkg-config flags define
// CPPHTTPLIB_OPENSSL_SUPPORT (HTTPS) to match that build.
#include <httplib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/timestamp.h"
#include "report/telescope_report.h"
#include "server/access_control.h"
#include "server/api_error.h"
#include "server/request_params.h"
#include "server/response_cache.h"
#include "survey/monthly_summary.h"

namespace iotwatch::server {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

/// A sensor whose last batch is older than this is shown as stale (it sends one a second).
constexpr double kSensorStaleSeconds = 60;

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// JSON text, replacing invalid UTF-8 instead of throwing (store strings come from captures).
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json range_json(const TimeRange& r) {
    json j;
    j["from"] = r.from == INT64_MIN ? json(nullptr) : json(format_utc(r.from * kNanosPerSecond));
    j["to"] = r.to == INT64_MAX ? json(nullptr) : json(format_utc(r.to * kNanosPerSecond));
    return j;
}

const char* proto_name(uint8_t p) { return p == 6 ? "tcp" : p == 17 ? "udp" : p == 58 ? "icmp6" : p == 1 ? "icmp" : "other"; }

/// What a handler answers: a body and its type (JSON unless a file is downloaded).
struct Reply {
    Reply() = default;
    explicit Reply(std::string b) : body(std::move(b)) {}
    std::string body;
    std::string content_type = "application/json";
    std::string disposition;  // Content-Disposition, for downloads
};

bool valid_org_id(const std::string& s) {
    static const std::regex kId("[a-z0-9][a-z0-9-]{0,63}");
    return std::regex_match(s, kId);
}

}  // namespace

struct ApiServer::Impl {
    Options options;
    std::unique_ptr<Store> store;
    LiveFeed* live;
    AccessControl access;
    std::unique_ptr<GeoEnricher> geo;  // guarded by store_mutex (not thread-safe)
    std::unique_ptr<httplib::Server> http;
    std::unique_ptr<TaxiiService> taxii;  // guarded by store_mutex
    std::mutex store_mutex;
    std::atomic<bool> stopping{false};
    std::atomic<unsigned> stream_clients{0};
    ResponseCache cache;

    Impl(Options o, std::unique_ptr<Store> s, LiveFeed* l)
        : options(std::move(o)), store(std::move(s)), live(l), access(options.admin_token, options.registry),
          cache(std::chrono::milliseconds(int64_t(options.cache_seconds) * 1000), 512) {
        if (!options.geo.location_db.empty() || !options.geo.asn_db.empty()) geo = std::make_unique<GeoEnricher>(options.geo);
        if (options.tls_cert.empty() != options.tls_key.empty()) throw ConfigError("--tls-cert and --tls-key go together");
        if (!options.tls_cert.empty()) {
            auto ssl = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
            if (!ssl->is_valid())
                throw ConfigError("cannot load the TLS certificate/key " + options.tls_cert + " / " + options.tls_key);
            http = std::move(ssl);
        } else {
            http = std::make_unique<httplib::Server>();
        }
        if (!options.web_root.empty() && !fs::is_directory(options.web_root))
            throw ConfigError("--web-root " + options.web_root + " is not a directory");
        const unsigned threads = std::max(2u, options.threads);
        http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
        // Only TAXII POSTs carry bodies (envelopes of STIX objects); the rest of the API takes none.
        http->set_payload_max_length(10 * 1024 * 1024);
        taxii = std::make_unique<TaxiiService>(*store, options.registry);
        http->set_keep_alive_max_count(1000);      // dashboards and load balancers reuse connections
        // Headers and body go out in separate writes: without TCP_NODELAY, Nagle + delayed ACK add
        // 40 ms to every response (measured: 44 ms p50 for /health).
        http->set_tcp_nodelay(true);
        http->set_default_headers({{"X-Content-Type-Options", "nosniff"},
                                   {"Referrer-Policy", "no-referrer"},
                                   {"Content-Security-Policy",
                                    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"}});
        routes();
    }

    // ---- helpers ---------------------------------------------------------------------------

    static void error_reply(httplib::Response& res, int status, const std::string& parameter, const std::string& message) {
        json j{{"error", message}, {"status", status}};
        if (!parameter.empty()) j["parameter"] = parameter;
        res.status = status;
        if (status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"iotwatch\"");
        res.set_content(dump(j) + "\n", "application/json");
    }

    Principal authenticate(const httplib::Request& req) const {
        if (!req.has_header("Authorization"))
            throw ApiError(401, "Authorization", "missing Authorization: Bearer TOKEN header");
        auto p = access.authenticate(req.get_header_value("Authorization"));
        if (!p) throw ApiError(401, "Authorization", "unknown or malformed bearer token");
        return *p;
    }

    using Handler = std::function<Reply(const Principal&, const RequestParams&, const httplib::Request&)>;

    /// Registers a GET endpoint: authentication, parameter checks, the store lock and error
    /// mapping are done here, once, for every handler. `cacheable`: an aggregate whose answer may
    /// be served from the ResponseCache (never alert data: those reads are logged).
    void get(const std::string& pattern, std::set<std::string> allowed, Handler handler, bool cacheable = false) {
        http->Get(pattern, [this, allowed = std::move(allowed), handler = std::move(handler), cacheable](
                               const httplib::Request& req, httplib::Response& res) {
            try {
                const Principal who = authenticate(req);
                const RequestParams params(req.params, allowed);
                std::string key;
                if (cacheable && cache.enabled()) {
                    key = who.name() + "\n" + req.path;
                    for (const auto& [k, v] : req.params) key += "\n" + k + "=" + v;  // sorted (multimap)
                    if (auto hit = cache.get(key)) {
                        res.set_header("X-Cache", "hit");
                        res.set_header("Cache-Control", "no-store");
                        res.set_content(std::move(*hit), "application/json");
                        return;
                    }
                }
                Reply r;
                {
                    std::lock_guard lock(store_mutex);
                    // Checked again under the lock: of concurrent misses, one queries, the rest hit.
                    std::optional<std::string> hit;
                    if (!key.empty()) hit = cache.get(key);
                    if (hit) {
                        res.set_header("X-Cache", "hit");
                        res.set_header("Cache-Control", "no-store");
                        res.set_content(std::move(*hit), "application/json");
                        return;
                    }
                    // A replaced GeoIP/ASN file is picked up while serving (checked at most once a
                    // reload interval; a bad new file keeps the old one and is reported).
                    if (geo)
                        for (const auto& e : geo->maybe_reload().errors) std::fprintf(stderr, "iotwatch serve: %s\n", e.c_str());
                    r = handler(who, params, req);
                }
                if (!key.empty()) {
                    cache.put(key, r.body);
                    res.set_header("X-Cache", "miss");
                }
                if (!r.disposition.empty()) res.set_header("Content-Disposition", r.disposition);
                res.set_header("Cache-Control", "no-store");
                res.set_content(std::move(r.body), r.content_type.c_str());
            } catch (const ApiError& e) {
                error_reply(res, e.status(), e.parameter(), e.what());
            } catch (const ConfigError& e) {
                error_reply(res, 400, "", e.what());
            } catch (const std::exception& e) {
                error_reply(res, 500, "", std::string("internal error: ") + e.what());
            }
        });
    }

    /// Whether `who` may see per-address rows of `a`: the admin always; an organisation only for
    /// addresses the registry attributes to it (by prefix, else by origin ASN when known).
    bool visible(const Principal& who, const IpAddress& a) {
        if (who.admin) return true;
        if (!options.registry) return false;
        const uint32_t asn = geo ? geo->lookup(a).asn : 0;
        return options.registry->owner(a, asn) == who.org;
    }

    void log_access(const Principal& who, const httplib::Request& req, const std::string& action, const std::string& object) {
        store->log_access({now_ns(), who.name() + "@" + req.remote_addr, action, object});
    }

    /// A report view's rows (write_report's JSON lines), reusing the report's queries.
    std::vector<json> view_rows(const std::string& view, const TimeRange& range, size_t top) {
        ReportOptions o;
        o.range = range;
        o.top = top;
        o.view = view;
        o.format = ReportFormat::kJsonLines;
        if (geo) o.geo = [this](const IpAddress& a) { return geo->lookup(a); };
        if ((view == "countries" || view == "asns") && !geo)
            throw ApiError(409, "", "the server was started without a GeoIP/ASN database (--city-db / --asn-db)");
        std::ostringstream out;
        write_report(*store, o, out);
        std::vector<json> rows;
        std::istringstream in(out.str());
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) rows.push_back(json::parse(line));
        return rows;
    }

    /// Rows whose address field `key` the principal may see; the "view" key is dropped.
    std::vector<json> filter_rows(const Principal& who, std::vector<json> rows, const std::string& key) {
        std::vector<json> out;
        for (auto& r : rows) {
            auto a = IpAddress::parse(r.value(key, std::string()));
            if (!a || !visible(who, *a)) continue;
            r.erase("view");
            out.push_back(std::move(r));
        }
        return out;
    }

    static size_t top_param(const RequestParams& p) { return size_t(p.integer("top", 10, 1, 1000)); }

    json envelope(const Principal& who, const TimeRange& range) const {
        json j;
        j["range"] = range_json(range);
        if (!who.admin) j["organisation"] = who.org_id;
        return j;
    }

    /// The organisations whose alerts `who` may read, narrowed by an `org` parameter.
    std::set<std::string> readable_orgs(const Principal& who, const RequestParams& p) const {
        std::set<std::string> out;
        if (p.has("org")) {
            const std::string id = p.get("org");
            if (!valid_org_id(id)) throw ApiError(400, "org", "org must be an organisation id ([a-z0-9-]), not '" + id + "'");
            if (!who.admin && id != who.org_id)
                throw ApiError(403, "org", "this token may read only organisation '" + who.org_id + "'");
            if (options.registry && options.registry->find(id) == OrganisationRegistry::kNone)
                throw ApiError(404, "org", "no organisation '" + id + "' in the registry");
            out.insert(id);
            return out;
        }
        if (!who.admin) return {who.org_id};
        if (options.registry)
            for (const auto& o : options.registry->organisations()) out.insert(o.id);
        return out;  // empty for an admin without a registry: every org id in the rows
    }

    // ---- survey (NOTICE) ---------------------------------------------------------------------

    /// A survey result as the API shows it (never a password: only the credential's id).
    json survey_row(const SurveyResult& r) {
        json j{{"campaign", r.campaign},
               {"address", r.address.to_string()},
               {"port", r.port},
               {"protocol", r.protocol},
               {"outcome", outcome_name(r.outcome)},
               {"attempts", r.attempts},
               {"started", format_utc(r.started_ns)},
               {"ended", format_utc(r.ended_ns)},
               {"source_address", r.source_address}};
        if (!r.credential_id.empty()) j["credential_id"] = r.credential_id;
        if (options.registry) {
            const uint32_t owner = options.registry->owner(r.address, geo ? geo->lookup(r.address).asn : 0);
            if (owner != OrganisationRegistry::kNone) j["organisation"] = options.registry->organisations()[owner].id;
        }
        return j;
    }

    void survey_routes() {
        // Campaigns with their progress (campaign-wide: an aggregate) and outcome counts (over the
        // addresses the principal may see).
        get("/api/v1/survey/campaigns", {"campaign"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request&) {
                std::vector<SurveyCampaign> campaigns;
                if (p.has("campaign")) {
                    auto c = store->survey_campaign(p.get("campaign"));
                    if (!c) throw ApiError(404, "campaign", "no survey campaign '" + p.get("campaign") + "'");
                    campaigns.push_back(std::move(*c));
                } else {
                    campaigns = store->survey_campaigns();
                }
                json rows = json::array();
                for (const auto& c : campaigns) {
                    std::map<std::string, std::array<uint64_t, kSurveyOutcomeCount>> per_protocol;
                    std::array<uint64_t, kSurveyOutcomeCount> total{};
                    uint64_t done = 0;
                    for (const auto& r : store->survey_results(c.id)) {
                        ++done;
                        if (!visible(who, r.address)) continue;
                        ++total[size_t(r.outcome)];
                        per_protocol[r.protocol][size_t(r.outcome)]++;
                    }
                    auto counts = [](const std::array<uint64_t, kSurveyOutcomeCount>& a) {
                        json o = json::object();
                        for (int k = 0; k < kSurveyOutcomeCount; ++k) o[outcome_name(SurveyOutcome(k))] = a[size_t(k)];
                        return o;
                    };
                    json protocols = json::object();
                    for (const auto& [name, a] : per_protocol) protocols[name] = counts(a);
                    json row{{"id", c.id},
                             {"created", format_utc(c.created_ns)},
                             {"source_address", c.source_address},
                             {"contact", c.contact},
                             {"ports", c.ports},
                             {"credentials", c.credentials},
                             {"targets", c.total},
                             {"emitted", c.emitted},
                             {"completed", done},
                             {"progress", c.total ? double(c.emitted) / double(c.total) : 1.0},
                             {"finished", c.finished},
                             {"outcomes", counts(total)},
                             {"protocols", protocols}};
                    // The scope names the allow-list and block files: operator detail, admin only.
                    if (who.admin) row["scope"] = c.scope;
                    rows.push_back(std::move(row));
                }
                json j;
                if (!who.admin) j["organisation"] = who.org_id;
                j["rows"] = rows;
                return Reply{dump(j) + "\n"};
            });

        // Remote sensors as `iotwatch center` last wrote them (with each checkpoint). No subscriber
        // data; the sensors' own addresses are operator detail, shown to the admin only.
        get("/api/v1/sensors", {},
            [this](const Principal& who, const RequestParams&, const httplib::Request&) {
                const int64_t now = now_ns();
                json rows = json::array();
                for (const auto& h : store->sensor_health()) {
                    const double since = h.last_contact_ns ? double(now - h.last_contact_ns) / 1e9 : -1;
                    const char* status = !h.last_contact_ns ? "never" : h.final ? "finished"
                                         : since <= kSensorStaleSeconds ? "ok" : "stale";
                    json row{{"sensor", h.sensor},
                             {"status", status},
                             {"last_contact", h.last_contact_ns ? format_utc(h.last_contact_ns) : ""},
                             {"seconds_since_contact", since},
                             {"updated", format_utc(h.updated_ns)},
                             {"watermark", h.watermark_ns ? format_utc(h.watermark_ns) : ""},
                             {"lag_seconds", h.watermark_ns ? double(h.updated_ns - h.watermark_ns) / 1e9 : -1},
                             {"batches", h.batches},
                             {"packets", h.packets},
                             {"duplicates", h.duplicates},
                             {"backlog_batches", h.backlog_batches},
                             {"captured", h.captured},
                             {"darknet", h.darknet},
                             {"kernel_drops", h.kernel_drops},
                             {"interface_drops", h.interface_drops},
                             {"drops", h.kernel_drops + h.interface_drops},
                             {"spool_batches", h.spool_batches},
                             {"spool_bytes", h.spool_bytes},
                             {"final", h.final}};
                    if (who.admin) row["remote"] = h.remote;
                    rows.push_back(std::move(row));
                }
                return Reply{dump(json{{"rows", rows}}) + "\n"};
            });

        // Findings the ISP warns its users about (login-ok, no-auth); logged like every alert read.
        get("/api/v1/survey/findings", {"from", "to", "day", "campaign"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request& req) {
                const TimeRange range = p.range();
                const std::string campaign = p.get("campaign", "");
                json rows = json::array();
                for (const auto& r : store->survey_findings(range)) {
                    if (!campaign.empty() && r.campaign != campaign) continue;
                    if (!visible(who, r.address)) continue;
                    rows.push_back(survey_row(r));
                }
                log_access(who, req, "api.survey.findings",
                           "from=" + p.get("from", p.get("day", "*")) + " to=" + p.get("to", "*") +
                               (campaign.empty() ? "" : " campaign=" + campaign) + " rows=" + std::to_string(rows.size()));
                json j = envelope(who, range);
                j["rows"] = rows;
                return Reply{dump(j) + "\n"};
            });

        // NOTICE's monthly figures: an organisation sees its own rows and the national ("all") ones.
        get("/api/v1/survey/summary", {"month"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request&) {
                if (!p.has("month")) throw ApiError(400, "month", "month is required, e.g. month=2026-11");
                const std::string month = p.get("month");
                const auto bounds = month_seconds(month);
                if (!bounds) throw ApiError(400, "month", "month must be YYYY-MM, not '" + month + "'");
                const auto summary =
                    summarise_survey(store->survey_results_between({bounds->first, bounds->second}), options.registry);
                json rows = json::array();
                for (const auto& r : summary) {
                    if (!who.admin && r.org != who.org_id && r.org != "all") continue;
                    rows.push_back({{"org", r.org},
                                    {"protocol", r.protocol},
                                    {"surveyed", r.surveyed},
                                    {"responded", r.responded},
                                    {"auth_prompt", r.auth_prompt},
                                    {"login_ok", r.login_ok},
                                    {"no_auth", r.no_auth}});
                }
                json j;
                j["month"] = month;
                if (!who.admin) j["organisation"] = who.org_id;
                j["rows"] = rows;
                return Reply{dump(j) + "\n"};
            });
    }

    // ---- routes ----------------------------------------------------------------------------

    /// Registers a TAXII 2.1 endpoint: bearer authentication, the TAXII media type (406 for an
    /// Accept that excludes it), the store lock, TAXII error bodies, and the access log.
    using TaxiiHandler = std::function<TaxiiReply(const Reader&, const httplib::Request&)>;
    void taxii_route(bool post, const std::string& pattern, TaxiiHandler handler) {
        auto wrapped = [this, handler = std::move(handler), post](const httplib::Request& req, httplib::Response& res) {
            TaxiiReply r;
            try {
                const Principal who = authenticate(req);
                const std::string accept = req.get_header_value("Accept");
                if (!accept.empty() && accept.find("application/taxii+json") == std::string::npos &&
                    accept.find("*/*") == std::string::npos && accept.find("application/*") == std::string::npos) {
                    r = TaxiiService::error(406, "Not acceptable", std::string("this server speaks ") + kTaxiiContentType);
                } else {
                    const Reader reader = who.admin ? Reader{"", true} : Reader{who.org_id, false};
                    std::lock_guard lock(store_mutex);
                    r = handler(reader, req);
                    log_access(who, req, post ? "taxii.add" : "taxii.read", req.path);
                }
            } catch (const ApiError& e) {
                r = TaxiiService::error(e.status(), "Unauthorized", e.what());
                if (e.status() == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"iotwatch\"");
            } catch (const std::exception& e) {
                r = TaxiiService::error(500, "Internal error", e.what());
            }
            res.status = r.status;
            for (const auto& [k, v] : r.headers) res.set_header(k, v);
            res.set_header("Cache-Control", "no-store");
            res.set_content(r.body, kTaxiiContentType);
        };
        if (post) http->Post(pattern, wrapped);
        else http->Get(pattern, wrapped);
    }

    void taxii_routes() {
        auto params = [](const httplib::Request& req) {
            return std::multimap<std::string, std::string>(req.params.begin(), req.params.end());
        };
        taxii_route(false, "/taxii2/", [this](const Reader&, const httplib::Request&) { return taxii->discovery(); });
        taxii_route(false, "/taxii2/api/", [this](const Reader&, const httplib::Request&) { return taxii->api_root(); });
        taxii_route(false, "/taxii2/api/collections/",
                    [this](const Reader& r, const httplib::Request&) { return taxii->collections(r); });
        taxii_route(false, R"(/taxii2/api/collections/([^/]+)/)",
                    [this](const Reader& r, const httplib::Request& req) { return taxii->collection(r, req.matches[1]); });
        taxii_route(false, R"(/taxii2/api/collections/([^/]+)/objects/)", [this, params](const Reader& r, const httplib::Request& req) {
            return taxii->objects(r, req.matches[1], params(req), false);
        });
        taxii_route(false, R"(/taxii2/api/collections/([^/]+)/manifest/)", [this, params](const Reader& r, const httplib::Request& req) {
            return taxii->objects(r, req.matches[1], params(req), true);
        });
        taxii_route(true, R"(/taxii2/api/collections/([^/]+)/objects/)", [this](const Reader& r, const httplib::Request& req) {
            if (r.org.empty()) return TaxiiService::error(403, "Not writable", "submissions come from organisation tokens");
            return taxii->add_objects(r, req.matches[1], req.body, now_ns());
        });
        taxii_route(false, R"(/taxii2/api/status/([^/]+)/)",
                    [this](const Reader& r, const httplib::Request& req) { return taxii->status(r, req.matches[1]); });
    }

    /// The `width` parameter of the series endpoints: one of the stored bin widths.
    static int64_t width_param(const RequestParams& p) {
        const int64_t width = p.integer("width", 3600, 1, 86400);
        if (width != 300 && width != 3600 && width != 86400)
            throw ApiError(400, "width", "width must be 300, 3600 or 86400 (the stored bin widths), not " + std::to_string(width));
        return width;
    }

    void routes() {
        taxii_routes();
        // Health: no token, no store access (a load balancer's probe must not touch the data).
        http->Get("/api/v1/health", [this](const httplib::Request&, httplib::Response& res) {
            json j{{"status", "ok"}, {"version", IOTWATCH_SERVER_VERSION}, {"live", live != nullptr}, {"tls", tls()}};
            j["darknet_location"] = {{"lat", options.darknet_lat}, {"lon", options.darknet_lon}};
            json classes = json::array();
            for (uint8_t c = 0; c < kClassCount; ++c) classes.push_back(packet_class_name(c));
            j["classes"] = classes;
            res.set_content(dump(j) + "\n", "application/json");
        });

        get("/api/v1/whoami", {}, [this](const Principal& who, const RequestParams&, const httplib::Request&) {
            json j{{"role", who.admin ? "admin" : "organisation"}};
            if (!who.admin) {
                j["organisation"] = who.org_id;
                j["name"] = options.registry->organisations()[who.org].name;
            }
            return Reply{dump(j) + "\n"};
        });

        get("/api/v1/summary", {"from", "to", "day", "top"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request&) {
                ReportOptions o;
                o.range = p.range();
                o.top = top_param(p);
                o.format = ReportFormat::kJson;
                if (geo) o.geo = [this](const IpAddress& a) { return geo->lookup(a); };
                std::ostringstream out;
                write_report(*store, o, out);
                json j = json::parse(out.str());
                // Top sources are addresses, not aggregates: only the admin sees them.
                if (!who.admin) j.erase("top_sources");
                j["range"] = range_json(o.range);
                return Reply{dump(j) + "\n"};
            },
            true);

        get("/api/v1/series", {"from", "to", "day", "width"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request&) {
                const TimeRange range = p.range();
                const int64_t width = width_param(p);
                std::vector<int64_t> bins;
                std::map<uint8_t, std::vector<uint64_t>> per_class;
                std::vector<uint64_t> sources;
                for (const auto& r : store->class_series(int32_t(width), range)) {
                    if (bins.empty() || bins.back() != r.bin_start) {
                        bins.push_back(r.bin_start);
                        for (uint8_t c = 0; c < kClassCount; ++c) per_class[c].push_back(0);
                        sources.push_back(0);
                    }
                    if (r.cls < kClassCount) per_class[r.cls].back() = r.packets;
                    else sources.back() = r.sources;
                }
                json j = envelope(who, range);
                j["width"] = width;
                j["bins"] = bins;
                json classes = json::object();
                for (uint8_t c = 0; c < kClassCount; ++c) classes[packet_class_name(c)] = bins.empty() ? std::vector<uint64_t>{} : per_class[c];
                j["packets"] = classes;
                j["sources"] = sources;
                return Reply{dump(j) + "\n"};
            },
            true);

        // Per-port series: packets and unique sources per bin for up to 10 ports ("tcp/23,udp/53").
        get("/api/v1/series/ports", {"from", "to", "day", "width", "ports"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request&) {
                const TimeRange range = p.range();
                const int64_t width = width_param(p);
                struct Wanted {
                    std::string name;
                    uint8_t protocol;
                    uint16_t port;
                };
                std::vector<Wanted> wanted;
                const std::string list = p.get("ports", "");
                if (list.empty()) throw ApiError(400, "ports", "ports is required, e.g. ports=tcp/23,tcp/2323");
                for (size_t start = 0; start <= list.size();) {
                    size_t comma = list.find(',', start);
                    if (comma == std::string::npos) comma = list.size();
                    const std::string item = list.substr(start, comma - start);
                    const auto slash = item.find('/');
                    const std::string proto = item.substr(0, slash);
                    const std::string num = slash == std::string::npos ? "" : item.substr(slash + 1);
                    char* end = nullptr;
                    const long port = std::strtol(num.c_str(), &end, 10);
                    if ((proto != "tcp" && proto != "udp") || num.empty() || *end || port < 0 || port > 65535)
                        throw ApiError(400, "ports", "'" + item + "' is not tcp/PORT or udp/PORT");
                    wanted.push_back({proto + "/" + std::to_string(port), uint8_t(proto == "tcp" ? 6 : 17), uint16_t(port)});
                    start = comma + 1;
                }
                if (wanted.size() > 10) throw ApiError(400, "ports", "at most 10 ports per request");
                std::map<int64_t, size_t> index;  // bin -> column
                std::vector<std::vector<PortBinRow>> rows;
                for (const auto& w : wanted) {
                    rows.push_back(store->port_series(int32_t(width), w.protocol, w.port, range));
                    for (const auto& r : rows.back()) index.emplace(r.bin_start, 0);
                }
                std::vector<int64_t> bins;
                for (auto& [b, i] : index) {
                    i = bins.size();
                    bins.push_back(b);
                }
                json ports = json::object();
                for (size_t k = 0; k < wanted.size(); ++k) {
                    std::vector<uint64_t> packets(bins.size(), 0), sources(bins.size(), 0);
                    for (const auto& r : rows[k]) {
                        packets[index[r.bin_start]] = r.packets;
                        sources[index[r.bin_start]] = r.sources;
                    }
                    ports[wanted[k].name] = {{"packets", packets}, {"sources", sources}};
                }
                json j = envelope(who, range);
                j["width"] = width;
                j["bins"] = bins;
                j["ports"] = ports;
                return Reply{dump(j) + "\n"};
            },
            true);

        auto top_view = [this](const std::string& view) {
            return [this, view](const Principal& who, const RequestParams& p, const httplib::Request&) {
                const TimeRange range = p.range();
                std::vector<json> rows = view_rows(view, range, top_param(p));
                for (auto& r : rows) r.erase("view");
                json j = envelope(who, range);
                j["rows"] = rows;
                return Reply{dump(j) + "\n"};
            };
        };
        get("/api/v1/top/countries", {"from", "to", "day", "top"}, top_view("countries"), true);
        get("/api/v1/top/asns", {"from", "to", "day", "top"}, top_view("asns"), true);
        get("/api/v1/top/ports", {"from", "to", "day", "top", "proto"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request&) {
                const TimeRange range = p.range();
                const std::string proto = p.get("proto", "tcp");
                if (proto != "tcp" && proto != "udp") throw ApiError(400, "proto", "proto must be tcp or udp, not '" + proto + "'");
                std::vector<json> rows;
                for (auto& r : view_rows("ports", range, top_param(p)))
                    if (r.value("view", "") == "top_" + proto + "_ports") {
                        r.erase("view");
                        rows.push_back(std::move(r));
                    }
                json j = envelope(who, range);
                j["proto"] = proto;
                j["rows"] = rows;
                return Reply{dump(j) + "\n"};
            },
            true);

        // Per-address views: an organisation sees only its own addresses.
        auto address_view = [this](const std::string& view, const std::string& key, bool logged) {
            return [this, view, key, logged](const Principal& who, const RequestParams& p, const httplib::Request& req) {
                const TimeRange range = p.range();
                // An organisation's rows are filtered after the top-N cut would hide them: ask for
                // every row, then cut.
                const size_t top = top_param(p);
                auto rows = filter_rows(who, view_rows(view, range, who.admin ? top : SIZE_MAX >> 1), key);
                if (rows.size() > top) rows.resize(top);
                if (logged)
                    log_access(who, req, "api." + view,
                               "from=" + p.get("from", p.get("day", "*")) + " to=" + p.get("to", "*") +
                                   " rows=" + std::to_string(rows.size()));
                json j = envelope(who, range);
                j["rows"] = rows;
                return Reply{dump(j) + "\n"};
            };
        };
        get("/api/v1/scans", {"from", "to", "day", "top"}, address_view("scans", "src", false));
        get("/api/v1/dos", {"from", "to", "day", "top"}, address_view("dos", "victim", false));
        get("/api/v1/infected", {"from", "to", "day", "top"}, address_view("infected", "src", true));

        survey_routes();

        get("/api/v1/alerts", {"from", "to", "day", "org"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request& req) {
                const TimeRange range = p.range();
                const std::set<std::string> orgs = readable_orgs(who, p);
                const bool everything = who.admin && !p.has("org");  // rows of orgs since removed too
                json rows = json::array();
                for (const auto& r : store->alerts(range)) {
                    if (!everything && !orgs.count(r.org)) continue;
                    json a{{"day", format_utc_day(r.day * kNanosPerSecond)},
                           {"org", r.org},
                           {"address", r.address.to_string()},
                           {"kind", r.kind},
                           {"family", r.family},
                           {"confidence", r.confidence},
                           {"first_seen", format_utc(r.first_seen_ns)},
                           {"last_seen", format_utc(r.last_seen_ns)},
                           {"protocol", proto_name(r.protocol)},
                           {"port", r.port},
                           {"ports", r.ports},
                           {"packets", r.packets},
                           {"mirai_fraction", r.mirai_fraction},
                           {"source", r.source},
                           {"sensors", r.sensors},
                           {"asn", r.asn},
                           {"country", r.country},
                           {"region", r.region},
                           {"city", r.city}};
                    rows.push_back(std::move(a));
                }
                log_access(who, req, "api.alerts",
                           "org=" + (p.has("org") ? p.get("org") : who.admin ? std::string("*") : who.org_id) +
                               " from=" + p.get("from", p.get("day", "*")) + " to=" + p.get("to", "*") +
                               " rows=" + std::to_string(rows.size()));
                json j = envelope(who, range);
                j["rows"] = rows;
                return Reply{dump(j) + "\n"};
            });

        get("/api/v1/alerts/stats", {"from", "to", "org"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request& req) {
                TimeRange range;
                if (auto d = p.day("from")) range.from = *d;
                if (auto d = p.day("to")) range.to = *d;
                if (range.from >= range.to) throw ApiError(400, "to", "to must be after from");
                const std::set<std::string> orgs = readable_orgs(who, p);
                std::map<int64_t, std::set<IpAddress>> national;
                std::map<std::string, std::map<int64_t, std::set<IpAddress>>> per_org;
                for (const auto& r : store->alerts(range)) {
                    national[r.day].insert(r.address);  // national counts are aggregates: shared
                    if (orgs.count(r.org) || (who.admin && !p.has("org"))) per_org[r.org][r.day].insert(r.address);
                }
                for (const auto& id : orgs) per_org[id];  // an organisation without alerts shows zeros
                int64_t first = range.from, last = range.to - 86400;
                if (range.from == INT64_MIN) first = national.empty() ? 0 : national.begin()->first;
                if (range.to == INT64_MAX) last = national.empty() ? -86400 : national.rbegin()->first;
                if (last >= first && (last - first) / 86400 > 3660)
                    throw ApiError(400, "from", "at most ten years of days per request");
                auto summarise = [&](const std::map<int64_t, std::set<IpAddress>>& by_day) {
                    uint64_t days = 0, total = 0, mn = UINT64_MAX, mx = 0;
                    json daily = json::array();
                    for (int64_t d = first; d <= last; d += 86400) {
                        auto it = by_day.find(d);
                        const uint64_t n = it == by_day.end() ? 0 : it->second.size();
                        ++days, total += n, mn = std::min(mn, n), mx = std::max(mx, n);
                        daily.push_back({{"day", format_utc_day(d * kNanosPerSecond)}, {"addresses", n}});
                    }
                    return json{{"days", days},
                                {"average", days ? double(total) / double(days) : 0.0},
                                {"min", days ? mn : 0},
                                {"max", mx},
                                {"daily", daily}};
                };
                json j;
                j["from"] = last >= first ? json(format_utc_day(first * kNanosPerSecond)) : json(nullptr);
                j["to"] = last >= first ? json(format_utc_day(last * kNanosPerSecond)) : json(nullptr);
                j["national"] = summarise(national);
                json po = json::object();
                for (const auto& [org, by_day] : per_org) po[org] = summarise(by_day);
                j["per_organisation"] = po;
                if (!who.admin) j["organisation"] = who.org_id;
                log_access(who, req, "api.alerts.stats",
                           "org=" + (who.admin ? p.get("org", "*") : who.org_id) + " from=" + p.get("from", "*") +
                               " to=" + p.get("to", "*"));
                return Reply{dump(j) + "\n"};
            });

        get("/api/v1/alerts/files", {"day", "org"},
            [this](const Principal& who, const RequestParams& p, const httplib::Request& req) {
                if (options.outbox.empty()) throw ApiError(409, "", "the server was started without --outbox");
                const auto day = p.day("day");
                std::set<std::string> orgs = readable_orgs(who, p);
                if (orgs.empty() && fs::is_directory(options.outbox))  // admin without a registry
                    for (const auto& e : fs::directory_iterator(options.outbox))
                        if (e.is_directory() && valid_org_id(e.path().filename().string())) orgs.insert(e.path().filename().string());
                json rows = json::array();
                for (const auto& org : orgs) {
                    const fs::path dir = fs::path(options.outbox) / org;
                    std::error_code ec;
                    if (!fs::is_directory(dir, ec)) continue;
                    std::vector<fs::path> days;
                    for (const auto& e : fs::directory_iterator(dir, ec)) {
                        const std::string d = e.path().filename().string();
                        if (!e.is_directory() || d.size() != 10 || !parse_utc(d)) continue;
                        if (day && d != format_utc_day(*day * kNanosPerSecond)) continue;
                        days.push_back(e.path());
                    }
                    std::sort(days.begin(), days.end());
                    for (const auto& dpath : days) {
                        std::vector<fs::directory_entry> files;
                        for (const auto& f : fs::directory_iterator(dpath, ec))
                            if (f.is_regular_file() && f.path().filename().string()[0] != '.') files.push_back(f);
                        std::sort(files.begin(), files.end());
                        for (const auto& f : files) {
                            const std::string name = f.path().filename().string();
                            const std::string d = dpath.filename().string();
                            rows.push_back({{"org", org},
                                            {"day", d},
                                            {"name", name},
                                            {"bytes", uint64_t(f.file_size())},
                                            {"url", "/api/v1/alerts/files/" + org + "/" + d + "/" + name}});
                        }
                    }
                }
                log_access(who, req, "api.alerts.files",
                           "org=" + (who.admin ? p.get("org", "*") : who.org_id) + " day=" + p.get("day", "*"));
                json j{{"rows", rows}};
                if (!who.admin) j["organisation"] = who.org_id;
                return Reply{dump(j) + "\n"};
            });

        get(R"(/api/v1/alerts/files/([^/]+)/([^/]+)/([^/]+))", {},
            [this](const Principal& who, const RequestParams&, const httplib::Request& req) {
                if (options.outbox.empty()) throw ApiError(409, "", "the server was started without --outbox");
                const std::string org = req.matches[1], day = req.matches[2], name = req.matches[3];
                if (!valid_org_id(org)) throw ApiError(400, "org", "not an organisation id: '" + org + "'");
                if (!who.admin && org != who.org_id)
                    throw ApiError(403, "org", "this token may read only organisation '" + who.org_id + "'");
                if (day.size() != 10 || !parse_utc(day)) throw ApiError(400, "day", "day must be YYYY-MM-DD, not '" + day + "'");
                static const std::regex kName("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
                if (!std::regex_match(name, kName) || name.find("..") != std::string::npos)
                    throw ApiError(400, "name", "not an outbox file name: '" + name + "'");
                const fs::path path = fs::path(options.outbox) / org / day / name;
                std::error_code ec;
                if (!fs::is_regular_file(path, ec)) throw ApiError(404, "name", "no such file: " + org + "/" + day + "/" + name);
                std::ifstream in(path, std::ios::binary);
                std::ostringstream body;
                body << in.rdbuf();
                if (!in) throw std::runtime_error("cannot read " + path.string());
                log_access(who, req, "api.alerts.download", "org=" + org + " day=" + day + " file=" + name);
                Reply r{body.str()};
                const std::string ext = path.extension().string();
                r.content_type = ext == ".csv" ? "text/csv" : ext == ".jsonl" ? "application/x-ndjson" : ext == ".json" ? "application/json" : "application/octet-stream";
                r.disposition = "attachment; filename=\"" + name + "\"";
                return r;
            });

        // The live stream (Server-Sent Events). Authenticated like every data endpoint; browsers
        // read it with fetch() so that the token travels in the header, not in the URL.
        http->Get("/api/v1/live", [this](const httplib::Request& req, httplib::Response& res) {
            try {
                authenticate(req);
                RequestParams(req.params, {});
                if (!live) throw ApiError(409, "", "no live feed: start the server with --replay CAPTURE");
                if (stream_clients.fetch_add(1) >= options.max_stream_clients) {
                    stream_clients.fetch_sub(1);
                    throw ApiError(503, "", "too many live-stream readers (at most " +
                                                std::to_string(options.max_stream_clients) + ")");
                }
            } catch (const ApiError& e) {
                return error_reply(res, e.status(), e.parameter(), e.what());
            }
            uint64_t after = 0;
            if (req.has_header("Last-Event-ID")) {
                try {
                    after = std::stoull(req.get_header_value("Last-Event-ID"));
                } catch (const std::exception&) {
                    after = 0;
                }
            }
            auto cursor = std::make_shared<uint64_t>(after ? after : live->last_seq());
            res.set_header("Cache-Control", "no-store");
            res.set_chunked_content_provider(
                "text/event-stream",
                [this, cursor](size_t, httplib::DataSink& sink) {
                    if (stopping.load() || live->stopped()) {
                        sink.done();
                        return true;
                    }
                    auto events = live->wait_events(*cursor, 256, 1000);
                    std::string chunk;
                    if (events.empty()) chunk = ": keep-alive\n\n";  // detects a closed client
                    for (const auto& e : events) {
                        chunk += "id: " + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: " + e.json + "\n\n";
                        *cursor = e.seq;
                    }
                    return sink.write(chunk.data(), chunk.size());
                },
                [this](bool) { stream_clients.fetch_sub(1); });
        });

        if (!options.web_root.empty()) http->set_mount_point("/", options.web_root);

        // Unknown paths and methods: JSON under /api, plain text elsewhere.
        http->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty()) return;
            if (req.path.rfind("/api/", 0) == 0)
                error_reply(res, res.status, "", res.status == 404 ? "no such endpoint: " + req.path : "request refused");
            else
                res.set_content(std::to_string(res.status) + "\n", "text/plain");
        });
        http->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
            error_reply(res, 500, "", "internal error");
        });
    }

    bool tls() const { return !options.tls_cert.empty(); }
};

ApiServer::ApiServer(Options options, std::unique_ptr<Store> store, LiveFeed* live)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(store), live)) {}

ApiServer::~ApiServer() { stop(); }

int ApiServer::bind() {
    auto& o = impl_->options;
    int port = o.port;
    if (port == 0) port = impl_->http->bind_to_any_port(o.host);
    else if (!impl_->http->bind_to_port(o.host, port)) port = -1;
    if (port <= 0) throw ConfigError("cannot listen on " + o.host + ":" + std::to_string(o.port));
    return port;
}

void ApiServer::serve() {
    if (!impl_->stopping.load()) impl_->http->listen_after_bind();
}

void ApiServer::stop() {
    impl_->stopping.store(true);
    if (impl_->http->is_running()) impl_->http->stop();
}

bool ApiServer::tls() const { return impl_->tls(); }

}  // namespace iotwatch::server

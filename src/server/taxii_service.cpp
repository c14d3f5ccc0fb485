#include "server/taxii_service.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/digest.h"
#include "core/error.h"
#include "core/json_read.h"
#include "core/timestamp.h"

namespace iotwatch::server {
namespace {

using json = nlohmann::json;
constexpr const char* kCollectionNamespace = "3e0f4d1a-6b2c-4e8f-9a7d-5c1b2e3f4a60";
constexpr size_t kDefaultLimit = 100, kMaxLimit = 1000;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string taxii_time(int64_t ns) { return format_utc(ns, 6); }

}  // namespace

TaxiiService::TaxiiService(Store& store, const OrganisationRegistry* registry)
    : store_(store), registry_(registry), hub_(store, registry) {}

TaxiiReply TaxiiService::error(int status, const std::string& title, const std::string& description) {
    return {status, dump(json{{"title", title}, {"description", description}, {"http_status", std::to_string(status)}}) + "\n", {}};
}

TaxiiReply TaxiiService::discovery() const {
    json j{{"title", "iotwatch sharing hub"},
           {"description", "J-CSIP / ISAC-style exchange: anonymised submissions, TLP 2.0 enforced on every read"},
           {"default", "/taxii2/api/"},
           {"api_roots", {"/taxii2/api/"}}};
    return {200, dump(j) + "\n", {}};
}

TaxiiReply TaxiiService::api_root() const {
    json j{{"title", "iotwatch"}, {"versions", {kTaxiiContentType}}, {"max_content_length", 10 * 1024 * 1024}};
    return {200, dump(j) + "\n", {}};
}

std::vector<TaxiiService::CollectionInfo> TaxiiService::visible_collections(const Reader& reader) const {
    std::vector<std::string> names = {"national"};
    for (const auto& s : known_sectors()) names.push_back("sector-" + s);
    if (registry_)
        for (const auto& o : registry_->organisations())
            if (reader.admin || o.id == reader.org) names.push_back("org-" + o.id);
    std::vector<CollectionInfo> out;
    for (const auto& n : names) {
        CollectionInfo c;
        c.name = n;
        c.id = uuid5(kCollectionNamespace, n);
        c.title = n == "national" ? "National (TLP:CLEAR/GREEN for the community)"
                  : n.rfind("sector-", 0) == 0 ? "Sector: " + n.substr(7)
                                               : "Organisation " + n.substr(4) + ": its own findings (TLP:AMBER)";
        c.can_read = true;
        c.can_write = n.rfind("org-", 0) != 0 && !reader.org.empty();  // organisations submit; findings are the hub's
        out.push_back(std::move(c));
    }
    return out;
}

const TaxiiService::CollectionInfo* TaxiiService::find(const std::vector<CollectionInfo>& list, const std::string& id) const {
    for (const auto& c : list)
        if (c.id == id || c.name == id) return &c;
    return nullptr;
}

TaxiiReply TaxiiService::collections(const Reader& reader) {
    json arr = json::array();
    for (const auto& c : visible_collections(reader))
        arr.push_back({{"id", c.id}, {"title", c.title}, {"alias", c.name}, {"can_read", c.can_read},
                       {"can_write", c.can_write}, {"media_types", {"application/stix+json;version=2.1"}}});
    return {200, dump(json{{"collections", arr}}) + "\n", {}};
}

TaxiiReply TaxiiService::collection(const Reader& reader, const std::string& id) {
    const auto list = visible_collections(reader);
    const CollectionInfo* c = find(list, id);
    if (!c) return error(404, "Collection not found", "no collection '" + id + "' visible to this token");
    return {200, dump(json{{"id", c->id}, {"title", c->title}, {"alias", c->name}, {"can_read", c->can_read},
                           {"can_write", c->can_write}, {"media_types", {"application/stix+json;version=2.1"}}}) + "\n", {}};
}

TaxiiReply TaxiiService::objects(const Reader& reader, const std::string& id,
                                 const std::multimap<std::string, std::string>& params, bool manifest) {
    const auto list = visible_collections(reader);
    const CollectionInfo* c = find(list, id);
    if (!c) return error(404, "Collection not found", "no collection '" + id + "' visible to this token");
    int64_t added_after = INT64_MIN;
    size_t limit = kDefaultLimit, offset = 0;
    std::vector<std::string> types, ids;
    for (const auto& [k, v] : params) {
        if (k == "added_after") {
            auto t = parse_utc(v);
            if (!t) return error(400, "Bad added_after", "added_after must be an RFC 3339 UTC timestamp, not '" + v + "'");
            added_after = *t;
        } else if (k == "limit") {
            char* end = nullptr;
            const long long n = std::strtoll(v.c_str(), &end, 10);
            if (v.empty() || *end || n < 1) return error(400, "Bad limit", "limit must be a positive integer");
            limit = std::min<size_t>(size_t(n), kMaxLimit);
        } else if (k == "next") {
            char* end = nullptr;
            const long long n = std::strtoll(v.c_str(), &end, 10);
            if (v.empty() || *end || n < 0) return error(400, "Bad next", "next must be a value from a previous page");
            offset = size_t(n);
        } else if (k == "match[type]" || k == "match[id]") {
            for (size_t start = 0; start <= v.size();) {
                size_t comma = v.find(',', start);
                if (comma == std::string::npos) comma = v.size();
                if (comma > start) (k == "match[type]" ? types : ids).push_back(v.substr(start, comma - start));
                start = comma + 1;
            }
        } else if (k == "match[version]" || k == "match[spec_version]") {
            // Every object is stored in one version; these filters select it or nothing.
        } else {
            return error(400, "Unknown parameter", "unknown query parameter '" + k + "'");
        }
    }
    std::vector<ShareObjectRow> rows;
    for (auto& r : hub_.objects(reader, c->name, added_after, SIZE_MAX)) {
        if (!types.empty() && std::find(types.begin(), types.end(), r.type) == types.end()) continue;
        if (!ids.empty() && std::find(ids.begin(), ids.end(), r.id) == ids.end()) continue;
        rows.push_back(std::move(r));
    }
    json page = json::array();
    const size_t end = std::min(rows.size(), offset + limit);
    for (size_t i = offset; i < end; ++i) {
        if (manifest) {
            const json o = json::parse(rows[i].json, nullptr, false);
            page.push_back({{"id", rows[i].id}, {"date_added", taxii_time(rows[i].added_ns)},
                            {"version", json_string(o, "modified").empty() ? json_string(o, "created") : json_string(o, "modified")},
                            {"media_type", "application/stix+json;version=2.1"}});
        } else {
            json o = json::parse(rows[i].json, nullptr, false);
            if (rows[i].reports > 1) o["x_iotwatch_reports"] = rows[i].reports;
            page.push_back(std::move(o));
        }
    }
    json body{{"more", end < rows.size()}};
    if (end < rows.size()) body["next"] = std::to_string(end);
    body[manifest ? "objects" : "objects"] = page;
    TaxiiReply reply{200, dump(body) + "\n", {}};
    if (offset < end) {
        reply.headers.push_back({"X-TAXII-Date-Added-First", taxii_time(rows[offset].added_ns)});
        reply.headers.push_back({"X-TAXII-Date-Added-Last", taxii_time(rows[end - 1].added_ns)});
    }
    return reply;
}

TaxiiReply TaxiiService::add_objects(const Reader& reader, const std::string& id, const std::string& body, int64_t now_ns) {
    const auto list = visible_collections(reader);
    const CollectionInfo* c = find(list, id);
    if (!c) return error(404, "Collection not found", "no collection '" + id + "' visible to this token");
    if (!c->can_write) return error(403, "Not writable", "this token may not add objects to '" + c->name + "'");
    const json envelope = json::parse(body, nullptr, false);
    if (envelope.is_discarded() || !envelope.is_object() || !envelope.contains("objects") || !envelope["objects"].is_array())
        return error(400, "Bad envelope", "the body must be a TAXII envelope: {\"objects\": [STIX objects]}");
    // The envelope's objects as a bundle; the collection posted to names the sector unless the
    // objects say otherwise.
    json bundle{{"type", "bundle"}, {"id", "bundle--" + uuid5(kCollectionNamespace, body)}, {"objects", envelope["objects"]}};
    if (c->name.rfind("sector-", 0) == 0) bundle["x_iotwatch_sectors"] = {c->name.substr(7)};
    SubmissionResult r;
    try {
        r = hub_.submit(bundle.dump(), "POST " + c->name, reader.org, now_ns);
    } catch (const InputError& e) {
        return error(400, "Bad envelope", e.what());
    }
    json successes = json::array(), failures = json::array();
    for (const auto& o : envelope["objects"])
        if (json_string(o, "type") != "identity" && !json_string(o, "id").empty())
            successes.push_back({{"id", json_string(o, "id")}});
    for (const auto& e : r.errors) failures.push_back({{"id", ""}, {"message", e}});
    json status{{"id", r.status_id.substr(8)},
                {"status", "complete"},
                {"request_timestamp", taxii_time(now_ns)},
                {"total_count", envelope["objects"].size()},
                {"success_count", r.accepted},
                {"failure_count", r.errors.size()},
                {"pending_count", 0},
                {"successes", successes},
                {"failures", failures},
                {"x_iotwatch_severity", r.severity},
                {"x_iotwatch_severity_reason", r.severity_reason},
                {"x_iotwatch_sites_added", r.sites},
                {"x_iotwatch_collections", r.collections}};
    statuses_[r.status_id.substr(8)] = {reader.org, dump(status) + "\n"};
    return {202, dump(status) + "\n", {}};
}

TaxiiReply TaxiiService::status(const Reader& reader, const std::string& status_id) const {
    auto it = statuses_.find(status_id);
    if (it == statuses_.end() || (!reader.admin && it->second.first != reader.org))
        return error(404, "Status not found", "no status '" + status_id + "' for this token");
    return {200, it->second.second, {}};
}

}  // namespace iotwatch::server

#include "sharing/sharing_hub.h"
#include "sharing/malicious_site.h"

#include <nlohmann/json.hpp>

#include "core/json_read.h"

#include <algorithm>
#include <set>

#include "core/digest.h"
#include "core/error.h"

namespace iotwatch {
namespace {

constexpr const char* kHubNamespace = "0b6c2f0e-8a4d-4e3b-9c55-7d1e2a9f6b30";

std::vector<std::string> strings_of(const nlohmann::json& o, const char* key) {
    std::vector<std::string> out;
    if (o.is_object() && o.contains(key) && o[key].is_array())
        for (const auto& v : o[key])
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

/// What makes two submissions "the same finding": an indicator's pattern, an observable's value,
/// another object's type and name; else its id.
std::string dedup_key(const nlohmann::json& o) {
    const std::string type = json_string(o, "type");
    if (type == "indicator" && o.contains("pattern") && o["pattern"].is_string()) return "indicator|" + o["pattern"].get<std::string>();
    if (o.contains("value") && o["value"].is_string()) return type + "|" + o["value"].get<std::string>();
    if (o.contains("name") && o["name"].is_string()) return type + "|" + o["name"].get<std::string>();
    return "id|" + json_string(o, "id");
}

/// Replaces every reference (a *_ref string or *_refs array) to a dropped identity with `hub`.
void repoint_refs(nlohmann::json& o, const std::set<std::string>& dropped, const std::string& hub) {
    for (auto it = o.begin(); it != o.end(); ++it) {
        const std::string& key = it.key();
        const bool one = key.size() > 4 && key.compare(key.size() - 4, 4, "_ref") == 0;
        const bool many = key.size() > 5 && key.compare(key.size() - 5, 5, "_refs") == 0;
        if (one && it->is_string() && dropped.count(it->get<std::string>())) *it = hub;
        if (many && it->is_array()) {
            std::vector<std::string> refs;
            for (auto& r : *it) {
                if (!r.is_string()) continue;
                refs.push_back(dropped.count(r.get<std::string>()) ? hub : r.get<std::string>());
            }
            std::sort(refs.begin(), refs.end());
            refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
            *it = refs;
        }
    }
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

}  // namespace

const std::vector<std::string>& known_sectors() {
    static const std::vector<std::string> kSectors = {
        "information-communication", "finance", "aviation", "airport", "railway", "electricity", "gas",
        "government", "medical", "water", "logistics", "chemical", "credit-card", "petroleum"};
    return kSectors;
}

SharingHub::SharingHub(Store& store, const OrganisationRegistry* registry, std::string hub_identity)
    : store_(store), registry_(registry), hub_identity_(std::move(hub_identity)) {}

SubmissionResult SharingHub::submit(const std::string& bundle_text, const std::string& name, const std::string& submitter,
                                    int64_t now_ns) {
    nlohmann::json bundle;
    try {
        bundle = nlohmann::json::parse(bundle_text);
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError(name, e.byte, "not JSON");
    } catch (const nlohmann::json::exception& e) {  // e.g. a number out of range
        throw InputError(name, UINT64_MAX, std::string("not JSON: ") + e.what());
    }
    if (!bundle.is_object() || json_string(bundle, "type") != "bundle" || !bundle.contains("objects") ||
        !bundle["objects"].is_array())
        throw InputError(name, UINT64_MAX, "not a STIX 2.1 bundle (type \"bundle\" with an objects array)");
    SubmissionResult result;
    result.status_id = "status--" + uuid5(kHubNamespace, submitter + "|" + sha256_hex(bundle_text));

    // The submitter's identities: every identity object of the bundle.
    std::set<std::string> dropped;
    for (const auto& o : bundle["objects"])
        if (o.is_object() && json_string(o, "type") == "identity" && o.contains("id") && o["id"].is_string())
            dropped.insert(o["id"].get<std::string>());
    result.dropped_identities = dropped.size();

    const std::vector<std::string> bundle_sectors = strings_of(bundle, "x_iotwatch_sectors");
    nlohmann::json community = nlohmann::json::array();  // anonymised CLEAR/GREEN indicators
    std::set<std::string> all_sectors, collections;
    size_t index = 0;
    for (const auto& original : bundle["objects"]) {
        const std::string where = "objects[" + std::to_string(index++) + "]";
        if (!original.is_object() || !original.contains("id") || !original["id"].is_string() ||
            !original.contains("type") || !original["type"].is_string()) {
            result.errors.push_back(where + ": not a STIX object (needs type and id)");
            continue;
        }
        const std::string type = original["type"].get<std::string>();
        if (type == "identity") continue;  // the submitter: never passed on
        nlohmann::json o = original;
        for (const auto& field : strings_of(o, "x_iotwatch_private")) o.erase(field);
        o.erase("x_iotwatch_private");
        if (o.contains("created_by_ref")) o["created_by_ref"] = hub_identity_;
        repoint_refs(o, dropped, hub_identity_);

        std::vector<std::string> sectors = strings_of(o, "x_iotwatch_sectors");
        if (sectors.empty()) sectors = bundle_sectors;
        o.erase("x_iotwatch_sectors");
        std::vector<std::string> routes;
        for (const auto& s : sectors) {
            const auto& known = known_sectors();
            if (std::find(known.begin(), known.end(), s) == known.end()) {
                result.errors.push_back(where + ": unknown sector '" + s + "' (not routed there)");
                continue;
            }
            all_sectors.insert(s);
            routes.push_back("sector-" + s);
        }
        const Tlp tlp = tlp_of(o);
        if (tlp <= Tlp::kGreen) routes.push_back("national");
        if (routes.empty()) {
            result.errors.push_back(where + ": no collection (name a sector in x_iotwatch_sectors, or mark it TLP:CLEAR/GREEN)");
            continue;
        }
        // Severity from the content (documented in the header).
        if (type == "malware" || (type == "indicator" && json_int(o, "confidence", 0) >= 80)) {
            if (result.severity < 3) result.severity = 3, result.severity_reason = "high: " + type + (type == "indicator" ? " with confidence >= 80" : "");
        } else if (type == "indicator" && result.severity < 2) {
            result.severity = 2, result.severity_reason = "medium: indicator";
        }
        const std::string json = o.dump();
        const std::string id = o["id"].get<std::string>();
        bool merged_any = false;
        for (const auto& c : routes) {
            // Sector members receive AMBER objects of their sector; the submitter stays unnamed.
            std::vector<std::string> members;
            if (registry_ && c.rfind("sector-", 0) == 0)
                for (const auto& org : registry_->organisations())
                    if (std::find(org.sectors.begin(), org.sectors.end(), c.substr(7)) != org.sectors.end())
                        members.push_back(org.id);
            ShareObjectRow row{c, id, type, dedup_key(o), now_ns, tlp_name(tlp), "", join(members), 1, json};
            if (!store_.put_share_object(row)) merged_any = true;
            collections.insert(c);
        }
        store_.put_share_seal({id, submitter, now_ns, result.status_id});
        if (type == "indicator" && tlp <= Tlp::kGreen) community.push_back(o);
        ++result.accepted;
        result.merged += merged_any;
    }
    if (!community.empty()) {
        // The malicious-site list takes what parses as a site; other indicators are not sites.
        const nlohmann::json b = {{"type", "bundle"}, {"id", "bundle--" + uuid5(kHubNamespace, result.status_id)},
                                  {"objects", community}};
        const SiteParseResult sites = parse_sites_stix(b.dump(), name, "hub-submission");
        std::vector<MaliciousSiteRow> rows;
        for (const auto& m : sites.sites)
            rows.push_back({m.domain, m.url, m.category, m.source, m.first_seen_ns, m.last_seen_ns});
        if (!rows.empty()) store_.put_malicious_sites(rows);
        result.sites = rows.size();
    }
    if (result.severity == 1) result.severity_reason = "low: observations only";
    if (all_sectors.size() >= 3) {
        result.severity = 4;
        result.severity_reason = "critical: " + std::to_string(all_sectors.size()) + " sectors concerned";
    }
    result.collections.assign(collections.begin(), collections.end());
    return result;
}

void SharingHub::publish(const std::string& collection, const std::string& object_json, const std::string& publisher,
                         const std::vector<std::string>& recipients, int64_t now_ns) {
    const nlohmann::json o = nlohmann::json::parse(object_json);
    store_.put_share_object({collection, json_string(o, "id"), json_string(o, "type"), dedup_key(o), now_ns, tlp_name(tlp_of(o)),
                             publisher, join(recipients), 1, object_json});
}

std::vector<std::string> SharingHub::collections(const Reader& reader) {
    std::set<std::string> out;
    for (const auto& r : objects(reader, "", INT64_MIN, SIZE_MAX)) out.insert(r.collection);
    return {out.begin(), out.end()};
}

std::vector<ShareObjectRow> SharingHub::objects(const Reader& reader, const std::string& collection, int64_t added_after_ns,
                                                size_t limit, const std::string& type) {
    std::vector<ShareObjectRow> out;
    for (auto& r : store_.share_objects(collection, added_after_ns)) {
        if (out.size() >= limit) break;
        if (!type.empty() && r.type != type) continue;
        Tlp tlp = Tlp::kAmber;
        for (int t = 0; t <= 4; ++t)
            if (r.tlp == tlp_name(static_cast<Tlp>(t))) tlp = static_cast<Tlp>(t);
        std::vector<std::string> recipients;
        for (size_t start = 0; start < r.recipients.size();) {
            size_t comma = r.recipients.find(',', start);
            if (comma == std::string::npos) comma = r.recipients.size();
            recipients.push_back(r.recipients.substr(start, comma - start));
            start = comma + 1;
        }
        if (!tlp_allows(tlp, reader, r.publisher, recipients)) continue;
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace iotwatch

#include "notify/evidence_feed.h"

#include <nlohmann/json.hpp>

#include "core/json_read.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "core/csv_lines.h"
#include "core/text_fields.h"
#include "core/timestamp.h"

namespace iotwatch {
namespace {

constexpr size_t kMaxErrors = 100;
constexpr size_t kMaxDetail = 200;  // bytes of free text kept per record (data minimisation)

void add_error(FeedParseResult& r, const std::string& msg) {
    ++r.bad;
    if (r.errors.size() < kMaxErrors) r.errors.push_back(msg);
}





std::string bounded(std::string s) {
    if (s.size() > kMaxDetail) s.resize(kMaxDetail);
    return s;
}

}  // namespace

FeedParseResult parse_evidence_csv(const std::string& text, const std::string& name, const std::string& feed) {
    FeedParseResult r;
    int col_addr = -1, col_time = -1, col_family = -1, col_detail = -1;
    bool header = false;
    CsvLines lines(text, name);
    while (lines.next()) {
        const std::string& where = lines.where();
        if (!lines.split()) {
            add_error(r, where + ": unterminated quoted field");
            continue;
        }
        if (!header) {
            col_addr = find_column(lines.cells(), {"address", "ip", "src_ip"});
            col_time = find_column(lines.cells(), {"timestamp", "time", "ts", "first_seen"});
            col_family = find_column(lines.cells(), {"family", "infection", "malware"});
            col_detail = find_column(lines.cells(), {"hostname", "detail", "url"});
            if (col_addr < 0 || col_time < 0) {
                add_error(r, where + ": header must name an address column (address, ip or src_ip) and a time "
                                     "column (timestamp, time, ts or first_seen)");
                return r;
            }
            header = true;
            continue;
        }
        auto addr = IpAddress::parse(lines.cell(col_addr));
        if (!addr) {
            add_error(r, where + ": field 'address': '" + bounded(lines.cell(col_addr)) + "' is not an IP address");
            continue;
        }
        auto ts = parse_feed_time(lines.cell(col_time));
        if (!ts) {
            add_error(r, where + ": field 'timestamp': '" + bounded(lines.cell(col_time)) +
                             "' is not an ISO 8601 UTC time or Unix seconds");
            continue;
        }
        r.records.push_back({feed, *addr, *ts, lower(lines.cell(col_family)), bounded(lines.cell(col_detail))});
    }
    if (!header) add_error(r, name + ": empty feed (no header line)");
    return r;
}

namespace {

/// "[ipv4-addr:value = '192.0.2.1']" -> the address; also accepts ipv6-addr and double quotes.
std::optional<IpAddress> pattern_address(const std::string& pattern) {
    for (const char* type : {"ipv4-addr:value", "ipv6-addr:value"}) {
        size_t at = pattern.find(type);
        if (at == std::string::npos) continue;
        size_t q = pattern.find_first_of("'\"", at);
        if (q == std::string::npos) return std::nullopt;
        size_t q2 = pattern.find(pattern[q], q + 1);
        if (q2 == std::string::npos) return std::nullopt;
        std::string v = pattern.substr(q + 1, q2 - q - 1);
        if (auto slash = v.find('/'); slash != std::string::npos) {
            if (v.substr(slash) != "/32" && v.substr(slash) != "/128") return std::nullopt;  // a range, not a host
            v.resize(slash);
        }
        return IpAddress::parse(v);
    }
    return std::nullopt;
}

}  // namespace

FeedParseResult parse_evidence_stix(const std::string& text, const std::string& name, const std::string& feed) {
    FeedParseResult r;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        add_error(r, name + ": byte " + std::to_string(e.byte) + ": not JSON: " + e.what());
        return r;
    } catch (const nlohmann::json::exception& e) {  // e.g. a number out of range
        add_error(r, name + ": not JSON: " + e.what());
        return r;
    }
    if (!doc.is_object() || json_string(doc, "type") != "bundle" || !doc.contains("objects") || !doc["objects"].is_array()) {
        add_error(r, name + ": not a STIX 2.1 bundle (expected type \"bundle\" with an objects array)");
        return r;
    }
    const auto& objects = doc["objects"];
    // Address objects by id, for observed-data references.
    std::vector<std::pair<std::string, IpAddress>> addresses;
    for (const auto& o : objects) {
        if (!o.is_object()) continue;
        const std::string type = json_string(o, "type");
        if ((type == "ipv4-addr" || type == "ipv6-addr") && o.contains("id") && o["id"].is_string() &&
            o.contains("value") && o["value"].is_string())
            if (auto a = IpAddress::parse(o["value"].get<std::string>())) addresses.push_back({o["id"].get<std::string>(), *a});
    }
    auto str = [](const nlohmann::json& o, const char* key) {
        return o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
    };
    size_t index = 0;
    for (const auto& o : objects) {
        const std::string where = name + ": objects[" + std::to_string(index++) + "]";
        if (!o.is_object()) {
            add_error(r, where + ": not an object");
            continue;
        }
        const std::string type = str(o, "type");
        std::string family;
        if (o.contains("labels") && o["labels"].is_array() && !o["labels"].empty() && o["labels"][0].is_string())
            family = lower(o["labels"][0].get<std::string>());
        if (type == "indicator") {
            auto addr = pattern_address(str(o, "pattern"));
            if (!addr) continue;  // indicators of other things (URLs, hashes) are not address evidence
            auto ts = parse_utc(str(o, "valid_from"));
            if (!ts) {
                add_error(r, where + ": field 'valid_from': '" + bounded(str(o, "valid_from")) + "' is not a STIX timestamp");
                continue;
            }
            r.records.push_back({feed, *addr, *ts, family, bounded(str(o, "name"))});
        } else if (type == "observed-data") {
            auto ts = parse_utc(str(o, "first_observed"));
            if (!ts) {
                add_error(r, where + ": field 'first_observed': '" + bounded(str(o, "first_observed")) +
                                 "' is not a STIX timestamp");
                continue;
            }
            if (!o.contains("object_refs") || !o["object_refs"].is_array()) continue;
            for (const auto& ref : o["object_refs"]) {
                if (!ref.is_string()) continue;
                for (const auto& [id, a] : addresses)
                    if (id == ref.get<std::string>()) r.records.push_back({feed, a, *ts, family, ""});
            }
        }
    }
    return r;
}

}  // namespace iotwatch

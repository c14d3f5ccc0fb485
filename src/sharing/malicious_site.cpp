#include "sharing/malicious_site.h"

#include <nlohmann/json.hpp>

#include "core/json_read.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "core/csv_lines.h"
#include "core/ip_address.h"
#include "core/text_fields.h"
#include "core/timestamp.h"

namespace iotwatch {
namespace {

constexpr size_t kMaxErrors = 100;

void add_error(SiteParseResult& r, const std::string& msg) {
    ++r.bad;
    if (r.errors.size() < kMaxErrors) r.errors.push_back(msg);
}



std::string shown(const std::string& s) { return s.size() > 120 ? s.substr(0, 120) + "..." : s; }



}  // namespace

std::optional<std::string> normalise_domain(const std::string& text, std::string* why) {
    std::string d = lower(trim(text));
    if (!d.empty() && d.back() == '.') d.pop_back();
    auto fail = [&](const std::string& reason) -> std::optional<std::string> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (d.empty()) return fail("empty name");
    if (d.size() > 253) return fail("name longer than 253 bytes");
    if (IpAddress::parse(d) || (d.front() == '[' && d.back() == ']'))
        return fail("'" + shown(d) + "' is an IP address, not a DNS name (RPZ lists names)");
    size_t label = 0;
    for (size_t i = 0; i <= d.size(); ++i) {
        if (i == d.size() || d[i] == '.') {
            if (label == 0) return fail("'" + shown(d) + "' has an empty label");
            if (label > 63) return fail("'" + shown(d) + "' has a label longer than 63 bytes");
            label = 0;
            continue;
        }
        const unsigned char c = static_cast<unsigned char>(d[i]);
        if (c >= 0x80) return fail("'" + shown(d) + "' is not ASCII (give its punycode xn-- form)");
        if (!(std::isalnum(c) || c == '-' || c == '_')) return fail("'" + shown(d) + "' holds the character '" + std::string(1, char(c)) + "'");
        ++label;
    }
    return d;
}

std::optional<std::string> url_host(const std::string& url, std::string* why) {
    const std::string u = trim(url);
    const size_t scheme = u.find("://");
    if (scheme == std::string::npos) {
        if (why) *why = "'" + shown(u) + "' is not a URL (no scheme://)";
        return std::nullopt;
    }
    size_t start = scheme + 3;
    size_t end = u.find_first_of("/?#", start);
    std::string authority = u.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
    if (!authority.empty() && authority.front() == '[') {
        if (why) *why = "'" + shown(u) + "' has an IP-literal host, not a DNS name";
        return std::nullopt;
    }
    if (auto colon = authority.find(':'); colon != std::string::npos) authority.resize(colon);
    return normalise_domain(authority, why);
}

SiteParseResult parse_sites_csv(const std::string& text, const std::string& name, const std::string& source,
                                const std::string& default_category, int64_t now_ns) {
    SiteParseResult r;
    int col_url = -1, col_domain = -1, col_time = -1, col_cat = -1;
    bool header = false;
    CsvLines lines(text, name);
    while (lines.next()) {
        const std::string& where = lines.where();
        if (!lines.split()) {
            add_error(r, where + ": unterminated quoted field");
            continue;
        }
        if (!header) {
            col_url = find_column(lines.cells(), {"url"});
            col_domain = find_column(lines.cells(), {"domain", "host", "hostname"});
            col_time = find_column(lines.cells(), {"first_seen", "timestamp", "date", "time"});
            col_cat = find_column(lines.cells(), {"category", "threat", "type"});
            if (col_url < 0 && col_domain < 0) {
                add_error(r, where + ": header must name a url, domain or host column");
                return r;
            }
            header = true;
            continue;
        }
        auto cell = [&](int i) { return lines.cell(i); };
        MaliciousSite s;
        std::string why;
        std::optional<std::string> domain;
        if (col_url >= 0 && !cell(col_url).empty()) {
            s.url = trim(cell(col_url));
            domain = url_host(s.url, &why);
            if (!domain) {
                add_error(r, where + ": field 'url': " + why);
                continue;
            }
        } else {
            domain = normalise_domain(cell(col_domain), &why);
            if (!domain) {
                add_error(r, where + ": field 'domain': " + why);
                continue;
            }
        }
        s.domain = *domain;
        if (col_time >= 0 && !cell(col_time).empty()) {
            auto t = parse_feed_time(cell(col_time));
            if (!t) {
                add_error(r, where + ": field 'first_seen': '" + shown(cell(col_time)) + "' is not an ISO 8601 UTC time or Unix seconds");
                continue;
            }
            s.first_seen_ns = s.last_seen_ns = *t;
        } else {
            s.first_seen_ns = s.last_seen_ns = now_ns;
        }
        s.category = lower(trim(cell(col_cat)));
        if (s.category.empty()) s.category = default_category.empty() ? "malware" : default_category;
        s.source = source;
        r.sites.push_back(std::move(s));
    }
    if (!header) add_error(r, name + ": empty list (no header line)");
    return r;
}

SiteParseResult parse_sites_stix(const std::string& text, const std::string& name, const std::string& source) {
    SiteParseResult r;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        add_error(r, name + ": byte " + std::to_string(e.byte) + ": not JSON");
        return r;
    } catch (const nlohmann::json::exception& e) {  // e.g. a number out of range
        add_error(r, name + ": not JSON: " + e.what());
        return r;
    }
    if (!doc.is_object() || !doc.contains("objects") || !doc["objects"].is_array()) {
        add_error(r, name + ": not a STIX 2.1 bundle (no objects array)");
        return r;
    }
    size_t index = 0;
    for (const auto& o : doc["objects"]) {
        const std::string where = name + ": objects[" + std::to_string(index++) + "]";
        if (!o.is_object() || json_string(o, "type") != "indicator" || !o.contains("pattern") || !o["pattern"].is_string()) continue;
        const std::string pattern = o["pattern"].get<std::string>();
        const bool is_url = pattern.find("url:value") != std::string::npos;
        const bool is_domain = pattern.find("domain-name:value") != std::string::npos;
        if (!is_url && !is_domain) continue;
        const size_t q = pattern.find_first_of("'\"", pattern.find(":value"));
        const size_t q2 = q == std::string::npos ? q : pattern.find(pattern[q], q + 1);
        if (q2 == std::string::npos) {
            add_error(r, where + ": field 'pattern': no quoted value");
            continue;
        }
        const std::string value = pattern.substr(q + 1, q2 - q - 1);
        MaliciousSite s;
        std::string why;
        auto domain = is_url ? url_host(value, &why) : normalise_domain(value, &why);
        if (!domain) {
            add_error(r, where + ": field 'pattern': " + why);
            continue;
        }
        s.domain = *domain;
        if (is_url) s.url = value;
        auto t = parse_utc(json_string(o, "valid_from"));
        if (!t) {
            add_error(r, where + ": field 'valid_from': not a STIX timestamp");
            continue;
        }
        s.first_seen_ns = s.last_seen_ns = *t;
        s.category = "malware";
        for (const char* key : {"indicator_types", "labels"})
            if (o.contains(key) && o[key].is_array())
                for (const auto& v : o[key])
                    if (v.is_string() && lower(v.get<std::string>()).find("phish") != std::string::npos) s.category = "phishing";
        s.source = source;
        r.sites.push_back(std::move(s));
    }
    return r;
}

}  // namespace iotwatch

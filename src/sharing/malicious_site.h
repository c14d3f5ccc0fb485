// Malicious sites (ACTIVE): malware-distribution and phishing URLs and domains, from submissions
// and partner feeds, each with first/last seen and its source. The list becomes a DNS Response
// Policy Zone (rpz_zone.h) that ISPs load into their resolvers to send users to a warning page,
// and plain lists.
//
// Inputs:
//  - CSV with a header naming a `url`, `domain` or `host` column; optional `first_seen` /
//    `timestamp` / `date` (ISO 8601 UTC or Unix seconds; default: the import time) and `category` /
//    `threat` / `type` (default: the --category given, else "malware").
//  - A STIX 2.1 bundle: indicators whose pattern is [url:value = '...'] or
//    [domain-name:value = '...'] (time = valid_from, category from indicator_types / labels:
//    "phishing" when either says so, else "malware").
// Hosts are normalised (lower case, no trailing dot) and validated as DNS names; IP-address hosts
// and non-ASCII names (give the punycode form) are rejected with the file, line/object and field.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iotwatch {

struct MaliciousSite {
    std::string domain;    // the DNS name the RPZ lists (normalised)
    std::string url;       // the full URL when the feed gave one, else ""
    std::string category;  // "malware", "phishing", ...
    std::string source;    // feed or submitter name
    int64_t first_seen_ns = 0;
    int64_t last_seen_ns = 0;
};

struct SiteParseResult {
    std::vector<MaliciousSite> sites;
    std::vector<std::string> errors;  // bounded at 100
    uint64_t bad = 0;
};

/// Lower-cased, trailing-dot-free DNS name, or nullopt with the reason in *why (empty labels,
/// labels over 63 or names over 253 bytes, characters outside [a-z0-9-_], IP addresses, non-ASCII).
std::optional<std::string> normalise_domain(const std::string& text, std::string* why);
/// The host of an http(s)/ftp URL (userinfo and port stripped), normalised; nullopt with *why.
std::optional<std::string> url_host(const std::string& url, std::string* why);

SiteParseResult parse_sites_csv(const std::string& text, const std::string& name, const std::string& source,
                                const std::string& default_category, int64_t now_ns);
SiteParseResult parse_sites_stix(const std::string& text, const std::string& name, const std::string& source);

}  // namespace iotwatch

// RpzZone: a DNS Response Policy Zone (the de-facto standard of ISC's draft-vixie-dnsop-dns-rpz,
// loaded by BIND's response-policy and Unbound's rpz: clause) that redirects the listed names, and
// every name under them, to the ISP's warning page. Deterministic: the same list and options give
// the same bytes (the SOA serial derives from the newest last_seen unless given).
#pragma once
#include <string>
#include <vector>

#include "sharing/malicious_site.h"

namespace iotwatch {

struct RpzOptions {
    std::string zone = "rpz.iotwatch.local";  // the policy zone's origin
    std::string warning_a;      // A record of the warning page (redirect), or ""
    std::string warning_aaaa;   // AAAA record, or ""
    std::string warning_cname;  // CNAME target instead of addresses, or ""
    bool nxdomain = false;      // answer NXDOMAIN instead of redirecting
    uint32_t ttl = 300;
    uint32_t serial = 0;        // 0: YYYYMMDD00 of the newest last_seen (or 1970010100 when empty)
};

/// Renders the zone file text. Each distinct domain is listed once (with `*.domain` too), sorted;
/// a comment line before it names categories and sources. Throws ConfigError on unusable options
/// (no action, bad addresses, bad names).
std::string render_rpz_zone(const std::vector<MaliciousSite>& sites, const RpzOptions& options);

}  // namespace iotwatch

// OrganisationRegistry: the ISPs and DAEDALUS members that receive alerts, loaded from TOML and
// validated at load. Each organisation claims address space by prefix and/or by ASN; an address is
// attributed by the longest matching claimed prefix first, then by its origin ASN (which needs an
// ASN database: see GeoEnricher). Overlapping claims between organisations are configuration
// errors, reported with both claimants, never silently resolved: an alert sent to the wrong ISP
// discloses a subscriber's address to a third party.
//
//   [[organisation]]
//   id = "example-isp"                 # [a-z0-9-], names its outbox folder
//   name = "Example ISP"
//   kind = "isp"                       # "isp" or "daedalus" (pools its unused space as darknet)
//   contact = "abuse@example.net"
//   asns = [64500]
//   prefixes = ["192.0.2.0/24", "2001:db8::/32"]
//   darknet = ["198.51.100.0/24"]      # DAEDALUS: unused space it contributes (optional)
//   formats = ["shadowserver-csv", "jsonl", "stix"]   # default: all three
//   outbox = "/srv/alerts/example-isp"  # delivery folder (default: <alerts --outbox>/<id>)
//   sectors = ["information-communication"]  # sharing-hub sectors it belongs to
//   token_sha256 = "..."               # API/TAXII token, stored as its SHA-256 only
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/prefix.h"
#include "enrich/prefix_table.h"

namespace iotwatch {

struct Organisation {
    std::string id;
    std::string name;
    std::string kind = "isp";
    std::string contact;
    std::vector<uint32_t> asns;
    std::vector<Prefix> prefixes;
    std::vector<Prefix> darknet;
    std::vector<std::string> formats;
    std::string outbox;  // delivery folder for its daily files; "" = the run's outbox/<id>
    std::vector<std::string> sectors;  // sharing-hub sectors (AMBER sector objects reach their members)
    std::string token_sha256;          // lower-case hex SHA-256 of its API token, "" when none
};

class OrganisationRegistry {
public:
    static constexpr uint32_t kNone = UINT32_MAX;

    /// Parses TOML text; `name` (the file) prefixes every error. Throws ConfigError listing every
    /// problem found (one per line), overlaps included.
    static OrganisationRegistry parse(const std::string& text, const std::string& name);
    static OrganisationRegistry load(const std::string& path);

    const std::vector<Organisation>& organisations() const { return orgs_; }
    /// Index of the organisation owning `a` by claimed prefix, else by `asn` (0 = unknown), else kNone.
    uint32_t owner(const IpAddress& a, uint32_t asn = 0) const;
    /// Index of the organisation whose contributed darknet contains `a`, or kNone.
    uint32_t darknet_owner(const IpAddress& a) const;
    /// Index of the organisation whose token hashes to `token_sha256`, or kNone.
    uint32_t find_by_token_hash(const std::string& token_sha256) const;
    /// Index of the organisation with this id, or kNone.
    uint32_t find(const std::string& id) const;

    /// Output formats an organisation may ask for.
    static const std::vector<std::string>& known_formats();

private:
    std::vector<Organisation> orgs_;
    PrefixTable by_prefix_;
    PrefixTable by_darknet_;
    std::vector<std::pair<uint32_t, uint32_t>> by_asn_;  // (asn, org), sorted
};

}  // namespace iotwatch

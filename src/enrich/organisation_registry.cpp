#include "enrich/organisation_registry.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace iotwatch {

const std::vector<std::string>& OrganisationRegistry::known_formats() {
    static const std::vector<std::string> kFormats = {"shadowserver-csv", "jsonl", "stix"};
    return kFormats;
}

namespace {

bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 64 || id.front() == '-') return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

struct Claim {
    Prefix prefix;
    uint32_t org;
    const char* what;  // "prefixes" or "darknet"
};

}  // namespace

OrganisationRegistry OrganisationRegistry::parse(const std::string& text, const std::string& name) {
    toml::table tbl;
    try {
        tbl = toml::parse(text, name);
    } catch (const toml::parse_error& e) {
        const auto& src = e.source();
        throw ConfigError(name + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column) +
                          ": " + std::string(e.description()));
    }
    std::vector<std::string> problems;
    OrganisationRegistry reg;
    for (auto& [k, v] : tbl)
        if (k.str() != "organisation")
            problems.push_back("unknown top-level key '" + std::string(k.str()) + "' (expected [[organisation]])");
    auto arr = tbl["organisation"].as_array();
    if (!arr && tbl.contains("organisation")) problems.push_back("'organisation' must be an array of tables ([[organisation]])");
    if (arr) {
        size_t i = 0;
        for (auto& node : *arr) {
            std::string where = "organisation[" + std::to_string(i++) + "]";
            auto t = node.as_table();
            if (!t) {
                problems.push_back(where + " is not a table");
                continue;
            }
            Organisation o;
            auto str = [&](const char* key, std::string& out, bool required) {
                auto n = (*t)[key];
                if (!n) {
                    if (required) problems.push_back(where + "." + key + " is missing");
                    return;
                }
                auto v = n.value<std::string>();
                if (!v) problems.push_back(where + "." + key + " must be a string");
                else out = *v;
            };
            str("id", o.id, true);
            if (!o.id.empty()) where += " ('" + o.id + "')";
            if (!o.id.empty() && !valid_id(o.id))
                problems.push_back(where + ".id must be 1-64 of [a-z0-9-], not starting with '-'");
            str("name", o.name, true);
            str("kind", o.kind, false);
            if (o.kind != "isp" && o.kind != "daedalus")
                problems.push_back(where + ".kind must be \"isp\" or \"daedalus\", not \"" + o.kind + "\"");
            str("contact", o.contact, false);
            str("outbox", o.outbox, false);
            str("token_sha256", o.token_sha256, false);
            if (!o.token_sha256.empty() &&
                (o.token_sha256.size() != 64 || o.token_sha256.find_first_not_of("0123456789abcdef") != std::string::npos))
                problems.push_back(where + ".token_sha256 must be 64 lower-case hex digits (sha256sum of the token)");
            if (auto n = (*t)["sectors"]) {
                auto a = n.as_array();
                if (!a) problems.push_back(where + ".sectors must be an array of strings");
                else
                    for (auto& e : *a) {
                        auto v = e.value<std::string>();
                        if (!v || v->empty()) problems.push_back(where + ".sectors holds a non-string value");
                        else o.sectors.push_back(*v);
                    }
            }
            if (auto n = (*t)["asns"]) {
                auto a = n.as_array();
                if (!a) problems.push_back(where + ".asns must be an array of integers");
                else
                    for (auto& e : *a) {
                        auto v = e.value_exact<int64_t>();
                        if (!v || *v <= 0 || *v > 4294967295LL)
                            problems.push_back(where + ".asns holds a value that is not an ASN (1..4294967295)");
                        else o.asns.push_back(static_cast<uint32_t>(*v));
                    }
            }
            auto prefixes = [&](const char* key, std::vector<Prefix>& out) {
                auto n = (*t)[key];
                if (!n) return;
                auto a = n.as_array();
                if (!a) {
                    problems.push_back(where + "." + key + " must be an array of CIDR strings");
                    return;
                }
                for (auto& e : *a) {
                    auto v = e.value<std::string>();
                    std::string err;
                    std::optional<Prefix> p;
                    if (v) p = Prefix::parse(*v, &err);
                    if (!v) problems.push_back(where + "." + key + " holds a non-string value");
                    else if (!p) problems.push_back(where + "." + key + ": " + err);
                    else out.push_back(*p);
                }
            };
            prefixes("prefixes", o.prefixes);
            prefixes("darknet", o.darknet);
            if (o.asns.empty() && o.prefixes.empty())
                problems.push_back(where + " claims no address space (give asns and/or prefixes)");
            if (auto n = (*t)["formats"]) {
                auto a = n.as_array();
                if (!a) problems.push_back(where + ".formats must be an array of strings");
                else
                    for (auto& e : *a) {
                        auto v = e.value<std::string>();
                        const auto& known = known_formats();
                        if (!v || std::find(known.begin(), known.end(), *v) == known.end())
                            problems.push_back(where + ".formats: unknown format (known: shadowserver-csv, jsonl, stix)");
                        else o.formats.push_back(*v);
                    }
            } else {
                o.formats = known_formats();
            }
            for (auto& [k, v] : *t) {
                static const char* const kKnown[] = {"id", "name", "kind", "contact", "asns", "prefixes", "darknet", "formats", "outbox",
                                                     "sectors", "token_sha256"};
                bool known = false;
                for (const char* n : kKnown) known = known || k.str() == n;
                if (!known) problems.push_back(where + ": unknown key '" + std::string(k.str()) + "'");
            }
            for (const auto& other : reg.orgs_)
                if (!o.id.empty() && other.id == o.id) problems.push_back(where + ": duplicate id '" + o.id + "'");
            // One token, one organisation: a shared token would let one read the other's alerts.
            for (const auto& other : reg.orgs_)
                if (!o.token_sha256.empty() && other.token_sha256 == o.token_sha256)
                    problems.push_back(where + ": same token_sha256 as '" + other.id + "'");
            reg.orgs_.push_back(std::move(o));
        }
    }

    // Overlaps between organisations, claimed prefixes and contributed darknets alike.
    std::vector<Claim> claims;
    for (uint32_t i = 0; i < reg.orgs_.size(); ++i) {
        for (const auto& p : reg.orgs_[i].prefixes) claims.push_back({p, i, "prefixes"});
        for (const auto& p : reg.orgs_[i].darknet) claims.push_back({p, i, "darknet"});
    }
    std::sort(claims.begin(), claims.end(), [](const Claim& a, const Claim& b) {
        return a.prefix.network() != b.prefix.network() ? a.prefix.network() < b.prefix.network()
                                                         : a.prefix.length128() < b.prefix.length128();
    });
    // Sorted by network then length, every prefix that overlaps claim j and starts at or before it
    // contains it; a stack of the enclosing claims finds all such pairs in one pass.
    std::vector<const Claim*> open;
    auto describe = [&](const Claim& c) {
        return "'" + reg.orgs_[c.org].id + "' " + c.what + " " + c.prefix.to_string();
    };
    for (const auto& c : claims) {
        while (!open.empty() && !open.back()->prefix.contains(c.prefix.network())) open.pop_back();
        for (const Claim* enclosing : open) {
            // Within one organisation nesting is fine: a more specific prefix of its own claim, or a
            // DAEDALUS member's darknet inside its own allocation. Across organisations it is ambiguous.
            if (enclosing->org == c.org) continue;
            problems.push_back("overlap: " + describe(*enclosing) + " and " + describe(c));
        }
        open.push_back(&c);
    }
    // ASNs claimed twice.
    for (uint32_t i = 0; i < reg.orgs_.size(); ++i)
        for (uint32_t asn : reg.orgs_[i].asns) reg.by_asn_.push_back({asn, i});
    std::sort(reg.by_asn_.begin(), reg.by_asn_.end());
    for (size_t i = 1; i < reg.by_asn_.size(); ++i)
        if (reg.by_asn_[i].first == reg.by_asn_[i - 1].first)
            problems.push_back("overlap: AS" + std::to_string(reg.by_asn_[i].first) + " is claimed by '" +
                               reg.orgs_[reg.by_asn_[i - 1].second].id + "' and '" +
                               reg.orgs_[reg.by_asn_[i].second].id + "'");
    if (!problems.empty()) {
        std::string msg = name + ": " + std::to_string(problems.size()) + " problem(s):";
        for (const auto& p : problems) msg += "\n  " + p;
        throw ConfigError(msg);
    }
    for (uint32_t i = 0; i < reg.orgs_.size(); ++i) {
        for (const auto& p : reg.orgs_[i].prefixes) reg.by_prefix_.add(p, i);
        for (const auto& p : reg.orgs_[i].darknet) reg.by_darknet_.add(p, i);
    }
    reg.by_prefix_.build();
    reg.by_darknet_.build();
    return reg;
}

OrganisationRegistry OrganisationRegistry::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot open the organisation registry");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

uint32_t OrganisationRegistry::owner(const IpAddress& a, uint32_t asn) const {
    uint32_t i = by_prefix_.lookup(a);
    if (i != PrefixTable::kNoMatch) return i;
    if (asn == 0) return kNone;
    auto it = std::lower_bound(by_asn_.begin(), by_asn_.end(), std::make_pair(asn, 0u));
    return it != by_asn_.end() && it->first == asn ? it->second : kNone;
}

uint32_t OrganisationRegistry::darknet_owner(const IpAddress& a) const {
    uint32_t i = by_darknet_.lookup(a);
    return i == PrefixTable::kNoMatch ? kNone : i;
}

uint32_t OrganisationRegistry::find_by_token_hash(const std::string& token_sha256) const {
    if (token_sha256.empty()) return kNone;
    for (uint32_t i = 0; i < orgs_.size(); ++i)
        if (orgs_[i].token_sha256 == token_sha256) return i;
    return kNone;
}

uint32_t OrganisationRegistry::find(const std::string& id) const {
    for (uint32_t i = 0; i < orgs_.size(); ++i)
        if (orgs_[i].id == id) return i;
    return kNone;
}

}  // namespace iotwatch

// AccessControl: who a bearer token belongs to. One admin token (sees everything) and at most one
// token per organisation of the registry (sees only alerts and per-address rows of addresses the
// registry attributes to it; telescope-wide aggregates are shared).
//
// Only SHA-256 digests of tokens are held (the registry stores `token_sha256`; the admin token is
// hashed at construction), and digests are compared in constant time, so neither a memory dump
// nor response timing gives a token away.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enrich/organisation_registry.h"

namespace iotwatch::server {

struct Principal {
    bool admin = false;
    uint32_t org = OrganisationRegistry::kNone;  // registry index when !admin
    std::string org_id;                          // "" for the admin
    /// For the access log: "api:admin" or "api:org:<id>".
    std::string name() const { return admin ? "api:admin" : "api:org:" + org_id; }
};

class AccessControl {
public:
    /// `registry` may be null (admin only) and must outlive this object.
    AccessControl(std::string admin_token, const OrganisationRegistry* registry);

    /// The principal of an `Authorization` header value ("Bearer TOKEN"), or nullopt when the
    /// header is missing, malformed or names no known token.
    std::optional<Principal> authenticate(std::string_view authorization_header) const;

    /// 32 random bytes as 64 hex digits (OpenSSL RAND_bytes), for a generated admin token.
    static std::string generate_token();

private:
    std::string admin_sha256_;
    const OrganisationRegistry* registry_;
};

}  // namespace iotwatch::server

#include "server/access_control.h"

#include <openssl/rand.h>

#include "core/digest.h"
#include "core/error.h"

namespace iotwatch::server {

AccessControl::AccessControl(std::string admin_token, const OrganisationRegistry* registry)
    : admin_sha256_(sha256_hex(admin_token)), registry_(registry) {
    if (admin_token.size() < 16) throw ConfigError("the admin token must be at least 16 characters");
}

std::optional<Principal> AccessControl::authenticate(std::string_view header) const {
    const std::string digest = bearer_token_sha256(header);
    if (digest.empty()) return std::nullopt;
    // Every candidate is compared (no early exit), so timing does not tell which matched.
    std::optional<Principal> found;
    if (same_digest(digest, admin_sha256_)) found = Principal{true, OrganisationRegistry::kNone, ""};
    if (registry_) {
        const auto& orgs = registry_->organisations();
        for (uint32_t i = 0; i < orgs.size(); ++i)
            if (same_digest(digest, orgs[i].token_sha256) && !found) found = Principal{false, i, orgs[i].id};
    }
    return found;
}

std::string AccessControl::generate_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed: no token generated");
    static const char* const kHex = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

}  // namespace iotwatch::server

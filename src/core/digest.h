// Digests for output integrity and stable identifiers (OpenSSL libcrypto): SHA-256 for outbox
// manifests, and name-based UUIDs (RFC 9562 version 5, SHA-1) so that a re-run of the same day
// produces the same STIX ids, byte for byte.
#pragma once
#include <string>
#include <string_view>

namespace iotwatch {

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
/// Lower-case hex SHA-256 of a file's contents; throws StoreError naming the file when unreadable.
std::string sha256_file_hex(const std::string& path);
/// Constant-time comparison of two hex digests; false when either is empty.
bool same_digest(std::string_view a, std::string_view b);
/// The SHA-256 (hex) of the token of an `Authorization: Bearer TOKEN` header value (scheme
/// case-insensitive, spaces around the token ignored), or "" when the header is not one (or the
/// token is empty or longer than 4096 bytes). Tokens are only ever compared as digests.
std::string bearer_token_sha256(std::string_view header);
/// UUID version 5 of `name` in the namespace `ns` (canonical 8-4-4-4-12 lower-case text).
std::string uuid5(std::string_view ns, std::string_view name);

}  // namespace iotwatch

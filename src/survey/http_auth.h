// HTTP authentication for the survey (no I/O): parsing a response head and its WWW-Authenticate
// challenges (RFC 7235 syntax: several challenges per header, quoted-string parameters), and
// building the Authorization header for Basic (RFC 7617) and Digest (RFC 7616: MD5 and SHA-256,
// qop=auth, or the RFC 2069 form without qop). Never throws on bad input: a head that does not
// parse is reported as not HTTP, a challenge that does not parse is skipped.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotwatch {

struct HttpChallenge {
    std::string scheme;                         // lower-case: "basic", "digest", ...
    std::map<std::string, std::string> params;  // lower-case names: realm, nonce, qop, algorithm, opaque, stale
};

struct HttpResponseHead {
    int status = 0;
    size_t header_bytes = 0;                    // through the blank line
    std::optional<uint64_t> content_length;
    std::string server;
    std::vector<HttpChallenge> challenges;      // from every WWW-Authenticate header
};

class HttpAuth {
public:
    /// Parses a response head from the start of `data`. nullopt when the blank line has not yet
    /// arrived; sets *not_http when the bytes cannot be an HTTP response.
    static std::optional<HttpResponseHead> parse_head(std::string_view data, bool* not_http);
    /// Challenges of one WWW-Authenticate header value.
    static std::vector<HttpChallenge> parse_challenges(std::string_view value);

    /// The challenge we answer: Digest SHA-256 > Digest MD5 > Basic; nullptr when none is usable.
    static const HttpChallenge* choose(const std::vector<HttpChallenge>& challenges);
    /// "basic", "digest-md5", "digest-sha-256" or the unsupported scheme's name.
    static std::string describe(const HttpChallenge& c);

    /// The Authorization header value answering `c`. `cnonce` and `nc` come from the caller
    /// (deterministic under test).
    static std::string authorization(const HttpChallenge& c, const std::string& user, const std::string& password,
                                     const std::string& method, const std::string& uri, const std::string& cnonce,
                                     uint32_t nc);
    static std::string base64(std::string_view in);
    static std::string md5_hex(std::string_view in);
};

}  // namespace iotwatch

#include "survey/http_auth.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdio>

#include "core/digest.h"

namespace iotwatch {
namespace {

constexpr size_t kMaxHead = 64 * 1024;

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string hex_digest(const EVP_MD* md, std::string_view in) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(in.data(), in.size(), out, &len, md, nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < len; ++i) {
        s += kHex[out[i] >> 4];
        s += kHex[out[i] & 15];
    }
    return s;
}

std::string quote(const std::string& v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

std::string HttpAuth::md5_hex(std::string_view in) { return hex_digest(EVP_md5(), in); }

std::string HttpAuth::base64(std::string_view in) {
    static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += kB64[v & 63];
    }
    if (i + 1 == in.size()) {
        const uint32_t v = uint8_t(in[i]) << 16;
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<HttpResponseHead> HttpAuth::parse_head(std::string_view data, bool* not_http) {
    if (not_http) *not_http = false;
    // "HTTP/" must start the response; checked as soon as 5 bytes are there.
    const std::string_view magic = "HTTP/";
    if (data.substr(0, magic.size()) != magic.substr(0, std::min(magic.size(), data.size()))) {
        if (not_http) *not_http = true;
        return std::nullopt;
    }
    const size_t end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (data.size() > kMaxHead && not_http) *not_http = true;
        return std::nullopt;
    }
    HttpResponseHead h;
    h.header_bytes = end + 4;
    std::string_view head = data.substr(0, end);
    size_t eol = head.find("\r\n");
    const std::string_view status_line = head.substr(0, eol);
    // "HTTP/1.1 401 Unauthorized"
    const size_t sp = status_line.find(' ');
    if (sp == std::string_view::npos || status_line.size() < sp + 4) {
        if (not_http) *not_http = true;
        return std::nullopt;
    }
    int status = 0;
    for (size_t i = sp + 1; i < sp + 4; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(status_line[i]))) {
            if (not_http) *not_http = true;
            return std::nullopt;
        }
        status = status * 10 + (status_line[i] - '0');
    }
    h.status = status;
    while (eol != std::string_view::npos) {
        const size_t start = eol + 2;
        eol = head.find("\r\n", start);
        const std::string_view line = head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string name = lower(trim(line.substr(0, colon)));
        const std::string_view value = trim(line.substr(colon + 1));
        if (name == "www-authenticate") {
            for (auto& c : parse_challenges(value)) h.challenges.push_back(std::move(c));
        } else if (name == "content-length") {
            uint64_t v = 0;
            bool ok = !value.empty() && value.size() < 19;
            for (char c : value) ok = ok && std::isdigit(static_cast<unsigned char>(c)), v = v * 10 + uint64_t(c - '0');
            if (ok) h.content_length = v;
        } else if (name == "server") {
            h.server = std::string(value.substr(0, 64));
        }
    }
    return h;
}

std::vector<HttpChallenge> HttpAuth::parse_challenges(std::string_view v) {
    // challenge = scheme [ 1*SP ( token68 / #auth-param ) ], challenges separated by commas. A
    // new challenge starts where a token is followed by a space and not by '='.
    std::vector<HttpChallenge> out;
    size_t i = 0;
    auto skip_ws = [&] {
        while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) ++i;
    };
    auto token = [&] {
        const size_t s = i;
        while (i < v.size() && is_token_char(v[i])) ++i;
        return std::string(v.substr(s, i - s));
    };
    skip_ws();
    while (i < v.size()) {
        std::string scheme = token();
        if (scheme.empty()) {
            ++i;  // junk byte: skip it
            skip_ws();
            continue;
        }
        HttpChallenge c;
        c.scheme = lower(scheme);
        // parameters
        for (;;) {
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
            if (i < v.size() && v[i] == ',') {
                ++i;
                while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) ++i;
            }
            const size_t save = i;
            std::string name = token();
            size_t j = i;
            while (j < v.size() && (v[j] == ' ' || v[j] == '\t')) ++j;
            if (name.empty() || j >= v.size() || v[j] != '=') {
                i = save;  // not a parameter: a new challenge (or the end)
                break;
            }
            i = j + 1;
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
            std::string value;
            if (i < v.size() && v[i] == '"') {
                ++i;
                while (i < v.size() && v[i] != '"') {
                    if (v[i] == '\\' && i + 1 < v.size()) ++i;
                    value += v[i++];
                }
                if (i < v.size()) ++i;
            } else {
                while (i < v.size() && v[i] != ',' && v[i] != ' ' && v[i] != '\t') value += v[i++];
            }
            c.params[lower(name)] = value;
        }
        out.push_back(std::move(c));
        skip_ws();
        if (out.size() > 16) break;  // bounded: a hostile header cannot grow this without limit
    }
    return out;
}

std::string HttpAuth::describe(const HttpChallenge& c) {
    if (c.scheme != "digest") return c.scheme;
    auto it = c.params.find("algorithm");
    std::string alg = it == c.params.end() ? "md5" : lower(it->second);
    return "digest-" + alg;
}

const HttpChallenge* HttpAuth::choose(const std::vector<HttpChallenge>& cs) {
    const HttpChallenge* best = nullptr;
    int best_rank = 0;
    for (const auto& c : cs) {
        int rank = 0;
        const std::string d = describe(c);
        if (d == "digest-sha-256") rank = 3;
        else if (d == "digest-md5") rank = 2;
        else if (d == "basic") rank = 1;
        if (rank == 2 || rank == 3) {
            auto qop = c.params.find("qop");
            // qop=auth or no qop (RFC 2069); auth-int alone is not supported.
            if (qop != c.params.end() && lower(qop->second).find("auth") == std::string::npos) rank = 0;
            if (c.params.find("nonce") == c.params.end()) rank = 0;
        }
        if (rank > best_rank) {
            best_rank = rank;
            best = &c;
        }
    }
    return best;
}

std::string HttpAuth::authorization(const HttpChallenge& c, const std::string& user, const std::string& password,
                                    const std::string& method, const std::string& uri, const std::string& cnonce,
                                    uint32_t nc) {
    if (c.scheme == "basic") return "Basic " + base64(user + ":" + password);
    const std::string d = describe(c);
    const EVP_MD* md = d == "digest-sha-256" ? EVP_sha256() : EVP_md5();
    auto get = [&](const char* k) {
        auto it = c.params.find(k);
        return it == c.params.end() ? std::string() : it->second;
    };
    const std::string realm = get("realm"), nonce = get("nonce"), opaque = get("opaque");
    const std::string ha1 = hex_digest(md, user + ":" + realm + ":" + password);
    const std::string ha2 = hex_digest(md, method + ":" + uri);
    const bool qop_auth = lower(get("qop")).find("auth") != std::string::npos;
    char ncbuf[9];
    std::snprintf(ncbuf, sizeof ncbuf, "%08x", nc);
    const std::string response = qop_auth ? hex_digest(md, ha1 + ":" + nonce + ":" + ncbuf + ":" + cnonce + ":auth:" + ha2)
                                          : hex_digest(md, ha1 + ":" + nonce + ":" + ha2);
    std::string h = "Digest username=" + quote(user) + ", realm=" + quote(realm) + ", nonce=" + quote(nonce) +
                    ", uri=" + quote(uri) + ", response=" + quote(response);
    if (c.params.count("algorithm")) h += ", algorithm=" + get("algorithm");
    if (!opaque.empty()) h += ", opaque=" + quote(opaque);
    if (qop_auth) h += ", qop=auth, nc=" + std::string(ncbuf) + ", cnonce=" + quote(cnonce);
    return h;
}

}  // namespace iotwatch

#include "core/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>

#include "core/error.h"

namespace iotwatch {
namespace {

std::string hex(const unsigned char* p, size_t n) {
    static const char* kDigits = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (size_t i = 0; i < n; ++i) {
        out[2 * i] = kDigits[p[i] >> 4];
        out[2 * i + 1] = kDigits[p[i] & 15];
    }
    return out;
}

struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

class Hasher {
public:
    explicit Hasher(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) throw std::runtime_error("OpenSSL digest init failed");
    }
    void update(const void* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
    std::string finish_raw() {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx_.get(), out, &n);
        return std::string(reinterpret_cast<char*>(out), n);
    }

private:
    std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

}  // namespace

std::string sha256_hex(std::string_view data) {
    Hasher h(EVP_sha256());
    h.update(data.data(), data.size());
    std::string raw = h.finish_raw();
    return hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string sha256_file_hex(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw StoreError(path + ": cannot read");
    Hasher h(EVP_sha256());
    std::array<char, 65536> buf;
    while (in) {
        in.read(buf.data(), buf.size());
        h.update(buf.data(), size_t(in.gcount()));
    }
    std::string raw = h.finish_raw();
    return hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string uuid5(std::string_view ns, std::string_view name) {
    // The namespace UUID's 16 bytes, then the name; the first 16 bytes of the SHA-1 with the
    // version (5) and RFC 4122 variant bits set.
    unsigned char ns_bytes[16] = {};
    size_t k = 0;
    for (size_t i = 0; i + 1 < ns.size() + 1 && k < 16; ++i) {
        if (ns[i] == '-') continue;
        auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
        if (i + 1 >= ns.size()) break;
        ns_bytes[k++] = static_cast<unsigned char>(nibble(ns[i]) << 4 | nibble(ns[i + 1]));
        ++i;
    }
    Hasher h(EVP_sha1());
    h.update(ns_bytes, 16);
    h.update(name.data(), name.size());
    std::string raw = h.finish_raw();
    auto* d = reinterpret_cast<unsigned char*>(raw.data());
    d[6] = static_cast<unsigned char>((d[6] & 0x0F) | 0x50);
    d[8] = static_cast<unsigned char>((d[8] & 0x3F) | 0x80);
    std::string x = hex(d, 16);
    return x.substr(0, 8) + "-" + x.substr(8, 4) + "-" + x.substr(12, 4) + "-" + x.substr(16, 4) + "-" + x.substr(20, 12);
}

bool same_digest(std::string_view a, std::string_view b) {
    return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string bearer_token_sha256(std::string_view header) {
    constexpr std::string_view kScheme = "Bearer ";
    if (header.size() <= kScheme.size()) return "";
    // The scheme name is case-insensitive (RFC 9110 11.1).
    for (size_t i = 0; i + 1 < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(header[i])) != std::tolower(static_cast<unsigned char>(kScheme[i])))
            return "";
    if (header[kScheme.size() - 1] != ' ') return "";
    std::string_view token = header.substr(kScheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.empty() || token.size() > 4096) return "";
    return sha256_hex(token);
}

}  // namespace iotwatch

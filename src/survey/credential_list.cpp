#include "survey/credential_list.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "survey/embedded_credentials.h"

namespace iotwatch {
namespace {

/// Splits one CSV line (RFC 4180 quotes allowed). Returns false on an unterminated quote.
bool split_csv(const std::string& line, std::vector<std::string>& out) {
    out.clear();
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return !quoted;
}

std::string stem(const std::string& name) {
    std::string s = name.substr(name.find_last_of('/') + 1);
    return s.substr(0, s.find('.'));
}

}  // namespace

CredentialList CredentialList::parse(const std::string& text, const std::string& name) {
    CredentialList list;
    size_t pos = 0, line_no = 0;
    int col_id = -1, col_user = -1, col_pass = -1, col_source = -1, col_weight = -1;
    bool header = false;
    std::vector<std::string> f;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        const uint64_t offset = pos;
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        if (!split_csv(line, f)) throw InputError(name, offset, "line " + std::to_string(line_no) + ": unterminated quote");
        if (!header) {
            for (size_t i = 0; i < f.size(); ++i) {
                const std::string& h = f[i];
                if (h == "id" || h == "index") col_id = int(i);
                else if (h == "user" || h == "username") col_user = int(i);
                else if (h == "password") col_pass = int(i);
                else if (h == "source" || h == "reason") col_source = int(i);
                else if (h == "weight") col_weight = int(i);
            }
            if (col_user < 0 || col_pass < 0)
                throw InputError(name, offset, "header: needs the columns user (or username) and password");
            header = true;
            continue;
        }
        auto field = [&](int c) -> std::string { return c >= 0 && size_t(c) < f.size() ? f[size_t(c)] : std::string(); };
        if (f.size() <= size_t(std::max(col_user, col_pass)))
            throw InputError(name, offset, "line " + std::to_string(line_no) + ": field password: missing");
        Credential c;
        c.user = field(col_user);
        c.password = field(col_pass);
        if (c.user.size() > 128 || c.password.size() > 128)
            throw InputError(name, offset, "line " + std::to_string(line_no) + ": field user/password: longer than 128 bytes");
        for (char ch : c.user + c.password)
            if (ch == '\r' || ch == '\n' || ch == '\0')
                throw InputError(name, offset, "line " + std::to_string(line_no) + ": field user/password: control character");
        const std::string id = field(col_id);
        c.id = col_id >= 0 && !id.empty() ? (col_weight >= 0 ? stem(name) + "-" + id : id)
                                          : stem(name) + "-" + std::to_string(line_no);
        c.source = col_source >= 0 ? field(col_source) : name;
        if (col_weight >= 0) {
            try {
                c.weight = std::stoi(field(col_weight));
            } catch (...) {
                throw InputError(name, offset, "line " + std::to_string(line_no) + ": field weight: not a number");
            }
            if (col_source < 0) c.source = name + " (weight " + std::to_string(c.weight) + ")";
        }
        list.items_.push_back(std::move(c));
    }
    if (!header) throw InputError(name, 0, "empty credential list (no header)");
    return list;
}

CredentialList CredentialList::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, UINT64_MAX, "cannot read the credential list");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

CredentialList CredentialList::builtin() {
    CredentialList list = parse(kMirai2016Csv, "mirai-2016.csv");
    for (auto& c : list.items_) c.source = "Mirai source code 2016 (public), weight " + std::to_string(c.weight);
    list.order(CredentialOrder::kWeight);
    // MIC ordinance 2018 No. 61 classes, each with examples the ordinance's guidance names.
    struct Rule {
        const char* cls;
        const char* reason;
        std::vector<const char*> passwords;
    };
    const Rule rules[] = {
        {"repeated", "MIC 2018 No. 61: one repeated character", {"11111111", "00000000", "aaaaaaaa"}},
        {"consecutive", "MIC 2018 No. 61: consecutive characters", {"12345678", "abcdefgh", "123456789"}},
        {"short", "MIC 2018 No. 61: fewer than 8 characters", {"1234", "admin", "0000"}},
        {"guessable", "MIC 2018 No. 61: easy to guess", {"password", "admin1234", "supervisor", "smcadmin"}},
    };
    for (const auto& r : rules) {
        int n = 0;
        for (const char* user : {"root", "admin"})
            for (const char* p : r.passwords)
                list.items_.push_back({std::string("mic-") + r.cls + "-" + std::to_string(++n), user, p, r.reason, 0});
    }
    // Keep the Mirai weights first and the MIC classes after, dropping pairs Mirai already had.
    list.order(CredentialOrder::kListed);
    return list;
}

void CredentialList::order(CredentialOrder how) {
    if (how == CredentialOrder::kWeight)
        std::stable_sort(items_.begin(), items_.end(), [](const Credential& a, const Credential& b) { return a.weight > b.weight; });
    std::set<std::pair<std::string, std::string>> seen;
    std::vector<Credential> kept;
    for (auto& c : items_)
        if (seen.insert({c.user, c.password}).second) kept.push_back(std::move(c));
    items_ = std::move(kept);
}

}  // namespace iotwatch

#include "core/text_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/timestamp.h"

namespace iotwatch {

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return std::string(s);
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines). False on an unterminated quote.
bool split_csv_line(std::string_view line, std::vector<std::string>& out) {
    out.clear();
    std::string cur;
    bool quoted = false, was_quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    cur += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cur += c;
            }
        } else if (c == '"' && trim(cur).empty()) {
            quoted = was_quoted = true;
            cur.clear();
        } else if (c == ',') {
            out.push_back(was_quoted ? cur : trim(cur));
            cur.clear();
            was_quoted = false;
        } else {
            cur += c;
        }
    }
    if (quoted) return false;
    out.push_back(was_quoted ? cur : trim(cur));
    return true;
}

/// ISO 8601 UTC (T or space separator, optional Z / fraction) or Unix seconds.
std::optional<int64_t> parse_feed_time(const std::string& text) {
    if (text.empty()) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) && text.size() <= 12) {
        int64_t s = 0;
        std::from_chars(text.data(), text.data() + text.size(), s);
        if (s > INT64_MAX / kNanosPerSecond) return std::nullopt;  // past 2262: not a time we can hold
        return s * kNanosPerSecond;
    }
    std::string t = text;
    if (t.size() >= 19 && t[10] == ' ') t[10] = 'T';
    if (t.size() >= 3 && t.compare(t.size() - 3, 3, "UTC") == 0) t = trim(t.substr(0, t.size() - 3));
    if (t.size() >= 6 && (t.compare(t.size() - 6, 6, "+00:00") == 0)) t = t.substr(0, t.size() - 6);
    if (!t.empty() && t.back() != 'Z' && t.size() > 10) t += 'Z';
    return parse_utc(t);
}

}  // namespace iotwatch

#include "server/request_params.h"

#include <charconv>

#include "core/timestamp.h"
#include "server/api_error.h"

namespace iotwatch::server {
namespace {

std::optional<int64_t> parse_int(const std::string& s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

/// Seconds since the epoch of a time parameter.
int64_t parse_time(const std::string& name, const std::string& text) {
    if (auto v = parse_int(text)) {
        if (*v < 0 || *v > 253402300799LL) throw ApiError(400, name, name + ": " + text + " is out of range");
        return *v;
    }
    if (auto ns = parse_utc(text)) return *ns / kNanosPerSecond;
    throw ApiError(400, name, name + " must be YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds, not '" + text + "'");
}

}  // namespace

RequestParams::RequestParams(const std::multimap<std::string, std::string>& params, const std::set<std::string>& allowed) {
    for (const auto& [k, v] : params) {
        if (!allowed.count(k)) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            throw ApiError(400, k, "unknown parameter '" + k + "'" + (list.empty() ? " (this endpoint takes none)" : " (known: " + list + ")"));
        }
        if (values_.count(k)) throw ApiError(400, k, "parameter '" + k + "' given more than once");
        values_[k] = v;
    }
}

std::string RequestParams::get(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

std::optional<int64_t> RequestParams::day(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    const std::string text = get(name);
    auto ns = parse_utc(text);
    if (!ns || text.size() != 10) throw ApiError(400, name, name + " must be a UTC day YYYY-MM-DD, not '" + text + "'");
    return *ns / kNanosPerSecond;
}

TimeRange RequestParams::range() const {
    TimeRange r;
    if (has("day")) {
        if (has("from") || has("to")) throw ApiError(400, "day", "give either day or from/to, not both");
        r.from = *day("day");
        r.to = r.from + 86400;
        return r;
    }
    if (has("from")) r.from = parse_time("from", get("from"));
    if (has("to")) r.to = parse_time("to", get("to"));
    if (r.from >= r.to) throw ApiError(400, "to", "to must be after from");
    return r;
}

int64_t RequestParams::integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
    if (!has(name)) return fallback;
    auto v = parse_int(get(name));
    if (!v || *v < min || *v > max)
        throw ApiError(400, name,
                       name + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], not '" +
                           get(name) + "'");
    return *v;
}

}  // namespace iotwatch::server

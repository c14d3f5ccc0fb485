// Safe field access for JSON read from untrusted input (STIX bundles, feeds): a missing field or
// one of the wrong type reads as the fallback instead of throwing nlohmann's type_error, so one
// odd object is reported (or ignored) without losing the rest of the document.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace iotwatch {

/// o[key] when o is an object and o[key] a string, else "".
inline std::string json_string(const nlohmann::json& o, const char* key) {
    if (!o.is_object()) return {};
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// o[key] when it is an integer number, else `fallback`.
inline int64_t json_int(const nlohmann::json& o, const char* key, int64_t fallback) {
    if (!o.is_object()) return fallback;
    auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (it->is_number_integer()) return it->get<int64_t>();
    if (it->is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX));
    return fallback;
}

}  // namespace iotwatch

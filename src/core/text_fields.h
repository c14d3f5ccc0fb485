// Small text helpers the line-oriented input parsers share (partner feeds, site lists): trimming,
// case folding, one RFC 4180 CSV line, and the time formats feeds use.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotwatch {

/// `s` without leading/trailing spaces, tabs and a trailing CR.
std::string trim(std::string_view s);
/// ASCII lower case.
std::string lower(std::string s);
/// Splits one CSV line (RFC 4180 quoting, no embedded newlines) into `out`; unquoted cells are
/// trimmed. False on an unterminated quote.
bool split_csv_line(std::string_view line, std::vector<std::string>& out);

/// ISO 8601 UTC ("2026-11-24T10:00:00Z", "2026-11-24 10:00:00", optional fraction; read as UTC)
/// or Unix seconds, as ns since the epoch; nullopt when neither, or past what an int64 holds.
std::optional<int64_t> parse_feed_time(const std::string& text);

}  // namespace iotwatch

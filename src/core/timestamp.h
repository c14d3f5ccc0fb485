// Time as nanoseconds since the Unix epoch, UTC. All bins are UTC and aligned to multiples of their
// width since the epoch (a 1-day bin starts at 00:00:00Z).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotwatch {

constexpr int64_t kNanosPerSecond = 1'000'000'000LL;
/// Packet times are kept within +-2^62 ns of the epoch (+-146 years; classic pcap's 32-bit
/// seconds end in 2106): the difference of any two then fits an int64. Readers refuse records
/// outside it and checkpoints are checked against it.
constexpr int64_t kMaxTimestampNs = int64_t(1) << 62;
constexpr bool timestamp_in_range(int64_t ns) { return ns >= -kMaxTimestampNs && ns <= kMaxTimestampNs; }

/// Start of the bin (in seconds) of width `width_s` containing `ts_ns`. Floors toward -inf.
constexpr int64_t bin_start_seconds(int64_t ts_ns, int64_t width_s) {
    int64_t s = ts_ns >= 0 ? ts_ns / kNanosPerSecond : -((-ts_ns + kNanosPerSecond - 1) / kNanosPerSecond);
    int64_t r = s % width_s;
    if (r < 0) r += width_s;
    return s - r;
}

/// "2026-11-24T15:05:36Z" (seconds) or with fractional digits when `frac_digits` > 0.
std::string format_utc(int64_t ts_ns, int frac_digits = 0);
/// "2026-11-24" for the UTC day containing ts_ns.
std::string format_utc_day(int64_t ts_ns);
/// Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC) into ns since the epoch.
std::optional<int64_t> parse_utc(std::string_view text);

}  // namespace iotwatch

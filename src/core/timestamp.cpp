#include "core/timestamp.h"

#include <cstdio>
#include <ctime>

namespace iotwatch {
namespace {

// Days from civil date (Howard Hinnant's algorithm), proleptic Gregorian, UTC.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

}  // namespace

std::string format_utc(int64_t ts_ns, int frac_digits) {
    int64_t s = bin_start_seconds(ts_ns, 1);
    int64_t frac_ns = ts_ns - s * kNanosPerSecond;
    int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
    int64_t sod = s - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y), m, d,
                          static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                          static_cast<long long>(sod % 60));
    std::string out(buf, n);
    if (frac_digits > 0) {
        if (frac_digits > 9) frac_digits = 9;
        char fb[32];
        std::snprintf(fb, sizeof fb, "%09lld", static_cast<long long>(frac_ns));
        out += '.';
        out.append(fb, frac_digits);
    }
    out += 'Z';
    return out;
}

std::string format_utc_day(int64_t ts_ns) { return format_utc(ts_ns).substr(0, 10); }

std::optional<int64_t> parse_utc(std::string_view t) {
    auto num = [&](size_t pos, size_t len, int64_t& out) {
        if (pos + len > t.size()) return false;
        out = 0;
        for (size_t i = pos; i < pos + len; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
            out = out * 10 + (t[i] - '0');
        }
        return true;
    };
    int64_t y, mo, d, h = 0, mi = 0, s = 0, frac = 0;
    if (!num(0, 4, y) || t.size() < 10 || t[4] != '-' || !num(5, 2, mo) || t[7] != '-' || !num(8, 2, d))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    size_t pos = 10;
    if (t.size() > 10) {
        if ((t[10] != 'T' && t[10] != ' ') || !num(11, 2, h) || t.size() < 19 || t[13] != ':' ||
            !num(14, 2, mi) || t[16] != ':' || !num(17, 2, s))
            return std::nullopt;
        if (h > 23 || mi > 59 || s > 60) return std::nullopt;
        pos = 19;
        if (pos < t.size() && t[pos] == '.') {
            ++pos;
            int digits = 0;
            while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
                if (digits < 9) {
                    frac = frac * 10 + (t[pos] - '0');
                    ++digits;
                }
                ++pos;
            }
            if (digits == 0) return std::nullopt;
            for (; digits < 9; ++digits) frac *= 10;
        }
        if (pos < t.size() && t[pos] == 'Z') ++pos;
        if (pos != t.size()) return std::nullopt;
    }
    // Nanoseconds since the epoch in an int64 span 1677-09-21 .. 2262-04-11.
    if (y < 1678 || y > 2261) return std::nullopt;
    int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return ((days * 86400 + h * 3600 + mi * 60 + s) * kNanosPerSecond) + frac;
}

}  // namespace iotwatch

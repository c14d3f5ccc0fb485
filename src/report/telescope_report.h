// Telescope report views (NICTER-style) over a Store, in four formats: an aligned table for people,
// CSV, JSON lines (one object per row) and one JSON object (the stable scripting interface of
// `iotwatch report --json`, documented in README.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "enrich/geo_info.h"
#include "store/store.h"

namespace iotwatch {

enum class ReportFormat { kTable, kCsv, kJsonLines, kJson };

struct ReportOptions {
    TimeRange range;
    size_t top = 10;
    ReportFormat format = ReportFormat::kTable;
    /// summary (totals per class, top TCP/UDP ports by unique hosts, top sources, sensors),
    /// classes, ports, sources, series (per-bin class rows at `width`), scans, dos, infected.
    std::string view = "summary";
    int32_t width = 3600;
    /// For the `infected` view: data files to use instead of the compiled-in defaults ("" = default).
    std::string iot_ports_file;
    std::string research_scanners_file;
    /// Country/ASN of an address, for the `countries` and `asns` views and the summary's top
    /// countries (unset: those need it and say so).
    std::function<GeoInfo(const IpAddress&)> geo;
};

/// The views, for --help and validation.
const char* report_views();

/// Writes the view. Throws ConfigError for an unknown view.
void write_report(Store& store, const ReportOptions& options, std::ostream& out);

/// Service name of a well-known port ("telnet" for tcp/23 ...), or "" when none.
const char* port_service(uint8_t protocol, uint16_t port);

}  // namespace iotwatch

#include "notify/alert_format.h"

#include "core/digest.h"
#include "core/timestamp.h"

namespace iotwatch {

const std::vector<AlertFormat>& alert_formats() {
    static const std::vector<AlertFormat> kFormats = {
        {"shadowserver-csv", ".csv", "Shadowserver Honeypot-Darknet event CSV columns (IntelMQ parses it unchanged)",
         render_shadowserver_csv},
        {"jsonl", ".jsonl", "JSON lines, one object per (address, evidence kind), with the advice text", render_alert_jsonl},
        {"stix", ".stix.json", "STIX 2.1 bundle: an indicator and a sighting per row, TLP:AMBER", render_stix_bundle},
    };
    return kFormats;
}

const AlertFormat* find_alert_format(std::string_view name) {
    for (const auto& f : alert_formats())
        if (name == f.name) return &f;
    return nullptr;
}

std::string alert_event_id(const AlertRow& row) {
    // iotwatch's own UUID namespace (a fixed random UUID; changing it changes every id).
    static constexpr const char* kNamespace = "6f1f7d2e-3c4b-4d8a-9a51-2b7c0e9d4f63";
    return uuid5(kNamespace, row.org + "|" + format_utc_day(row.day * kNanosPerSecond) + "|" +
                                 row.address.to_string() + "|" + row.kind);
}

}  // namespace iotwatch

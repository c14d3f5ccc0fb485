#include "store/rows.h"

namespace iotwatch {
namespace {
const char* const kClassNames[kClassCount + 1] = {"syn", "synack", "ack",  "fin",      "rst", "push",
                                                  "tcp_other", "udp", "icmp", "other_ip", "all"};
}

const char* packet_class_name(uint8_t cls) { return cls <= kClassCount ? kClassNames[cls] : "unknown"; }

void fold_sparse_ports(std::vector<PortBinRow>& rows) {
    std::vector<PortBinRow> kept;
    kept.reserve(rows.size());
    // Rows arrive grouped by bin; one `other` row per (width, bin, protocol).
    std::vector<PortBinRow> others;
    // Every (width, bin, protocol) group gets its `other` row, with 0 ports when none was sparse: a
    // bin is rewritten at every checkpoint, and a port sparse at an earlier checkpoint may have
    // gained sources since; the zero row replaces the earlier `other` row instead of leaving it.
    auto other_of = [&](const PortBinRow& r) -> PortBinRow& {
        for (auto& x : others)
            if (x.width == r.width && x.bin_start == r.bin_start && x.protocol == r.protocol) return x;
        others.push_back(PortBinRow{r.bin_start, r.width, r.protocol, 0, 0, 0, true});
        return others.back();
    };
    for (const auto& r : rows) {
        if (r.width == 86400 || r.other) {
            kept.push_back(r);
            continue;
        }
        PortBinRow& o = other_of(r);
        if (r.sources >= kMinPortSources) {
            kept.push_back(r);
            continue;
        }
        o.packets += r.packets;
        ++o.sources;
    }
    kept.insert(kept.end(), others.begin(), others.end());
    rows.swap(kept);
}

int packet_class_from_name(const std::string& name) {
    for (int i = 0; i <= kClassCount; ++i)
        if (name == kClassNames[i]) return i;
    return -1;
}

}  // namespace iotwatch

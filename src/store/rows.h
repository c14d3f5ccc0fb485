// Row types the telescope writes and the reports read. Plain values, independent of the backend.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/ip_address.h"

namespace iotwatch {

/// Bin widths in seconds (UTC-aligned): 5 min, 1 h, 1 day.
inline constexpr int32_t kBinWidths[] = {300, 3600, 86400};

/// The nine NICTER packet classes plus other-IP; kClassAll is the sum row.
enum PacketClass : uint8_t {
    kClassSyn = 0,
    kClassSynAck,
    kClassAck,
    kClassFin,
    kClassRst,
    kClassPush,
    kClassTcpOther,
    kClassUdp,
    kClassIcmp,
    kClassOtherIp,
    kClassCount,            // number of real classes (10)
    kClassAll = kClassCount // pseudo-class for per-bin totals
};

/// Stable names used in the database, CSV and JSON ("syn", "synack", ...; "all" for kClassAll).
const char* packet_class_name(uint8_t cls);
/// Inverse of packet_class_name; -1 if unknown.
int packet_class_from_name(const std::string& name);

/// Per (bin, class): packets, bytes, exact unique sources and unique darknet destinations.
struct ClassBinRow {
    int64_t bin_start = 0;  // seconds since epoch, UTC, aligned to width
    int32_t width = 0;      // seconds
    uint8_t cls = 0;        // PacketClass (kClassAll for the bin total)
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t sources = 0;
    uint64_t destinations = 0;
};

/// Per (bin, transport protocol, destination port) for TCP and UDP: packets and unique sources.
/// At the 5-min and 1-h widths, ports reached by fewer than kMinPortSources sources in the bin
/// (mostly backscatter to spoofed source ports) are summed into one `other` row per protocol:
/// packets = their packets, sources = how many ports were summed (stored as port -1). Day rows
/// keep every port.
struct PortBinRow {
    int64_t bin_start = 0;
    int32_t width = 0;
    uint8_t protocol = 0;  // 6 or 17
    uint16_t port = 0;
    uint64_t packets = 0;
    uint64_t sources = 0;
    bool other = false;
};
inline constexpr uint64_t kMinPortSources = 2;

/// Applies the `other` folding above to `rows` (rows of any widths, already merged).
void fold_sparse_ports(std::vector<PortBinRow>& rows);

/// Per bin: what was not analysed, and why.
struct BinMetaRow {
    int64_t bin_start = 0;
    int32_t width = 0;
    uint64_t outside = 0;    // IP packets to addresses outside the darknet
    uint64_t not_ip = 0;     // frames that carried no IP packet
    uint64_t truncated = 0;  // analysed packets cut by the snap length (counted and classified as far as possible)
    uint64_t undecodable = 0;// frames too short or malformed to find addresses
    uint64_t late = 0;       // packets older than the open bin (counted in the open bin)
};

/// Per (bin, sensor): packets and bytes that reached that sensor's darknet prefixes.
struct SensorBinRow {
    int64_t bin_start = 0;
    int32_t width = 0;
    std::string sensor;
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

/// Per (UTC day, source address): what the source did in that day.
struct SourceDayRow {
    int64_t day = 0;  // seconds since epoch of 00:00Z
    IpAddress src;
    int64_t first_seen_ns = 0;
    int64_t last_seen_ns = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint16_t classes = 0;       // bit i set when the source sent class i
    uint64_t destinations = 0;  // distinct darknet addresses
    uint64_t ports = 0;         // distinct (protocol, destination port), TCP and UDP
    std::string top_ports;      // up to 5, "tcp/23:9000 tcp/2323:1000 udp/53:10" by packets desc
    /// Packets matching each tool fingerprint (Fingerprint order: mirai, zmap, masscan,
    /// large_scanner): per-source labels that need no scan event (a Mirai bot sending only a few
    /// SYNs is still a Mirai bot).
    uint64_t fingerprints[4] = {};
};

/// State that lets an interrupted ingest resume: the processed inputs and the open aggregation
/// state, saved in the same transaction as the rows written since the previous checkpoint.
struct Checkpoint {
    std::vector<std::string> completed_inputs;  // identity strings of fully ingested inputs
    std::string state;                          // opaque serialized aggregation state
};

}  // namespace iotwatch

// FlowBlock: how the SQLite store keeps flow records: not one row per flow (SQLite inserts about
// 0.4 M rows/s, a busy exporter sends millions of flows per second) but blocks of packed 96-byte
// records, zstd-compressed, one block per put_flows batch and UTC day. A block never crosses a
// day boundary, so retention (whole UTC days) drops whole blocks. The layout is fixed and
// little-endian; the version byte of each block says how to read it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "flows/flow_record.h"

namespace iotwatch {

class FlowBlock {
public:
    static constexpr size_t kRecordSize = 96;
    static constexpr uint8_t kVersion = 1;
    /// At most this many records per block (9.6 MB unpacked): a damaged block cannot make the
    /// reader allocate more than that.
    static constexpr size_t kMaxRecords = 100000;

    /// Packs and compresses `flows` (any order; kept as given; at most kMaxRecords, else it
    /// throws StoreError: callers split larger batches).
    static std::string encode(const std::vector<FlowRecord>& flows);
    /// Appends the block's records whose start lies in [from_ns, to_ns) to `out`. Throws
    /// StoreError naming `what` when the block is damaged (bad version, size or zstd frame).
    static void decode(const std::string& block, int64_t from_ns, int64_t to_ns, std::vector<FlowRecord>& out,
                       const std::string& what);
};

}  // namespace iotwatch

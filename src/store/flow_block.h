// FlowBlock: how the SQLite store keeps flow records: not one row per flow (SQLite inserts about
// 0.4 M rows/s, a busy exporter sends millions of flows per second) but blocks of packed records
// (stored column by column, each column as narrow as its values allow), zstd-compressed, one
// block per put_flows batch and UTC day.
// A block never crosses a day boundary, so retention (whole UTC days) drops whole blocks. The
// layout is fixed and little-endian; the version byte of each block says how to read it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flows/flow_record.h"

namespace iotwatch {

class FlowBlock {
public:
    /// A record unpacked (versions 1 and 2 store every record in these 96 bytes).
    static constexpr size_t kRecordSize = 96;
    /// Blocks written now: version 3 (each field a column of offsets from the column's smallest
    /// value, in as few bytes as its range needs). Still read: version 2 (96-byte records stored
    /// field by field, sessions 6-9) and version 1 (96-byte records one after another, the first
    /// release).
    static constexpr uint8_t kVersion = 3;
    static constexpr uint8_t kVersionColumns = 2;
    static constexpr uint8_t kVersionRows = 1;
    /// At most this many records per block (at most 13.6 MB unpacked): a damaged block cannot make the
    /// reader allocate more than that.
    static constexpr size_t kMaxRecords = 100000;

    /// Packs and compresses `flows` (any order; kept as given; at most kMaxRecords, else it
    /// throws StoreError: callers split larger batches). One-off use; a writer of many blocks
    /// keeps a FlowBlockEncoder.
    static std::string encode(const std::vector<FlowRecord>& flows);
    /// Appends the block's records whose start lies in [from_ns, to_ns) to `out`. Throws
    /// StoreError naming `what` when the block is damaged (bad version, size or zstd frame).
    static void decode(const std::string& block, int64_t from_ns, int64_t to_ns, std::vector<FlowRecord>& out,
                       const std::string& what);
};

}  // namespace iotwatch

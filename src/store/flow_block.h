// FlowBlock: how the SQLite store keeps flow records: not one row per flow (SQLite inserts about
// 0.4 M rows/s, a busy exporter sends millions of flows per second) but blocks of packed 96-byte
// records (stored column by column), zstd-compressed, one block per put_flows batch and UTC day.
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
    static constexpr size_t kRecordSize = 96;
    /// Blocks written now: version 2 (fields in columns). Version 1 (records one after another,
    /// the first release) is still read.
    static constexpr uint8_t kVersion = 2;
    static constexpr uint8_t kVersionRows = 1;
    /// At most this many records per block (9.6 MB unpacked): a damaged block cannot make the
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

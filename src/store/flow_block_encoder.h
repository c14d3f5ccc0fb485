// FlowBlockEncoder: writes FlowBlocks (store/flow_block.h) one after another with one zstd
// context and the same buffers. Why: ZSTD_compress() makes a context per call, and a fresh
// context plus fresh zero-filled buffers per block were new mappings the kernel had to fault in
// and clear every time (measured with perf on bench_flows: the kernel's page faults were a third
// of the collector's storing time).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "flows/flow_record.h"

struct ZSTD_CCtx_s;

namespace iotwatch {

class FlowBlockEncoder {
public:
    FlowBlockEncoder();
    ~FlowBlockEncoder();
    FlowBlockEncoder(const FlowBlockEncoder&) = delete;
    FlowBlockEncoder& operator=(const FlowBlockEncoder&) = delete;

    /// Packs and compresses records [first, first + n) (at most FlowBlock::kMaxRecords, else
    /// StoreError). The block stays valid until the next call.
    std::string_view encode(const FlowRecord* first, size_t n);

private:
    ZSTD_CCtx_s* cctx_;
    std::vector<uint8_t> raw_;
    std::vector<char> out_;
};

}  // namespace iotwatch

// libFuzzer: the SQLite store's flow blocks (store/flow_block.h) as read back from a database file
// someone may have damaged: any bytes decode or end in a StoreError, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/flow_block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<iotwatch::FlowRecord> out;
    try {
        iotwatch::FlowBlock::decode(std::string(reinterpret_cast<const char*>(data), size), INT64_MIN, INT64_MAX, out, "fuzz");
    } catch (const iotwatch::StoreError&) {
    }
    return 0;
}

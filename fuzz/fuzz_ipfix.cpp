// libFuzzer target: the flow collector on arbitrary bytes as version-10 (IPFIX) export messages
// (flow_fuzz_driver.h: how the input becomes messages).
#include <cstddef>
#include <cstdint>

#include "flow_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_flow_messages(data, size, 10); }

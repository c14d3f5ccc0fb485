#include "store/rows.h"

namespace iotwatch {
namespace {
const char* const kClassNames[kClassCount + 1] = {"syn", "synack", "ack",  "fin",      "rst", "push",
                                                  "tcp_other", "udp", "icmp", "other_ip", "all"};
}

const char* packet_class_name(uint8_t cls) { return cls <= kClassCount ? kClassNames[cls] : "unknown"; }

int packet_class_from_name(const std::string& name) {
    for (int i = 0; i <= kClassCount; ++i)
        if (name == kClassNames[i]) return i;
    return -1;
}

}  // namespace iotwatch

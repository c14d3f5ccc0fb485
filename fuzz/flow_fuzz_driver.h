// What the three flow-decoder fuzz targets share: the input is split into messages at 0xFF 0xFE
// 0xFD markers so templates, held data and later data sets of one exporter meet across messages;
// each message's version field is forced to `version` so every run reaches that decoder. One
// collector with small budgets (eviction is exercised too), a second of time between messages.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "flows/flow_collector.h"

inline int fuzz_flow_messages(const uint8_t* data, size_t size, uint8_t version) {
    iotwatch::CollectorLimits limits;
    limits.max_pending_sets = 8;
    limits.max_templates = 16;
    iotwatch::FlowCollector c(limits);
    size_t start = 0;
    int64_t now = 0;
    for (size_t i = 0; i <= size; ++i) {
        const bool marker = i + 3 <= size && data[i] == 0xFF && data[i + 1] == 0xFE && data[i + 2] == 0xFD;
        if (!marker && i != size) continue;
        std::vector<uint8_t> msg(data + start, data + i);
        if (msg.size() >= 2) {
            msg[0] = 0;
            msg[1] = version;
        }
        c.process(msg.data(), msg.size(), iotwatch::IpAddress::v4(0x7F000001), now);
        now += 1'000'000'000;
        c.expire(now);
        start = i + 3;
        i += 2;
    }
    c.finish(now);
    (void)c.take_records();
    (void)c.exporter_stats();
    return 0;
}

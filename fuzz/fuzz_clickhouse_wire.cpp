// libFuzzer: what a ClickHouse server (or something pretending to be one) sends back as a
// TabSeparated result, and store URLs from the command line. Parse errors must be StoreError /
// ConfigError, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "store/clickhouse_client.h"
#include "store/row_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    iotwatch::TsvReader r(in, "fuzz");
    try {
        while (r.next()) {
            for (size_t i = 0; i < r.columns(); ++i) {
                (void)r.text(i);
                try {
                    (void)r.i64(i);
                } catch (const iotwatch::StoreError&) {
                }
                try {
                    (void)r.f64(i);
                } catch (const iotwatch::StoreError&) {
                }
            }
            try {
                r.expect(3);
            } catch (const iotwatch::StoreError&) {
            }
        }
    } catch (const iotwatch::StoreError&) {
    }
    try {
        (void)iotwatch::ClickHouseUrl::parse("clickhouse://" + in.substr(0, 200));
    } catch (const iotwatch::ConfigError&) {
    }
    return 0;
}

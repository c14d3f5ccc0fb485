// Store insert benchmark: per-source-day records and flow records written through the Store
// interface in batches (as ingest and collect write them), into the store named on the command
// line (a SQLite file or a clickhouse:// URL). Prints rows/s per kind; bench/clickhouse.sh runs it
// on both backends in the same run and prints the ratio. Not a test: nothing asserts a time.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "store/store.h"
#include "bench_usage.h"

using namespace iotwatch;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    handle_usage(argc, argv, "bench_store_insert STORE [ROWS]");
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_store_insert STORE [ROWS]\n");
        return 2;
    }
    const size_t rows = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
    const size_t batch = 100000;
    auto store = open_store(argv[1]);
    const int64_t day = 1767225600;
    std::vector<SourceDayRow> sources(batch);
    auto t0 = Clock::now();
    for (size_t done = 0; done < rows; done += batch) {
        for (size_t i = 0; i < batch; ++i) {
            const uint32_t n = uint32_t(done + i);
            SourceDayRow& r = sources[i];
            r.day = day + int64_t(n / 500000) * 86400;
            r.src = IpAddress::v4(0x01000000u + n * 2654435761u % 0xDF000000u);
            r.first_seen_ns = r.day * 1000000000 + n;
            r.last_seen_ns = r.first_seen_ns + 1000;
            r.packets = n % 1000 + 1;
            r.bytes = r.packets * 60;
            r.classes = 1;
            r.destinations = n % 700;
            r.ports = n % 7 + 1;
            r.top_ports = "tcp/23:" + std::to_string(r.packets);
            r.fingerprints[0] = n % 3 ? 0 : r.packets;
        }
        store->begin();
        store->put_source_days(sources);
        store->commit();
    }
    const double s1 = std::chrono::duration<double>(Clock::now() - t0).count();
    std::vector<FlowRecord> flows(batch);
    t0 = Clock::now();
    for (size_t done = 0; done < rows; done += batch) {
        for (size_t i = 0; i < batch; ++i) {
            const uint32_t n = uint32_t(done + i);
            FlowRecord& f = flows[i];
            f.exporter = IpAddress::v4(0x7F000001u);
            f.version = 10;
            f.protocol = 6;
            f.src = IpAddress::v4(0x0A000000u + n % 65536);
            f.dst = IpAddress::v4(0xC6120000u + n * 7919u % 65536);
            f.sport = uint16_t(1024 + n % 60000);
            f.dport = 23;
            f.packets = 3;
            f.octets = 180;
            f.start_ns = (day + int64_t(n / 20)) * 1000000000;
            f.end_ns = f.start_ns + 1000000;
        }
        store->begin();
        store->put_flows(flows);
        store->commit();
    }
    const double s2 = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("%.0f %.0f\n", double(rows) / s1, double(rows) / s2);  // source-day rows/s, flow rows/s
    return 0;
}

// Open-loop HTTP load at a fixed rate (what wrk, closed-loop, cannot do): requests are scheduled
// every 1/RATE s whatever the answers take, spread over keep-alive connections, and each latency
// is measured from its *scheduled* send time, so a slow server is not hidden by fewer requests
// (coordinated omission). Prints achieved rate, p50/p90/p99/max in ms, and errors.
//
// usage: bench_http_fixed_rate HOST PORT PATH RATE SECONDS [TOKEN] [CONNECTIONS]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_usage.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    handle_usage(argc, argv, "bench_http_fixed_rate HOST PORT PATH RATE SECONDS [TOKEN] [CONNECTIONS]");
    if (argc < 6) {
        std::fprintf(stderr, "usage: bench_http_fixed_rate HOST PORT PATH RATE SECONDS [TOKEN] [CONNECTIONS]\n");
        return 2;
    }
    const std::string host = argv[1], path = argv[3];
    const int port = std::atoi(argv[2]);
    const double rate = std::atof(argv[4]), seconds = std::atof(argv[5]);
    const std::string token = argc > 6 ? argv[6] : "";
    const int conns = argc > 7 ? std::atoi(argv[7]) : 32;
    const auto total = static_cast<uint64_t>(rate * seconds);
    const auto interval = std::chrono::duration<double>(1.0 / rate);
    const auto start = Clock::now() + std::chrono::milliseconds(100);
    std::atomic<uint64_t> next{0}, errors{0};
    std::mutex mu;
    std::vector<double> latencies;
    latencies.reserve(total);
    std::vector<std::thread> workers;
    for (int c = 0; c < conns; ++c) {
        workers.emplace_back([&] {
            httplib::Client cli(host, port);
            cli.set_keep_alive(true);
            cli.set_read_timeout(10);
            httplib::Headers headers;
            if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
            std::vector<double> mine;
            for (;;) {
                const uint64_t i = next.fetch_add(1);
                if (i >= total) break;
                const auto due = start + std::chrono::duration_cast<Clock::duration>(interval * double(i));
                std::this_thread::sleep_until(due);
                auto res = cli.Get(path, headers);
                const double ms = std::chrono::duration<double, std::milli>(Clock::now() - due).count();
                if (!res || res->status != 200) ++errors;
                mine.push_back(ms);
            }
            std::lock_guard<std::mutex> lock(mu);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    for (auto& t : workers) t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) {
        return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, size_t(p * double(latencies.size())))];
    };
    std::printf("%.0f %.2f %.2f %.2f %.2f %llu\n", double(latencies.size()) / elapsed, pct(0.50), pct(0.90), pct(0.99),
                latencies.empty() ? 0.0 : latencies.back(), (unsigned long long)errors.load());
    return 0;
}

// Replays a softflowd-like IPFIX export stream (ipfix_stream.h) over UDP on loopback, paced at
// --rate flows/s for --seconds, to every --to 127.0.0.1:PORT given: each collector receives the
// same datagrams in the same order. Used by bench/flows_nfcapd.sh to compare iotwatch collect with
// nfcapd. Prints one JSON object: flows and messages sent per destination, the rate reached.
// Loopback only: any other destination is refused.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ipfix_stream.h"
#include "bench_usage.h"

int main(int argc, char** argv) {
    handle_usage(argc, argv, "bench_flow_replay --to 127.0.0.1:PORT [--to ...] [--rate FLOWS/S] [--seconds S]", true);
    double rate = 100000, seconds = 5;
    std::vector<sockaddr_in> to;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--rate") rate = std::atof(v.c_str());
        else if (k == "--seconds") seconds = std::atof(v.c_str());
        else if (k == "--to") {
            const auto colon = v.rfind(':');
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(uint16_t(std::atoi(v.substr(colon + 1).c_str())));
            if (colon == std::string::npos || inet_pton(AF_INET, v.substr(0, colon).c_str(), &a.sin_addr) != 1 ||
                (ntohl(a.sin_addr.s_addr) >> 24) != 127) {
                std::fprintf(stderr, "bench_flow_replay: --to must be 127.x.y.z:PORT, not '%s'\n", v.c_str());
                return 2;
            }
            to.push_back(a);
        } else {
            std::fprintf(stderr, "usage: bench_flow_replay --to 127.0.0.1:PORT [--to ...] [--rate FLOWS/S] [--seconds S]\n");
            return 2;
        }
    }
    if (to.empty() || rate <= 0 || seconds <= 0) {
        std::fprintf(stderr, "usage: bench_flow_replay --to 127.0.0.1:PORT [--to ...] [--rate FLOWS/S] [--seconds S]\n");
        return 2;
    }
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int sndbuf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    // A ring of distinct messages (template every 100); sequence numbers are rewritten as sent so
    // the stream has no gaps however often the ring turns.
    auto ring = iotwatch_bench::build_ipfix_stream(20000);
    const double msg_rate = rate / iotwatch_bench::kRecordsPerMessage;
    const size_t total = size_t(msg_rate * seconds);
    uint32_t seq = 0;
    size_t sent = 0, errors = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (sent < total) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        size_t due = std::min(total, size_t(elapsed * msg_rate) + 1);
        if (sent >= due) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            continue;
        }
        for (; sent < due; ++sent) {
            auto& m = ring[sent % ring.size()];
            m[8] = uint8_t(seq >> 24), m[9] = uint8_t(seq >> 16), m[10] = uint8_t(seq >> 8), m[11] = uint8_t(seq);
            seq += iotwatch_bench::kRecordsPerMessage;
            for (const auto& a : to)
                if (sendto(fd, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) ++errors;
        }
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"messages\":%zu,\"flows\":%zu,\"seconds\":%.3f,\"flows_per_s\":%.0f,\"send_errors\":%zu}\n", sent,
                sent * iotwatch_bench::kRecordsPerMessage, took, double(sent * iotwatch_bench::kRecordsPerMessage) / took, errors);
    close(fd);
    return 0;
}

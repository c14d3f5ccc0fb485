// The baseline every capture benchmark is measured against: a bare libpcap pcap_next_ex loop that
// touches nothing but the record header. Prints "packets seconds packets_per_second".
#include <pcap/pcap.h>

#include <chrono>
#include <cstdio>

#include "bench_usage.h"

int main(int argc, char** argv) {
    handle_usage(argc, argv, "bench_pcap_loop CAPTURE");
    if (argc != 2) {
        std::fprintf(stderr, "usage: bench_pcap_loop CAPTURE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    auto t0 = std::chrono::steady_clock::now();
    pcap_t* p = pcap_open_offline(argv[1], err);
    if (!p) {
        std::fprintf(stderr, "bench_pcap_loop: %s\n", err);
        return 1;
    }
    pcap_pkthdr* h;
    const u_char* d;
    unsigned long long n = 0, bytes = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        ++n;
        bytes += h->caplen;  // keep the loop from being optimised away
    }
    pcap_close(p);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%llu %.6f %.0f\n", n, s, double(n) / s);
    return bytes == 0 && n != 0;
}

#pragma once
// ReceivePacer: how long the collector's receive loop may wait after draining its sockets before
// it polls again. Exporters send a steady stream of small datagrams; a loop that wakes for every
// few of them spends more time going to sleep and waking up than decoding (on the benchmark VM
// about a quarter of the receiving thread at 2 M flows/s). Waiting lets each wake-up read
// hundreds of datagrams, while the wait is bounded so the socket buffer, filling at the rate just
// measured, stays at most 1/8 full: the factor leaves room for the kernel's per-datagram overhead
// (a datagram's buffer accounting is about twice its payload on loopback) and for bursts.
// Pure arithmetic, no I/O: the CLI measures and sleeps.
#include <algorithm>
#include <cstdint>

namespace iotwatch {

class ReceivePacer {
public:
    /// max_pause_ns: the longest wait (0: never wait); receive_buffer_bytes: the smallest
    /// SO_RCVBUF among the sockets, as the kernel reports it.
    ReceivePacer(int64_t max_pause_ns, int64_t receive_buffer_bytes)
        : max_pause_ns_(std::max<int64_t>(0, max_pause_ns)), budget_bytes_(std::max<int64_t>(0, receive_buffer_bytes) / 8) {}

    /// The wait after a drain that read `bytes` of payload which arrived since the previous drain
    /// ended `since_last_ns` ago. No wait when nothing was read (the loop then blocks in poll).
    int64_t pause_ns(uint64_t bytes, int64_t since_last_ns) const {
        if (bytes == 0 || max_pause_ns_ == 0) return 0;
        // Time for the measured rate (bytes / since_last_ns) to fill the budget, in 128-bit
        // arithmetic: budget * since_last can exceed 2^63 for long idle gaps.
        const __int128 fill_ns = __int128(budget_bytes_) * std::max<int64_t>(0, since_last_ns) / __int128(bytes);
        return int64_t(std::min<__int128>(fill_ns, max_pause_ns_));
    }

private:
    int64_t max_pause_ns_;
    int64_t budget_bytes_;
};

}  // namespace iotwatch

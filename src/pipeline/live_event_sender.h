// LiveEventSender: the `ingest --live --feed HOST:PORT` side of the live map. Sends a sample of
// the classified darknet packets (at most `max_per_second` a second; the rest are counted) as
// LiveEvent datagrams to a loopback address, non-blocking: a slow or absent `serve` never slows
// the capture (a datagram the socket cannot take at once is dropped and counted).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "capture/decoded_packet.h"

namespace iotwatch {

class LiveEventSender {
public:
    /// `target` is HOST:PORT with HOST in 127.0.0.0/8 or ::1 (the events carry source addresses,
    /// which must not leave the machine); throws ConfigError otherwise or when the socket fails.
    LiveEventSender(const std::string& target, uint32_t max_per_second = 200);
    ~LiveEventSender();
    LiveEventSender(const LiveEventSender&) = delete;
    LiveEventSender& operator=(const LiveEventSender&) = delete;

    /// Offers one darknet packet of class `cls`; sends it if this second's budget allows.
    void offer(const DecodedPacket& p, uint8_t cls);
    uint64_t sent() const { return sent_; }
    uint64_t sampled_out() const { return sampled_out_; }
    uint64_t dropped() const { return dropped_; }

private:
    int fd_ = -1;
    uint32_t max_per_second_;
    uint32_t this_second_ = 0;
    std::chrono::steady_clock::time_point second_start_;
    uint64_t sent_ = 0, sampled_out_ = 0, dropped_ = 0;
};

}  // namespace iotwatch

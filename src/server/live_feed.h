// LiveFeed: the dashboard's live stream. A background thread either replays a capture paced by its
// timestamps (divided by `speed`) and classifies each packet into its NICTER class, or receives the
// classified packets a running `iotwatch ingest --live --feed` sends (LiveEvent datagrams on a
// loopback UDP port); it looks each source up in the GeoIP database, and publishes at most `max_events_per_second` packet events per second of
// wall time (the rest are counted, not shown: a telescope sees far more packets than a browser can
// draw), plus one `stats` event per second with the unsampled per-class counts.
//
// Events carry no source address (only class, protocol, destination port, country and coordinates):
// the stream is a telescope-wide view that any authenticated reader may watch.
//
// Thread-safety: publish side is the feed's own thread; wait_events() may be called from any number
// of threads. stop() (or the destructor) joins the thread.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/prefix.h"
#include "enrich/geo_enricher.h"

namespace iotwatch::server {

class LiveFeed {
public:
    struct Options {
        std::string capture;                 // file or directory to replay
        std::string listen_udp;              // or: HOST:PORT (loopback) to receive ingest --feed events
        double speed = 1.0;                  // capture seconds per wall second (> 0)
        uint32_t max_events_per_second = 50; // packet events published per wall second
        bool loop = true;                    // start over at the end of the capture
        std::vector<Prefix> darknet;         // when set, only packets to these prefixes are shown
        GeoEnricher::Options geo;            // empty paths: events carry no country/coordinates
    };
    /// One published event: sequence number (from 1) and its SSE lines.
    struct Event {
        uint64_t seq = 0;
        std::string type;  // "packet" or "stats"
        std::string json;
    };

    /// Checks the options (throws ConfigError) and opens the capture (throws InputError). The
    /// thread starts in start().
    explicit LiveFeed(Options options);
    ~LiveFeed();
    LiveFeed(const LiveFeed&) = delete;
    LiveFeed& operator=(const LiveFeed&) = delete;

    void start();
    /// Ends the replay thread and wakes every waiter.
    void stop();

    /// Events with seq > after (at most `max`), waiting up to `timeout_ms` for the first one.
    /// Returns an empty vector on timeout or once stopped. An `after` older than the buffer (1024
    /// events) resumes at the oldest buffered event.
    std::vector<Event> wait_events(uint64_t after, size_t max, int timeout_ms);
    bool stopped() const { return stopping_.load(); }
    /// Sequence number of the newest event (0 before the first).
    uint64_t last_seq();
    uint64_t packets_replayed() const { return replayed_.load(); }
    /// Datagrams received in listen_udp mode that were not LiveEvents (counted, never fatal).
    uint64_t malformed() const { return malformed_.load(); }

private:
    void run();
    /// Receives LiveEvent datagrams until stopped (listen_udp mode); `emit` publishes one.
    template <typename Emit, typename Tick>
    void receive(Emit&& emit, Tick&& tick);
    int udp_fd_ = -1;
    void publish(const std::string& type, std::string json);

    Options options_;
    std::unique_ptr<GeoEnricher> geo_;  // used by the feed's thread only
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> replayed_{0};
    std::atomic<uint64_t> malformed_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> events_;
    uint64_t next_seq_ = 1;
};

}  // namespace iotwatch::server

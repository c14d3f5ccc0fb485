// StopWatcher: a thread that checks `should_stop` every 100 ms and, the first time it holds, calls
// `on_stop` once. For loops blocked in a read that only another thread can interrupt (a live
// capture's next() while the interface is quiet): the watcher turns a stop flag or a fatal error
// into PacketSource::request_stop(). The destructor ends and joins the thread, so every way out of
// the scope (an exception included) leaves no thread behind.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace iotwatch {

class StopWatcher {
public:
    StopWatcher(std::function<bool()> should_stop, std::function<void()> on_stop)
        : thread_([this, should_stop = std::move(should_stop), on_stop = std::move(on_stop)] {
              while (!done_.load()) {
                  if (should_stop()) return on_stop();
                  std::this_thread::sleep_for(std::chrono::milliseconds(100));
              }
          }) {}
    ~StopWatcher() {
        done_.store(true);
        thread_.join();
    }
    StopWatcher(const StopWatcher&) = delete;
    StopWatcher& operator=(const StopWatcher&) = delete;

private:
    std::atomic<bool> done_{false};
    std::thread thread_;  // last: starts after done_ exists
};

}  // namespace iotwatch

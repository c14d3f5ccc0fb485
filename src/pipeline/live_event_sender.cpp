#include "pipeline/live_event_sender.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "pipeline/live_event.h"

namespace iotwatch {

namespace {

/// HOST:PORT or [HOST]:PORT, loopback only.
sockaddr_storage loopback_target(const std::string& target, socklen_t& len) {
    std::string host, port;
    if (!target.empty() && target[0] == '[') {
        const auto close = target.find(']');
        if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':')
            throw ConfigError("--feed '" + target + "': expected [HOST]:PORT");
        host = target.substr(1, close - 1);
        port = target.substr(close + 2);
    } else {
        const auto colon = target.rfind(':');
        if (colon == std::string::npos) throw ConfigError("--feed '" + target + "': expected HOST:PORT");
        host = target.substr(0, colon);
        port = target.substr(colon + 1);
    }
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || p <= 0 || p > 65535) throw ConfigError("--feed '" + target + "': bad port");
    sockaddr_storage ss{};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127)
            throw ConfigError("--feed '" + target + "': the live feed carries source addresses and may only go to 127.0.0.0/8 or ::1");
        v4->sin_family = AF_INET;
        v4->sin_port = htons(uint16_t(p));
        len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
            throw ConfigError("--feed '" + target + "': the live feed carries source addresses and may only go to 127.0.0.0/8 or ::1");
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(uint16_t(p));
        len = sizeof(sockaddr_in6);
    } else {
        throw ConfigError("--feed '" + target + "': HOST must be a loopback address (127.0.0.1 or ::1)");
    }
    return ss;
}

}  // namespace

LiveEventSender::LiveEventSender(const std::string& target, uint32_t max_per_second)
    : max_per_second_(max_per_second), second_start_(std::chrono::steady_clock::now()) {
    socklen_t len = 0;
    const sockaddr_storage ss = loopback_target(target, len);
    fd_ = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw ConfigError("--feed: cannot open a UDP socket: " + std::string(std::strerror(errno)));
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        const int e = errno;
        ::close(fd_);
        throw ConfigError("--feed '" + target + "': " + std::strerror(e));
    }
}

LiveEventSender::~LiveEventSender() {
    if (fd_ >= 0) ::close(fd_);
}

void LiveEventSender::offer(const DecodedPacket& p, uint8_t cls) {
    const auto now = std::chrono::steady_clock::now();
    if (now - second_start_ >= std::chrono::seconds(1)) {
        second_start_ = now;
        this_second_ = 0;
    }
    if (this_second_ >= max_per_second_) {
        ++sampled_out_;
        return;
    }
    ++this_second_;
    LiveEvent e;
    e.ts_ns = p.ts_ns;
    e.cls = cls;
    e.protocol = p.protocol;
    e.has_dport = p.has_l4 && (p.protocol == kProtoTcp || p.protocol == kProtoUdp);
    e.dport = e.has_dport ? p.dport : 0;
    e.src = p.src;
    const std::string wire = e.encode();
    // ECONNREFUSED (nobody listening yet) and EAGAIN are drops, not errors: the capture goes on.
    if (::send(fd_, wire.data(), wire.size(), MSG_DONTWAIT) == ssize_t(wire.size()))
        ++sent_;
    else
        ++dropped_;
}

}  // namespace iotwatch

// PacketSources backed by libpcap: the reference file reader (pcap_next_ex, ReaderKind::kLibpcap)
// and live capture. Also open_capture_file() and list_capture_directory(), which choose readers.
#include <dirent.h>
#include <pcap/pcap.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>

#include "capture/capture_file_reader.h"
#include "capture/packet_source.h"
#include "core/error.h"
#include "core/timestamp.h"

namespace iotwatch {
namespace {

class LibpcapFileSource final : public PacketSource {
public:
    explicit LibpcapFileSource(const std::string& path) : name_(path == "-" ? "<stdin>" : path) {
        char err[PCAP_ERRBUF_SIZE] = {};
        if (path == "-")
            p_ = pcap_fopen_offline_with_tstamp_precision(stdin, PCAP_TSTAMP_PRECISION_NANO, err);
        else
            p_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
        if (!p_) throw InputError(name_, UINT64_MAX, std::string("libpcap: ") + err);
        linktype_ = static_cast<uint16_t>(pcap_datalink(p_));
        struct stat st {};
        if (path != "-" && ::stat(path.c_str(), &st) == 0) size_ = uint64_t(st.st_size);
    }
    ~LibpcapFileSource() override { pcap_close(p_); }

    bool next(RawPacket& out) override {
        pcap_pkthdr* h;
        const u_char* d;
        const long before = std::ftell(pcap_file(p_));
        int rc = pcap_next_ex(p_, &h, &d);
        if (rc == 1) {
            if (h->ts.tv_sec < -kMaxTimestampNs / kNanosPerSecond || h->ts.tv_sec > kMaxTimestampNs / kNanosPerSecond)
                throw InputError(name_, before < 0 ? UINT64_MAX : uint64_t(before),
                                 "packet time is out of range (more than 146 years from 1970)");
            out.ts_ns = int64_t(h->ts.tv_sec) * 1'000'000'000LL + int64_t(h->ts.tv_usec);  // ns precision
            out.caplen = h->caplen;
            out.wirelen = h->len < h->caplen ? h->caplen : h->len;
            out.linktype = linktype_;
            out.interface_id = 0;
            out.record_offset = before < 0 ? 0 : uint64_t(before);
            out.data = d;
            return true;
        }
        if (rc == PCAP_ERROR_BREAK) return false;
        throw InputError(name_, before < 0 ? UINT64_MAX : uint64_t(before), std::string("libpcap: ") + pcap_geterr(p_));
    }
    std::string current_name() const override { return name_; }
    uint64_t current_offset() const override {
        long pos = std::ftell(pcap_file(p_));
        return pos < 0 ? 0 : uint64_t(pos);
    }
    uint64_t size_hint() const override { return size_; }

private:
    std::string name_;
    pcap_t* p_ = nullptr;
    uint16_t linktype_ = 0;
    uint64_t size_ = 0;
};

class LiveSource final : public PacketSource {
public:
    LiveSource(const std::string& iface, int snaplen, const std::string& filter) : name_(iface) {
        char err[PCAP_ERRBUF_SIZE] = {};
        p_ = pcap_create(iface.c_str(), err);
        if (!p_) throw InputError(iface, UINT64_MAX, std::string("libpcap: ") + err);
        pcap_set_snaplen(p_, snaplen);
        pcap_set_promisc(p_, 1);
        pcap_set_timeout(p_, 250);
        pcap_set_immediate_mode(p_, 1);  // deliver packets as they come (and honour breakloop)
        pcap_set_buffer_size(p_, 64 << 20);
        nano_ = pcap_set_tstamp_precision(p_, PCAP_TSTAMP_PRECISION_NANO) == 0;
        int rc = pcap_activate(p_);
        if (rc < 0) {
            std::string why = pcap_geterr(p_);
            pcap_close(p_);
            throw InputError(iface, UINT64_MAX, "cannot capture: " + why);
        }
        if (!filter.empty()) {
            bpf_program prog{};
            if (pcap_compile(p_, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p_, &prog) != 0) {
                std::string why = pcap_geterr(p_);
                pcap_freecode(&prog);
                pcap_close(p_);
                throw ConfigError("--filter '" + filter + "': " + why);
            }
            pcap_freecode(&prog);
        }
        linktype_ = static_cast<uint16_t>(pcap_datalink(p_));
    }
    ~LiveSource() override { pcap_close(p_); }

    bool next(RawPacket& out) override {
        while (!stop_.load(std::memory_order_relaxed)) {
            pcap_pkthdr* h;
            const u_char* d;
            int rc = pcap_next_ex(p_, &h, &d);
            if (rc == 1) {
                out.ts_ns = int64_t(h->ts.tv_sec) * 1'000'000'000LL + int64_t(h->ts.tv_usec) * (nano_ ? 1 : 1000);
                out.caplen = h->caplen;
                out.wirelen = h->len < h->caplen ? h->caplen : h->len;
                out.linktype = linktype_;
                out.interface_id = 0;
                out.record_offset = 0;
                out.data = d;
                return true;
            }
            if (rc == 0) continue;  // timeout: check the stop flag
            if (rc == PCAP_ERROR_BREAK) return false;
            throw InputError(name_, UINT64_MAX, std::string("libpcap: ") + pcap_geterr(p_));
        }
        return false;
    }
    std::string current_name() const override { return name_; }
    uint64_t current_offset() const override { return 0; }
    CaptureDropStats drop_stats() const override {
        pcap_stat st{};
        if (pcap_stats(p_, &st) != 0) return {};
        return {st.ps_recv, st.ps_drop, st.ps_ifdrop};
    }
    // pcap_breakloop wakes a pcap_next_ex blocked in poll() (libpcap >= 1.10 on Linux: eventfd).
    void request_stop() override {
        stop_.store(true);
        pcap_breakloop(p_);
    }

private:
    std::string name_;
    pcap_t* p_ = nullptr;
    uint16_t linktype_ = 0;
    bool nano_ = false;
    std::atomic<bool> stop_{false};
};

}  // namespace

std::unique_ptr<PacketSource> open_capture_file(const std::string& path, ReaderKind kind) {
    if (kind == ReaderKind::kLibpcap) return std::make_unique<LibpcapFileSource>(path);
    return std::make_unique<CaptureFileReader>(open_byte_source(path), path == "-" ? "<stdin>" : path);
}

std::unique_ptr<PacketSource> open_live_capture(const std::string& interface, int snaplen, const std::string& bpf_filter) {
    return std::make_unique<LiveSource>(interface, snaplen, bpf_filter);
}

std::vector<std::string> list_capture_directory(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw InputError(dir, UINT64_MAX, std::string("cannot read directory: ") + std::strerror(errno));
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string path = dir + (dir.empty() || dir.back() == '/' ? "" : "/") + e->d_name;
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) names.push_back(path);
    }
    ::closedir(d);
    struct Entry {
        int64_t first_ts;
        bool readable;
        std::string path;
    };
    std::vector<Entry> entries;
    for (auto& p : names) {
        Entry e{INT64_MAX, false, p};
        try {
            auto src = open_capture_file(p);
            RawPacket raw;
            if (src->next(raw)) {
                e.first_ts = raw.ts_ns;
                e.readable = true;
            }
        } catch (const InputError&) {
        }
        entries.push_back(std::move(e));
    }
    // Readable files by first timestamp then name; unreadable ones last by name (opening them
    // again later reports the error with the file's name).
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        if (a.readable != b.readable) return a.readable;
        if (a.first_ts != b.first_ts) return a.first_ts < b.first_ts;
        return a.path < b.path;
    });
    std::vector<std::string> out;
    for (auto& e : entries) out.push_back(e.path);
    return out;
}

}  // namespace iotwatch

// PacketSource: the one interface every capture input implements (files, directories, stdin, live).
//
// Contract:
//  - next() fills `out` and returns true, or returns false at the end of input.
//  - On a truncated or corrupt record, next() throws InputError naming the file and the byte
//    offset of the bad record. Every packet returned before the throw is valid; a caller that has
//    counted them keeps them (nothing accepted is lost).
//  - `out.data` stays valid until the next call to next().
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/raw_packet.h"

namespace iotwatch {

/// Counters a live capture gets from the kernel (pcap_stats); zero for files.
struct CaptureDropStats {
    uint64_t received = 0;
    uint64_t dropped_kernel = 0;
    uint64_t dropped_interface = 0;
};

class PacketSource {
public:
    virtual ~PacketSource() = default;
    virtual bool next(RawPacket& out) = 0;
    /// Name of the current input (file path, "-" for stdin, interface name), for messages.
    virtual std::string current_name() const = 0;
    /// Byte offset just past the last record returned (in the decompressed stream).
    virtual uint64_t current_offset() const = 0;
    /// Total bytes of the current input if known (for progress/ETA), else 0.
    virtual uint64_t size_hint() const { return 0; }
    virtual CaptureDropStats drop_stats() const { return {}; }
    /// Asks a blocking source (live capture) to return false from next() soon. Async-signal-safe
    /// (sets an atomic flag); a no-op for files.
    virtual void request_stop() {}
};

/// How a file reader gets its bytes.
enum class ReaderKind {
    kAuto,     // own record walker (mmap for plain files, streaming for gzip/zstd/stdin)
    kLibpcap,  // libpcap pcap_next_ex (reference path; also reads pcapng)
};

/// Opens one capture file (pcap or pcapng, optionally gzip- or zstd-compressed, "-" for stdin).
/// Format and compression are detected from the magic bytes, not the file name.
/// Throws InputError if the file cannot be opened or its header is not a capture format.
std::unique_ptr<PacketSource> open_capture_file(const std::string& path, ReaderKind kind = ReaderKind::kAuto);

/// Lists capture files of a directory (non-recursive, hidden files skipped) ordered by the
/// timestamp of their first packet, ties broken by name. Files with no readable first packet sort
/// last by name. Throws InputError if `dir` is not readable.
std::vector<std::string> list_capture_directory(const std::string& dir);

/// Live capture through libpcap (promiscuous, snaplen `snaplen`, optional BPF filter).
/// drop_stats() reports pcap_stats() counters. next() returns false once request_stop() was called
/// (it wakes at least every 250 ms to check). Throws InputError if the interface cannot be opened.
std::unique_ptr<PacketSource> open_live_capture(const std::string& interface, int snaplen = 262144,
                                                const std::string& bpf_filter = "");

}  // namespace iotwatch

// PcapWriter: writes a classic pcap file (little-endian, micro- or nanosecond timestamps) to a
// FILE*. Used by the generator and by tests that build captures; buffered through stdio.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace iotwatch {

class PcapWriter {
public:
    /// Writes the global header. `out` stays owned by the caller unless opened through open().
    PcapWriter(std::FILE* out, uint16_t linktype, bool nanosecond = false, uint32_t snaplen = 262144);
    /// Opens `path` for writing ("-" is stdout). Throws StoreError on failure.
    static PcapWriter open(const std::string& path, uint16_t linktype, bool nanosecond = false,
                           uint32_t snaplen = 262144);
    PcapWriter(PcapWriter&& other) noexcept;
    PcapWriter& operator=(PcapWriter&&) = delete;
    ~PcapWriter();

    /// Appends one record; caplen bytes at data, wirelen the original length (>= caplen).
    void write(int64_t ts_ns, const uint8_t* data, uint32_t caplen, uint32_t wirelen);
    void write(int64_t ts_ns, const uint8_t* data, uint32_t len) { write(ts_ns, data, len, len); }
    /// Flushes and, when opened through open(), closes the file. Throws StoreError on I/O error.
    void close();
    uint64_t records() const { return records_; }

private:
    std::FILE* out_ = nullptr;
    bool owned_ = false;
    bool nanosecond_ = false;
    uint64_t records_ = 0;
};

}  // namespace iotwatch

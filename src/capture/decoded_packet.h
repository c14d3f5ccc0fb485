// DecodedPacket: the header fields of one IP packet that the telescope and flows need. Headers
// only: no payload bytes are kept (secrecy of communications), only the payload length.
#pragma once
#include <cstdint>

#include "core/ip_address.h"

namespace iotwatch {

/// How far decoding got. Packets cut by the snap length are decoded as far as they go.
enum class DecodeStatus : uint8_t {
    kOk = 0,          // every header the class needs was present
    kTruncatedL4,     // IP header complete, transport header cut short (class from what is there)
    kNotIp,           // link layer carried something other than IPv4/IPv6 (ARP, LLDP ...)
    kTruncatedL3,     // IP header itself cut short or link header incomplete: no addresses
    kMalformed,       // impossible header values (IHL < 5, version mismatch ...)
    kUnsupportedLink, // link type this decoder does not know
    kForeign,         // not decoded: a partitioned worker's reader found another worker's source
                      // (peek_source()); only ts_ns is set. decode_packet() never returns it.
};

/// IP protocol numbers used by the classifier.
enum IpProto : uint8_t {
    kProtoIcmp = 1,
    kProtoTcp = 6,
    kProtoUdp = 17,
    kProtoIcmp6 = 58,
};

/// TCP flag bits as in the TCP header byte 13.
enum TcpFlag : uint8_t {
    kTcpFin = 0x01,
    kTcpSyn = 0x02,
    kTcpRst = 0x04,
    kTcpPsh = 0x08,
    kTcpAck = 0x10,
    kTcpUrg = 0x20,
    kTcpEce = 0x40,
    kTcpCwr = 0x80,
};

/// The IP/transport header quoted inside an ICMP/ICMPv6 error (for backscatter victims).
struct QuotedHeader {
    IpAddress src;
    IpAddress dst;
    uint8_t protocol = 0;
    bool has_ports = false;  // the quote reached the TCP/UDP ports (routers may quote less)
    uint16_t sport = 0;      // 0 when not present
    uint16_t dport = 0;
};

struct DecodedPacket {
    int64_t ts_ns = 0;
    DecodeStatus status = DecodeStatus::kOk;
    uint8_t ip_version = 0;   // 4 or 6 (0 when not IP)
    uint8_t protocol = 0;     // transport protocol after IPv6 extension headers
    uint8_t ttl = 0;          // TTL / hop limit
    uint16_t ip_id = 0;       // IPv4 identification (IPv6: low 16 bits of fragment id, else 0)
    uint32_t ip_bytes = 0;    // IP packet length on the wire (total length field, or wirelen - link header)
    bool is_fragment = false;       // part of a fragmented datagram (any fragment)
    bool is_later_fragment = false; // fragment offset > 0: no transport header; classify by protocol only
    bool has_ip_options = false;
    IpAddress src;
    IpAddress dst;

    // Transport (valid when status == kOk, or partly when kTruncatedL4; see has_l4)
    bool has_l4 = false;       // ports/flags/type were read
    uint16_t sport = 0;
    uint16_t dport = 0;
    uint8_t tcp_flags = 0;
    uint32_t tcp_seq = 0;
    uint32_t tcp_ack = 0;
    uint16_t tcp_window = 0;
    uint8_t tcp_options_len = 0;  // TCP header length - 20
    uint8_t icmp_type = 0;
    uint8_t icmp_code = 0;
    uint32_t payload_len = 0;     // transport payload length per the IP/UDP length fields

    bool has_quoted = false;      // ICMP error quoting an inner IP header
    QuotedHeader quoted;

    /// Byte offset of the transport header in the frame (valid when has_l4). The flow collector
    /// uses it to find the payload of export datagrams in captures; the decoder itself never
    /// reads payload bytes.
    uint32_t l4_offset = 0;
    /// Byte offset of the IP header in the frame (valid when ip_version != 0). The sensor uses it
    /// to cut frames after their headers.
    uint16_t l3_offset = 0;
};

/// Decodes the link layer `linktype` and the IP/transport headers of `data` (caplen bytes of a
/// frame whose original length was wirelen). Never reads outside [data, data+caplen).
/// Fast path: no allocation, no exceptions.
void decode_packet(uint16_t linktype, const uint8_t* data, uint32_t caplen, uint32_t wirelen, int64_t ts_ns,
                   DecodedPacket& out);

/// The source address of a frame that decode_packet() would decode with status kOk or
/// kTruncatedL4, and its IP header's protocol byte (IPv4's protocol, IPv6's first next header: an
/// extension header's number when one follows; when it is TCP or UDP, decode_packet()'s
/// `protocol` is the same), read without decoding the rest; false exactly when decode_packet()
/// would report another status (then `src` and `ip_protocol` are unchanged). Partitioned workers
/// use it to skip, undecoded, the packets of sources another worker owns. Never reads outside
/// [data, data+caplen).
bool peek_source(uint16_t linktype, const uint8_t* data, uint32_t caplen, IpAddress& src, uint8_t& ip_protocol);

}  // namespace iotwatch

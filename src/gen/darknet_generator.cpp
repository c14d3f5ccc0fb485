#include "gen/darknet_generator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <queue>

#include "capture/pcap_writer.h"
#include "capture/raw_packet.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "core/timestamp.h"

namespace iotwatch {
namespace {

/// xoshiro256** seeded by splitmix64: fast, deterministic everywhere.
class Rng {
public:
    explicit Rng(uint64_t seed) {
        for (auto& s : s_) {
            seed += 0x9E3779B97F4A7C15ULL;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            s = z ^ (z >> 31);
        }
    }
    uint64_t next() {
        const uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return r;
    }
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }
    double real() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
    bool chance(double p) { return real() < p; }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t s_[4];
};

enum class Kind : uint8_t { kMirai, kZmap, kMasscan, kHorizontal, kUdpProbe, kBackscatter, kNoise };

struct Emitter {
    Kind kind;
    uint32_t src = 0;       // IPv4, host order
    int64_t start_ns = 0;
    int64_t end_ns = 0;
    uint64_t budget = 0;    // packets to send
    uint64_t sent = 0;
    uint64_t darknet_sent = 0;
    uint16_t port = 0;      // fixed destination port (scanners) or the victim's service port
    uint8_t proto = 0;      // backscatter vector protocol
    bool variant = false;   // Mirai variant (extra ports)
    uint8_t ttl = 64;
    uint64_t port_mask = 0; // Mirai: bit i = variant port i used
    int64_t next_ns() const {
        const int64_t span = std::max<int64_t>(1, end_ns - start_ns);
        return start_ns + int64_t((unsigned __int128)span * sent / budget);
    }
};

constexpr uint16_t kMiraiVariantPorts[] = {80, 443, 7547, 8080, 37215, 52869, 5555};
constexpr uint16_t kResearchPorts[] = {80, 443, 22, 8080, 21, 25, 3389, 445, 8443, 23};
constexpr uint16_t kHorizontalPorts[] = {22, 80, 443, 445, 3389, 8080, 5555, 7547, 81, 8443, 1433, 3306, 6379, 9200, 8291};
constexpr uint16_t kUdpPorts[] = {53, 123, 161, 1900, 5060, 11211, 37810, 3702, 5353, 389};

// Reserved and special-use IPv4 blocks never used as generated public addresses.
struct Block {
    uint32_t net, mask;
};
constexpr Block kReserved[] = {
    {0x00000000, 0xFF000000}, {0x0A000000, 0xFF000000}, {0x64400000, 0xFFC00000}, {0x7F000000, 0xFF000000},
    {0xA9FE0000, 0xFFFF0000}, {0xAC100000, 0xFFF00000}, {0xC0000000, 0xFFFFFF00}, {0xC0000200, 0xFFFFFF00},
    {0xC0A80000, 0xFFFF0000}, {0xC6120000, 0xFFFE0000}, {0xC6336400, 0xFFFFFF00}, {0xCB007100, 0xFFFFFF00},
    {0xE0000000, 0xE0000000},
};

class Generator {
public:
    Generator(const GenOptions& o) : o_(o), rng_(o.seed) {
        for (const auto& p : o.darknet) {
            if (!p.is_v4()) continue;
            ranges_.push_back({p.network().v4_value(), p.size()});
            dark_size_ += p.size();
        }
        if (ranges_.empty()) throw ConfigError("gen: the darknet needs at least one IPv4 prefix");
        if (o.duration_s <= 0) throw ConfigError("gen: duration must be positive");
        std::memset(frame_, 0, sizeof frame_);
        // Ethernet: fixed MACs, IPv4 ethertype.
        const uint8_t eth[14] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00};
        std::memcpy(frame_, eth, 14);
    }

    GenSummary run(const std::string& pcap_path, const std::string& truth_path,
                   const std::function<void(uint64_t)>& progress) {
        plan();
        PcapWriter out = PcapWriter::open(pcap_path, kLinkEthernet, o_.nanosecond, o_.snaplen ? o_.snaplen : 262144);
        using Item = std::pair<int64_t, uint32_t>;  // (next time, emitter index): ties by index
        std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
        for (uint32_t i = 0; i < em_.size(); ++i)
            if (em_[i].budget) heap.push({em_[i].next_ns(), i});
        uint64_t total = 0;
        while (!heap.empty()) {
            auto [t, i] = heap.top();
            heap.pop();
            Emitter& e = em_[i];
            const uint32_t len = emit(e);
            const uint32_t caplen = o_.snaplen && o_.snaplen < len ? o_.snaplen : len;
            out.write(t, frame_, caplen, len);
            ++e.sent;
            if (e.sent < e.budget) heap.push({e.next_ns(), i});
            if ((++total & 0xFFFFF) == 0 && progress) progress(total);
        }
        out.close();
        std::vector<uint32_t> srcs;
        for (const auto& e : em_)
            if (e.darknet_sent) srcs.push_back(e.src);
        std::sort(srcs.begin(), srcs.end());
        sum_.sources = uint64_t(std::unique(srcs.begin(), srcs.end()) - srcs.begin());
        if (!truth_path.empty()) write_truth(truth_path);
        return sum_;
    }

private:
    struct Range {
        uint32_t first;
        uint64_t size;
    };

    uint32_t dark_addr() {
        uint64_t k = rng_.below(dark_size_);
        for (const auto& r : ranges_) {
            if (k < r.size) return r.first + uint32_t(k);
            k -= r.size;
        }
        return ranges_[0].first;
    }
    bool in_darknet(uint32_t a) const {
        for (const auto& r : ranges_)
            if (uint64_t(a - r.first) < r.size) return true;
        return false;
    }
    uint32_t public_addr() {
        for (;;) {
            uint32_t a = uint32_t(rng_.next() >> 32);
            bool bad = in_darknet(a);
            for (const auto& b : kReserved) bad = bad || (a & b.mask) == b.net;
            if (!bad) return a;
        }
    }

    /// Splits the packet budget over populations and creates their emitters.
    void plan() {
        const double P = double(o_.packets);
        const int64_t t0 = o_.start_ns, span = o_.duration_s * 1'000'000'000LL;
        auto window = [&](double min_frac, double max_frac, Emitter& e) {
            const double len = min_frac + rng_.real() * (max_frac - min_frac);
            const int64_t l = std::max<int64_t>(1'000'000'000LL, int64_t(double(span) * len));
            e.start_ns = t0 + int64_t(rng_.real() * double(std::max<int64_t>(1, span - l)));
            e.end_ns = std::min(t0 + span - 1, e.start_ns + l);
        };
        // Heavy-tailed budgets: weights 1 + Exp(1)^2, normalised to the population's share.
        auto population = [&](Kind kind, double share, uint64_t count, auto&& setup) {
            const uint64_t total = uint64_t(P * share);
            if (total == 0 || count == 0) return;
            std::vector<double> w(count);
            double sum = 0;
            for (auto& x : w) {
                double ex = -std::log(1.0 - rng_.real());
                sum += x = 1.0 + ex * ex;
            }
            uint64_t given = 0;
            for (uint64_t i = 0; i < count; ++i) {
                Emitter e{kind};
                e.src = public_addr();
                e.budget = i + 1 == count ? total - given : std::min(total - given, uint64_t(double(total) * w[i] / sum));
                given += e.budget;
                if (e.budget == 0) continue;
                setup(e);
                em_.push_back(e);
            }
        };
        const uint64_t scale = std::max<uint64_t>(1, o_.packets / 1'000'000);
        population(Kind::kMirai, 0.55, std::clamp<uint64_t>(o_.packets / 400, 20, 1'000'000), [&](Emitter& e) {
            window(0.05, 1.0, e);
            e.variant = rng_.chance(0.15);
            e.ttl = uint8_t(30 + rng_.below(35));
            e.port_mask = e.variant ? (1u << rng_.below(7)) | (1u << rng_.below(7)) : 0;
        });
        population(Kind::kZmap, 0.08, 2 + 2 * scale, [&](Emitter& e) {
            window(0.01, 0.1, e);
            e.port = kResearchPorts[rng_.below(std::size(kResearchPorts))];
            e.ttl = 255;
        });
        population(Kind::kMasscan, 0.06, 2 + 2 * scale, [&](Emitter& e) {
            window(0.01, 0.1, e);
            e.port = kResearchPorts[rng_.below(std::size(kResearchPorts))];
            e.ttl = uint8_t(200 + rng_.below(56));
        });
        population(Kind::kHorizontal, 0.10, std::clamp<uint64_t>(o_.packets / 4000, 10, 200'000), [&](Emitter& e) {
            window(0.02, 0.6, e);
            e.port = kHorizontalPorts[rng_.below(std::size(kHorizontalPorts))];
            e.ttl = uint8_t(40 + rng_.below(90));
        });
        population(Kind::kUdpProbe, 0.08, std::clamp<uint64_t>(o_.packets / 3000, 10, 200'000), [&](Emitter& e) {
            window(0.02, 0.8, e);
            e.port = kUdpPorts[rng_.below(std::size(kUdpPorts))];
            e.ttl = uint8_t(40 + rng_.below(90));
        });
        population(Kind::kBackscatter, 0.08, 4 + scale, [&](Emitter& e) {
            window(0.004, 0.02, e);  // minutes-long attacks
            const uint64_t r = rng_.below(10);
            e.proto = r < 6 ? 6 : r < 8 ? 1 : 17;
            e.port = rng_.chance(0.5) ? 80 : 443;
            e.ttl = uint8_t(50 + rng_.below(70));
        });
        population(Kind::kNoise, 0.05, std::clamp<uint64_t>(o_.packets / 300, 10, 1'000'000), [&](Emitter& e) {
            window(0.01, 1.0, e);
            e.ttl = uint8_t(40 + rng_.below(90));
        });
    }

    // ---- frame building (Ethernet + IPv4 + L4 into frame_) ----
    static void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8), p[1] = uint8_t(v); }
    static void put32(uint8_t* p, uint32_t v) { put16(p, uint16_t(v >> 16)), put16(p + 2, uint16_t(v)); }
    static uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
        for (size_t i = 0; i + 1 < n; i += 2) acc += uint32_t(p[i] << 8 | p[i + 1]);
        if (n & 1) acc += uint32_t(p[n - 1] << 8);
        return acc;
    }
    static uint16_t fold(uint32_t acc) {
        while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
        return uint16_t(~acc);
    }
    /// IPv4 header at frame_+14 (ihl 20 or 24 with a NOP/EOL option); returns header length.
    uint32_t ip_header(uint32_t src, uint32_t dst, uint8_t proto, uint16_t total, uint16_t id, uint8_t ttl,
                       uint16_t frag = 0x4000, bool options = false) {
        uint8_t* ip = frame_ + 14;
        const uint32_t ihl = options ? 24 : 20;
        ip[0] = uint8_t(0x40 | (ihl / 4));
        ip[1] = 0;
        put16(ip + 2, total);
        put16(ip + 4, id);
        put16(ip + 6, frag);
        ip[8] = ttl;
        ip[9] = proto;
        put16(ip + 10, 0);
        put32(ip + 12, src);
        put32(ip + 16, dst);
        if (options) put32(ip + 20, 0x01010100);  // NOP NOP NOP EOL
        put16(ip + 10, fold(sum16(ip, ihl)));
        return ihl;
    }
    void l4_checksum(uint32_t src, uint32_t dst, uint8_t proto, uint8_t* l4, uint32_t len, size_t csum_off) {
        put16(l4 + csum_off, 0);
        uint8_t pseudo[12];
        put32(pseudo, src);
        put32(pseudo + 4, dst);
        pseudo[8] = 0;
        pseudo[9] = proto;
        put16(pseudo + 10, uint16_t(len));
        uint16_t c = fold(sum16(l4, len, sum16(pseudo, 12)));
        if (proto == 17 && c == 0) c = 0xFFFF;
        put16(l4 + csum_off, c);
    }
    static uint32_t frame_len(uint32_t ip_total) { return std::max<uint32_t>(60, 14 + ip_total); }
    uint32_t tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                 uint16_t window, uint8_t ttl, uint16_t id, uint32_t opt_len, bool ip_options = false) {
        const uint32_t thl = 20 + opt_len;
        const uint32_t ihl = ip_options ? 24 : 20;
        const uint16_t total = uint16_t(ihl + thl);
        ip_header(src, dst, 6, total, id, ttl, 0x4000, ip_options);
        uint8_t* t = frame_ + 14 + ihl;
        put16(t, sport);
        put16(t + 2, dport);
        put32(t + 4, seq);
        put32(t + 8, ack);
        t[12] = uint8_t((thl / 4) << 4);
        t[13] = flags;
        put16(t + 14, window);
        put16(t + 18, 0);
        if (opt_len >= 4) {  // MSS 1460, then NOPs/EOL
            t[20] = 2, t[21] = 4;
            put16(t + 22, 1460);
            for (uint32_t i = 4; i < opt_len; ++i) t[20 + i] = i + 1 < opt_len ? 1 : 0;
        }
        l4_checksum(src, dst, 6, t, thl, 16);
        clear_tail(14 + total);
        return frame_len(total);
    }
    uint32_t udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t ttl, uint16_t id, uint32_t payload) {
        const uint16_t total = uint16_t(20 + 8 + payload);
        ip_header(src, dst, 17, total, id, ttl);
        uint8_t* u = frame_ + 34;
        put16(u, sport);
        put16(u + 2, dport);
        put16(u + 4, uint16_t(8 + payload));
        for (uint32_t i = 0; i < payload; ++i) u[8 + i] = uint8_t(i * 7 + dport);
        l4_checksum(src, dst, 17, u, 8 + payload, 6);
        clear_tail(14 + total);
        return frame_len(total);
    }
    uint32_t icmp(uint32_t src, uint32_t dst, uint8_t type, uint8_t code, uint8_t ttl, uint16_t id, const uint8_t* quoted,
                  uint32_t quoted_len) {
        const uint16_t total = uint16_t(20 + 8 + quoted_len);
        ip_header(src, dst, 1, total, id, ttl);
        uint8_t* c = frame_ + 34;
        c[0] = type;
        c[1] = code;
        put32(c + 4, type == 8 || type == 0 ? (uint32_t(id) << 16 | 1) : 0);
        if (quoted_len) std::memcpy(c + 8, quoted, quoted_len);
        put16(c + 2, 0);
        put16(c + 2, fold(sum16(c, 8 + quoted_len)));
        clear_tail(14 + total);
        return frame_len(total);
    }
    void clear_tail(uint32_t used) {
        if (used < 60) std::memset(frame_ + used, 0, 60 - used);
    }

    /// Builds the emitter's next packet into frame_, counts it, returns the frame length.
    uint32_t emit(Emitter& e) {
        const bool outside = rng_.chance(o_.outside_fraction);
        const uint32_t dst = outside ? public_addr() : dark_addr();
        const uint16_t sport = uint16_t(1024 + rng_.below(64511));
        const uint16_t id = uint16_t(rng_.next());
        uint8_t cls = kClassSyn;
        uint32_t len = 0;
        switch (e.kind) {
        case Kind::kMirai: {
            uint16_t port = rng_.below(10) < 9 ? 23 : 2323;
            if (e.variant && rng_.chance(0.5)) {
                uint64_t m = e.port_mask;
                uint32_t pick = uint32_t(rng_.below(uint64_t(__builtin_popcountll(m))));
                for (int i = 0; i < 7; ++i)
                    if ((m >> i) & 1 && pick-- == 0) port = kMiraiVariantPorts[i];
            }
            // seq == destination address: the Mirai fingerprint.
            len = tcp(e.src, dst, sport, port, dst, 0, 0x02, uint16_t(rng_.next()), e.ttl, id, 0);
            break;
        }
        case Kind::kZmap:
            len = tcp(e.src, dst, uint16_t(32768 + rng_.below(28232)), e.port, uint32_t(rng_.next()), 0, 0x02, 65535, 255,
                      54321, 0);
            break;
        case Kind::kMasscan: {
            const uint32_t seq = uint32_t(rng_.next());
            len = tcp(e.src, dst, uint16_t(40000 + rng_.below(20000)), e.port, seq, 0, 0x02, 1024, e.ttl,
                      uint16_t((dst ^ e.port ^ seq) & 0xFFFF), 0);
            break;
        }
        case Kind::kHorizontal:
            len = tcp(e.src, dst, sport, e.port, uint32_t(rng_.next()), 0, 0x02, 29200, e.ttl, id, 20);
            break;
        case Kind::kUdpProbe:
            len = udp(e.src, dst, sport, e.port, e.ttl, id, uint32_t(8 + rng_.below(40)));
            cls = kClassUdp;
            break;
        case Kind::kBackscatter: {
            const uint16_t spoofed_port = uint16_t(1024 + rng_.below(64511));
            if (e.proto == 6) {
                const bool rst = rng_.chance(0.3);
                len = tcp(e.src, dst, e.port, spoofed_port, uint32_t(rng_.next()), uint32_t(rng_.next()),
                          rst ? 0x14 : 0x12, 8192, e.ttl, id, rst ? 0 : 4);
                cls = rst ? kClassRst : kClassSynAck;
            } else if (e.proto == 17) {
                len = udp(e.src, dst, 53, spoofed_port, e.ttl, id, uint32_t(30 + rng_.below(100)));
                cls = kClassUdp;
            } else {
                // Destination unreachable quoting the spoofed probe: darknet address -> victim.
                uint8_t q[28];
                q[0] = 0x45, q[1] = 0;
                put16(q + 2, 40);
                put16(q + 4, uint16_t(rng_.next()));
                put16(q + 6, 0);
                q[8] = 50, q[9] = 6;
                put16(q + 10, 0);
                put32(q + 12, dst);
                put32(q + 16, e.src);
                put16(q + 20, spoofed_port);
                put16(q + 22, e.port);
                put32(q + 24, uint32_t(rng_.next()));
                len = icmp(e.src, dst, 3, uint8_t(rng_.chance(0.5) ? 3 : 1), e.ttl, id, q, sizeof q);
                cls = kClassIcmp;
            }
            break;
        }
        case Kind::kNoise: {
            const uint64_t r = rng_.below(100);
            const uint16_t port = kHorizontalPorts[rng_.below(std::size(kHorizontalPorts))];
            if (r < 28) {
                len = tcp(e.src, dst, sport, port, uint32_t(rng_.next()), uint32_t(rng_.next()), 0x10, 501, e.ttl, id, 0);
                cls = kClassAck;
            } else if (r < 38) {
                len = tcp(e.src, dst, sport, port, uint32_t(rng_.next()), uint32_t(rng_.next()), 0x11, 501, e.ttl, id, 0);
                cls = kClassFin;
            } else if (r < 52) {
                len = tcp(e.src, dst, sport, port, uint32_t(rng_.next()), uint32_t(rng_.next()), 0x18, 501, e.ttl, id, 0);
                cls = kClassPush;
            } else if (r < 60) {
                len = tcp(e.src, dst, sport, port, uint32_t(rng_.next()), 0, 0x04, 0, e.ttl, id, 0);
                cls = kClassRst;
            } else if (r < 68) {
                const uint8_t odd[] = {0x00, 0x03, 0x20, 0x40, 0x29};  // none, SYN+FIN, URG, ECE, URG|PSH|FIN -> see below
                const uint8_t f = odd[rng_.below(4)];
                len = tcp(e.src, dst, sport, port, uint32_t(rng_.next()), 0, f, 1024, e.ttl, id, 0);
                cls = kClassTcpOther;
            } else if (r < 82) {
                len = icmp(e.src, dst, 8, 0, e.ttl, id, nullptr, 0);
                cls = kClassIcmp;
            } else if (r < 88) {
                // GRE or ESP: other-IP.
                const uint8_t proto = rng_.chance(0.5) ? 47 : 50;
                ip_header(e.src, dst, proto, 40, id, e.ttl);
                std::memset(frame_ + 34, 0xAB, 20);
                len = frame_len(40);
                cls = kClassOtherIp;
            } else if (r < 94) {
                // A later fragment of a TCP datagram: no TCP header, classified by protocol only.
                ip_header(e.src, dst, 6, 44, id, e.ttl, uint16_t(0x0000 | 185));
                std::memset(frame_ + 34, 0x5A, 24);
                len = frame_len(44);
                cls = kClassTcpOther;
            } else {
                // A SYN with IP options (NOP NOP NOP EOL).
                len = tcp(e.src, dst, sport, port, uint32_t(rng_.next()), 0, 0x02, 14600, e.ttl, id, 0, true);
                cls = kClassSyn;
            }
            break;
        }
        }
        if (outside) {
            ++sum_.outside;
        } else {
            ++sum_.packets;
            ++sum_.class_packets[cls];
            ++e.darknet_sent;
        }
        return len;
    }

    void write_truth(const std::string& path) {
        std::ofstream f(path);
        if (!f) throw StoreError("cannot create " + path);
        JsonWriter w(f);
        w.begin_object();
        w.key("seed").value(o_.seed);
        w.key("packets").value(sum_.packets);
        w.key("outside").value(sum_.outside);
        w.key("sources").value(sum_.sources);
        w.key("classes").begin_object();
        for (uint8_t c = 0; c < kClassCount; ++c) w.key(packet_class_name(c)).value(sum_.class_packets[c]);
        w.end_object();
        w.key("darknet").begin_array();
        for (const auto& p : o_.darknet) w.value(p.to_string());
        w.end_array();
        w.key("start").value(format_utc(o_.start_ns));
        w.key("end").value(format_utc(o_.start_ns + o_.duration_s * 1'000'000'000LL));
        auto list = [&](const char* name, Kind kind, auto&& extra) {
            w.key(name).begin_array();
            for (const auto& e : em_) {
                if (e.kind != kind || !e.darknet_sent) continue;
                w.begin_object();
                w.key(kind == Kind::kBackscatter ? "victim" : "src").value(IpAddress::v4(e.src).to_string());
                w.key("packets").value(e.darknet_sent);
                w.key("start").value(format_utc(e.start_ns));
                w.key("end").value(format_utc(e.end_ns));
                extra(e);
                w.end_object();
            }
            w.end_array();
        };
        list("mirai_bots", Kind::kMirai, [&](const Emitter& e) {
            w.key("ports").begin_array().value(23).value(2323);
            for (int i = 0; i < 7; ++i)
                if ((e.port_mask >> i) & 1) w.value(kMiraiVariantPorts[i]);
            w.end_array();
        });
        w.key("research_scanners").begin_array();
        for (const auto& e : em_) {
            if ((e.kind != Kind::kZmap && e.kind != Kind::kMasscan) || !e.darknet_sent) continue;
            w.begin_object();
            w.key("src").value(IpAddress::v4(e.src).to_string());
            w.key("tool").value(e.kind == Kind::kZmap ? "zmap" : "masscan");
            w.key("port").value(e.port);
            w.key("packets").value(e.darknet_sent);
            w.end_object();
        }
        w.end_array();
        list("scanners", Kind::kHorizontal, [&](const Emitter& e) { w.key("port").value(e.port); w.key("protocol").value("tcp"); });
        list("udp_probers", Kind::kUdpProbe, [&](const Emitter& e) { w.key("port").value(e.port); w.key("protocol").value("udp"); });
        list("dos_victims", Kind::kBackscatter, [&](const Emitter& e) {
            w.key("protocol").value(e.proto == 6 ? "tcp" : e.proto == 17 ? "udp" : "icmp");
            w.key("port").value(e.port);
        });
        w.end_object();
        f << "\n";
        if (!f) throw StoreError("write failed: " + path);
    }

    const GenOptions& o_;
    Rng rng_;
    std::vector<Range> ranges_;
    uint64_t dark_size_ = 0;
    std::vector<Emitter> em_;
    GenSummary sum_;
    uint8_t frame_[256];
};

}  // namespace

GenSummary generate_darknet(const GenOptions& options, const std::string& pcap_path, const std::string& truth_path,
                            const std::function<void(uint64_t)>& progress) {
    Generator g(options);
    return g.run(pcap_path, truth_path, progress);
}

}  // namespace iotwatch

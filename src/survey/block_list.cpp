#include "survey/block_list.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace iotwatch {

BlockList BlockList::reserved() {
    // IANA IPv4 Special-Purpose Address Registry and multicast space (the ranges of ZMap's default
    // blocklist), and the IANA IPv6 Special-Purpose Address Registry (RFC 6890 and its updates)
    // with multicast. (IPv4-mapped ::ffff:0:0/96 is IPv4 itself here: IPv4 addresses are stored
    // mapped, so its ranges are the IPv4 entries.)
    static constexpr const char* kReserved[][2] = {
        {"0.0.0.0/8", "RFC1122: this host on this network"},
        {"10.0.0.0/8", "RFC1918: private-use"},
        {"100.64.0.0/10", "RFC6598: shared address space"},
        {"127.0.0.0/8", "RFC1122: loopback"},
        {"169.254.0.0/16", "RFC3927: link local"},
        {"172.16.0.0/12", "RFC1918: private-use"},
        {"192.0.0.0/24", "RFC6890: IETF protocol assignments"},
        {"192.0.2.0/24", "RFC5737: documentation (TEST-NET-1)"},
        {"192.88.99.0/24", "RFC7526: 6to4 relay anycast"},
        {"192.168.0.0/16", "RFC1918: private-use"},
        {"198.18.0.0/15", "RFC2544: benchmarking"},
        {"198.51.100.0/24", "RFC5737: documentation (TEST-NET-2)"},
        {"203.0.113.0/24", "RFC5737: documentation (TEST-NET-3)"},
        {"224.0.0.0/4", "RFC5771: multicast"},
        {"240.0.0.0/4", "RFC1112: reserved"},
        {"255.255.255.255/32", "RFC919: limited broadcast"},
        {"::/128", "RFC4291: unspecified"},
        {"::1/128", "RFC4291: loopback"},
        {"64:ff9b::/96", "RFC6052: IPv4/IPv6 translation"},
        {"64:ff9b:1::/48", "RFC8215: local-use IPv4/IPv6 translation"},
        {"100::/64", "RFC6666: discard-only"},
        {"2001::/23", "RFC2928: IETF protocol assignments (Teredo, ORCHIDv2, ...)"},
        {"2001:db8::/32", "RFC3849: documentation"},
        {"2002::/16", "RFC3056: 6to4"},
        {"3fff::/20", "RFC9637: documentation"},
        {"5f00::/16", "RFC9602: SRv6 SIDs"},
        {"fc00::/7", "RFC4193: unique local"},
        {"fe80::/10", "RFC4291: link-local unicast"},
        {"ff00::/8", "RFC4291: multicast"},
    };
    BlockList b;
    for (const auto& r : kReserved) b.add(*Prefix::parse(r[0]), r[1]);
    return b;
}

Prefix BlockList::loopback() { return *Prefix::parse("127.0.0.0/8"); }
Prefix BlockList::loopback6() { return *Prefix::parse("::1/128"); }

bool BlockList::is_loopback(const Prefix& p) {
    const Prefix lo = loopback();
    return (p.is_v4() && lo.contains(p.network()) && p.length() >= 8) || p == loopback6();
}

bool BlockList::is_builtin_loopback(const Entry& e) {
    // Reasons of the built-in entries start with the RFC; opt-out files never lift.
    return (e.prefix == loopback() || e.prefix == loopback6()) && e.reason.rfind("RFC", 0) == 0;
}

void BlockList::add_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, UINT64_MAX, "cannot read the opt-out/block file");
    std::ostringstream ss;
    ss << in.rdbuf();
    add_text(ss.str(), path);
}

void BlockList::add_text(const std::string& text, const std::string& name) {
    size_t pos = 0, line_no = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        ++line_no;
        std::string line = text.substr(pos, end - pos);
        const uint64_t offset = pos;
        pos = end + 1;
        if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos) continue;
        line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
        std::string why;
        auto p = Prefix::parse(line, &why);
        if (!p) throw InputError(name, offset, "line " + std::to_string(line_no) + ": '" + line + "' is not a CIDR: " + why);
        add(*p, "opt-out: " + name + ":" + std::to_string(line_no));
    }
}

const BlockList::Entry* BlockList::blocking(const IpAddress& a, bool loopback_test) const {
    for (const auto& e : entries_) {
        if (loopback_test && is_builtin_loopback(e)) continue;
        if (e.prefix.contains(a)) return &e;
    }
    return nullptr;
}

}  // namespace iotwatch

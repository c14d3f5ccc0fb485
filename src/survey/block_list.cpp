#include "survey/block_list.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace iotwatch {

BlockList BlockList::reserved() {
    // IANA IPv4 Special-Purpose Address Registry and multicast space (the ranges of ZMap's default
    // blocklist). IPv6 is not surveyed in this increment; ::/0 blocks it as a backstop.
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
    };
    BlockList b;
    for (const auto& r : kReserved) b.add(*Prefix::parse(r[0]), r[1]);
    return b;
}

Prefix BlockList::loopback() { return *Prefix::parse("127.0.0.0/8"); }

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
    if (!a.is_v4()) {
        static const Entry kNoV6{Prefix(), "IPv6 is not surveyed"};
        return &kNoV6;
    }
    const Prefix lo = loopback();
    for (const auto& e : entries_) {
        if (loopback_test && e.prefix == lo && e.reason.rfind("RFC", 0) == 0) continue;
        if (e.prefix.contains(a)) return &e;
    }
    return nullptr;
}

}  // namespace iotwatch

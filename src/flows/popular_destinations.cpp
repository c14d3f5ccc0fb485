#include "flows/popular_destinations.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "detect/embedded_data.h"

namespace iotwatch {

PopularDestinations PopularDestinations::builtin() { return parse(kDefaultCncPopularTsv, "data/cnc-popular.tsv"); }

PopularDestinations PopularDestinations::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, UINT64_MAX, "cannot read the popular-destinations file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

PopularDestinations PopularDestinations::parse(const std::string& text, const std::string& name) {
    PopularDestinations out;
    size_t pos = 0, line_no = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const uint64_t offset = pos;
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> cols;
        for (size_t a = 0;;) {
            const size_t tab = line.find('\t', a);
            cols.push_back(line.substr(a, tab == std::string::npos ? std::string::npos : tab - a));
            if (tab == std::string::npos) break;
            a = tab + 1;
        }
        if (cols.size() < 3 || cols[1].empty() || cols[2].empty())
            throw InputError(name, offset, "line " + std::to_string(line_no) + ": want prefix-or-service<TAB>name<TAB>source");
        Entry e;
        e.name = cols[1];
        e.source = cols[2];
        const std::string& key = cols[0];
        if (key.rfind("tcp/", 0) == 0 || key.rfind("udp/", 0) == 0) {
            char* endp = nullptr;
            const long port = std::strtol(key.c_str() + 4, &endp, 10);
            if (key.size() == 4 || *endp || port < 0 || port > 65535)
                throw InputError(name, offset, "line " + std::to_string(line_no) + ": '" + key + "' is not tcp/PORT or udp/PORT");
            e.protocol = key[0] == 't' ? 6 : 17;
            e.port = uint16_t(port);
        } else {
            std::string why;
            auto p = Prefix::parse(key, &why);
            if (!p) throw InputError(name, offset, "line " + std::to_string(line_no) + ": '" + key + "' is not a prefix: " + why);
            e.prefix = *p;
        }
        out.entries_.push_back(std::move(e));
    }
    return out;
}

void PopularDestinations::merge(const PopularDestinations& other) {
    entries_.insert(entries_.end(), other.entries_.begin(), other.entries_.end());
}

const PopularDestinations::Entry* PopularDestinations::match(const IpAddress& server, uint8_t protocol, uint16_t port) const {
    for (const auto& e : entries_) {
        if (e.protocol ? (e.protocol == protocol && e.port == port) : e.prefix.contains(server)) return &e;
    }
    return nullptr;
}

}  // namespace iotwatch

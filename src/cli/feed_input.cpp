#include "cli/feed_input.h"

#include <climits>
#include <fstream>
#include <ostream>
#include <sstream>

#include "core/error.h"
#include "core/json_writer.h"

namespace iotwatch::cli {

std::string feed_format(const std::string& path, const std::string& given) {
    std::string format = given;
    if (format.empty()) format = path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0 ? "stix" : "csv";
    if (format != "csv" && format != "stix") throw ConfigError("--format must be csv or stix, not '" + format + "'");
    return format;
}

std::string read_input_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, UINT64_MAX, "cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void print_feed_summary(std::ostream& out, bool json, const std::string& feed, uint64_t records, uint64_t added,
                        uint64_t bad) {
    if (json) {
        JsonWriter w(out);
        w.begin_object().key("feed").value(feed).key("records").value(records).key("added").value(added)
            .key("bad").value(bad).end_object();
        out << "\n";
    } else {
        out << "feed " << feed << ": " << records << " records read, " << added << " new, " << bad << " bad\n";
    }
}

}  // namespace iotwatch::cli

// What the commands that import files (`iotwatch evidence`, `sites import`, `share submit`) share:
// choosing a feed file's format, reading a file whole, and the importers' summary line.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>

namespace iotwatch::cli {

/// `given` when set ("csv" or "stix", else a ConfigError), otherwise stix for a *.json path and
/// csv for any other.
std::string feed_format(const std::string& path, const std::string& given);
/// The whole file; an InputError naming it when it cannot be opened.
std::string read_input_file(const std::string& path);
/// The import's totals: one JSON object (`feed`, `records`, `added`, `bad`) or a line of text.
void print_feed_summary(std::ostream& out, bool json, const std::string& feed, uint64_t records, uint64_t added,
                        uint64_t bad);

}  // namespace iotwatch::cli

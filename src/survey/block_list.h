// BlockList: address ranges the survey never probes, applied to every campaign. It holds the
// reserved and special-use IPv4 ranges (IANA special-purpose registry, as in ZMap's default
// conf/blacklist.conf, with 198.18.0.0/15 spelled correctly), the IPv6 special-purpose ranges
// and multicast, plus any opt-out files.
//
// Loopback (127.0.0.0/8, ::1) is blocked like every other reserved range. Only a campaign that is
// explicitly a loopback test (SurveyScope checks that its whole allow-list is inside 127.0.0.0/8 or
// is ::1) may lift those entries: `blocks(a, /*loopback_test=*/true)` ignores the loopback entries
// and nothing else, so a test campaign reaches only its own machine.
#pragma once
#include <string>
#include <vector>

#include "core/prefix.h"

namespace iotwatch {

class BlockList {
public:
    struct Entry {
        Prefix prefix;
        std::string reason;  // "RFC1918: Private-Use", "opt-out: FILE:LINE"
    };

    /// The built-in reserved/special-use ranges (always present).
    static BlockList reserved();

    /// Adds every CIDR of an opt-out file: one address or CIDR per line, '#' starts a comment.
    /// Throws InputError naming the file, byte offset and bad text.
    void add_file(const std::string& path);
    /// Adds entries parsed from text (`name` is used in errors and reasons).
    void add_text(const std::string& text, const std::string& name);
    void add(const Prefix& p, std::string reason) { entries_.push_back({p, std::move(reason)}); }

    /// The entry blocking `a`, or nullptr. With `loopback_test`, the built-in 127.0.0.0/8 entry is
    /// skipped (opt-outs and every other reserved range still apply).
    const Entry* blocking(const IpAddress& a, bool loopback_test = false) const;
    bool blocks(const IpAddress& a, bool loopback_test = false) const { return blocking(a, loopback_test) != nullptr; }

    const std::vector<Entry>& entries() const { return entries_; }

    /// 127.0.0.0/8 and ::1/128.
    static Prefix loopback();
    static Prefix loopback6();
    /// Whether `p` lies inside 127.0.0.0/8 or is ::1/128.
    static bool is_loopback(const Prefix& p);
    /// A built-in entry a loopback test lifts: 127.0.0.0/8 and ::1/128.
    static bool is_builtin_loopback(const Entry& e);

private:
    std::vector<Entry> entries_;
};

}  // namespace iotwatch

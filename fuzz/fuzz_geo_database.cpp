// libFuzzer target: GeoDatabase on hostile MaxMind DB files. The input is written to a file (the
// library opens by path and memory-maps it), opened, and a few IPv4 and IPv6 addresses are looked
// up. Any input must end in a ConfigError (does not open), an InputError (corrupt tree or record) or
// a GeoInfo; never a crash or a sanitizer report. libmaxminddb has no public verifier (mmdbverify
// is not part of the C library), so this also exercises its own bounds checks under ASan.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error.h"
#include "fuzz_temp_file.h"
#include "enrich/geo_database.h"

// libmaxminddb 1.7.1 (Debian 12) leaks an entry-data list when MMDB_open rejects malformed
// `languages` metadata (found by this fuzzer; the reproducer is in the corpus as
// leak-invalid-languages-metadata.mmdb). It is a leak inside the library, not a memory-safety bug and
// not ours to fix, so leaks allocated within libmaxminddb are suppressed; leaks from our own
// allocations are still reported.
extern "C" const char* __lsan_default_suppressions() { return "leak:libmaxminddb.so"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    const std::string path = write_fuzz_input("geo", data, size);
    if (path.empty()) return 0;
    static const IpAddress probes[] = {
        *IpAddress::parse("203.0.113.1"),  *IpAddress::parse("198.51.100.200"), *IpAddress::parse("192.0.2.1"),
        *IpAddress::parse("0.0.0.0"),      *IpAddress::parse("255.255.255.255"), *IpAddress::parse("2001:db8:1::1"),
        *IpAddress::parse("2001:db8:2::1"), *IpAddress::parse("::"),             *IpAddress::parse("ffff::1"),
    };
    try {
        GeoDatabase db(path, std::chrono::seconds(0));
        (void)db.database_type();
        for (const IpAddress& a : probes) {
            try {
                GeoInfo g = db.lookup(a);
                (void)g.empty();
            } catch (const InputError&) {
            }
        }
    } catch (const ConfigError&) {
    }
    return 0;
}

// libFuzzer: HTTP response heads and WWW-Authenticate challenges from a hostile peer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "survey/http_auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    bool not_http = false;
    if (auto h = iotwatch::HttpAuth::parse_head(in, &not_http)) {
        if (const auto* c = iotwatch::HttpAuth::choose(h->challenges))
            (void)iotwatch::HttpAuth::authorization(*c, "admin", "admin", "GET", "/", "cn", 1);
    }
    for (const auto& c : iotwatch::HttpAuth::parse_challenges(in))
        (void)iotwatch::HttpAuth::authorization(c, "u", "p", "GET", "/", "cn", 2);
    return 0;
}

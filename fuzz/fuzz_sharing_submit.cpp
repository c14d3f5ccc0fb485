// libFuzzer target: anonymised submissions to the sharing hub (a STIX bundle from an organisation)
// into an in-memory store. Any input must be refused with InputError or processed; never a crash,
// and nothing stored may still name the submitter's identity objects.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/error.h"
#include "sharing/sharing_hub.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace iotwatch;
    static std::unique_ptr<Store> store = open_sqlite_store(":memory:");
    SharingHub hub(*store, nullptr);
    try {
        hub.submit(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json", "org", 1);
    } catch (const InputError&) {
    }
    const Reader admin{"", true};
    (void)hub.collections(admin);
    return 0;
}

#include "sharing/tlp.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace iotwatch {
namespace {

struct Known {
    const char* id;
    Tlp level;
};
// TLP 2.0 (OASIS extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d) and STIX 2.1's
// predefined TLP 1.0 markings.
constexpr Known kKnown[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", Tlp::kClear},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", Tlp::kGreen},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", Tlp::kAmber},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", Tlp::kAmberStrict},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", Tlp::kRed},
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::kClear},  // TLP 1.0 WHITE
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::kGreen},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::kAmber},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::kRed},
};

}  // namespace

const char* tlp_name(Tlp t) {
    switch (t) {
    case Tlp::kClear: return "TLP:CLEAR";
    case Tlp::kGreen: return "TLP:GREEN";
    case Tlp::kAmber: return "TLP:AMBER";
    case Tlp::kAmberStrict: return "TLP:AMBER+STRICT";
    case Tlp::kRed: return "TLP:RED";
    }
    return "TLP:AMBER";
}

const char* tlp_marking_id(Tlp t) { return kKnown[static_cast<int>(t)].id; }

Tlp tlp_of(const nlohmann::json& object) {
    if (!object.is_object() || !object.contains("object_marking_refs") || !object["object_marking_refs"].is_array())
        return Tlp::kAmber;
    bool found = false;
    Tlp most = Tlp::kClear;
    for (const auto& ref : object["object_marking_refs"]) {
        if (!ref.is_string()) continue;
        for (const auto& k : kKnown)
            if (ref.get<std::string>() == k.id) {
                found = true;
                most = std::max(most, k.level);
            }
    }
    return found ? most : Tlp::kAmber;
}

bool tlp_allows(Tlp tlp, const Reader& reader, const std::string& publisher, const std::vector<std::string>& recipients) {
    if (reader.admin) return true;
    if (reader.org.empty()) return tlp == Tlp::kClear;
    const bool named = std::find(recipients.begin(), recipients.end(), reader.org) != recipients.end();
    switch (tlp) {
    case Tlp::kClear:
    case Tlp::kGreen: return true;
    case Tlp::kAmber: return named || reader.org == publisher;
    case Tlp::kAmberStrict:
    case Tlp::kRed: return named;
    }
    return false;
}

}  // namespace iotwatch

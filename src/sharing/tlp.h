// Traffic Light Protocol markings on STIX objects, and who may read what (FIRST TLP 2.0):
//   CLEAR          anyone with access to the hub;
//   GREEN          the community: every participating organisation;
//   AMBER          the organisations the object was shared with (its recipients) and the publisher;
//   AMBER+STRICT   named recipients only (the organisation itself, not its clients);
//   RED            named recipients only.
// Unmarked objects are treated as AMBER (fail closed). The hub operator (admin) reads everything.
// Both the TLP 2.0 marking definitions and STIX 2.1's predefined TLP 1.0 ones (WHITE = CLEAR) are
// recognised; the most restrictive marking on an object wins.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace iotwatch {

enum class Tlp { kClear = 0, kGreen = 1, kAmber = 2, kAmberStrict = 3, kRed = 4 };

/// "TLP:CLEAR", "TLP:GREEN", ...
const char* tlp_name(Tlp t);
/// The TLP 2.0 marking-definition id of a level.
const char* tlp_marking_id(Tlp t);
/// The most restrictive TLP in the object's object_marking_refs; kAmber when it has none.
Tlp tlp_of(const nlohmann::json& object);

/// Who asks: an organisation id, or the hub operator.
struct Reader {
    std::string org;     // "" for the operator
    bool admin = false;
};

/// Whether `reader` may read an object marked `tlp`, published by `publisher` (org id, "" for the
/// hub itself) and shared with `recipients` (org ids).
bool tlp_allows(Tlp tlp, const Reader& reader, const std::string& publisher, const std::vector<std::string>& recipients);

}  // namespace iotwatch

// CredentialList: the (user, password) pairs the survey may try, each with a stable id and the
// reason it is on the list (its source). Reports and the store name a credential only by its id:
// a password never leaves this class except to the probe that types it.
//
// File format (CSV, header required): `id,user,password,source` (id optional: `user,password,source`
// numbers them `<file-stem>-<line>`). The Mirai list format `index,username,password,weight` is also
// read. The built-in default is Mirai's public 2016 list (data/credentials/mirai-2016.csv, by
// Mirai's weight) followed by examples of each MIC 2018 No. 61 weak-password class (repeated
// character, consecutive characters, short, known-weak words) for the users root and admin.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace iotwatch {

struct Credential {
    std::string id;        // "mirai-4", "mic-repeated-2": what reports print
    std::string user;
    std::string password;  // never printed or stored
    std::string source;    // why it is on the list
    int weight = 0;        // higher first under CredentialOrder::kWeight
};

enum class CredentialOrder { kListed, kWeight };

class CredentialList {
public:
    static CredentialList builtin();
    /// Throws InputError naming the file, byte offset and field.
    static CredentialList load(const std::string& path);
    static CredentialList parse(const std::string& text, const std::string& name);

    /// Reorders (stable) and drops duplicate (user, password) pairs, keeping the first.
    void order(CredentialOrder how);
    const std::vector<Credential>& items() const { return items_; }
    size_t size() const { return items_.size(); }

private:
    std::vector<Credential> items_;
};

}  // namespace iotwatch

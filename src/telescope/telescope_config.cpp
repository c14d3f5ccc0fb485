#include "telescope/telescope_config.h"

#include <toml++/toml.h>

#include "core/error.h"

namespace iotwatch {

TelescopeConfig TelescopeConfig::load(const std::string& path) {
    toml::table tbl;
    try {
        tbl = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& src = e.source();
        throw ConfigError(path + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column) +
                          ": " + std::string(e.description()));
    }
    TelescopeConfig cfg;
    if (auto store = tbl["store"].as_table()) {
        if (auto db = (*store)["db"]) {
            auto v = db.value<std::string>();
            if (!v) throw ConfigError(path + ": store.db must be a string");
            cfg.db_path = *v;
        }
    }
    if (auto sensors = tbl["sensor"]) {
        auto arr = sensors.as_array();
        if (!arr) throw ConfigError(path + ": 'sensor' must be an array of tables ([[sensor]])");
        size_t i = 0;
        for (auto& node : *arr) {
            auto t = node.as_table();
            std::string where = path + ": sensor[" + std::to_string(i++) + "]";
            if (!t) throw ConfigError(where + " is not a table");
            SensorConfig s;
            auto name = (*t)["name"].value<std::string>();
            if (!name || name->empty()) throw ConfigError(where + ".name is missing or not a string");
            s.name = *name;
            auto prefixes = (*t)["prefixes"].as_array();
            if (!prefixes || prefixes->empty())
                throw ConfigError(where + " ('" + s.name + "').prefixes is missing or empty");
            for (auto& p : *prefixes) {
                auto text = p.value<std::string>();
                if (!text) throw ConfigError(where + ".prefixes holds a non-string value");
                std::string err;
                auto prefix = Prefix::parse(*text, &err);
                if (!prefix) throw ConfigError(where + ".prefixes: " + err);
                s.prefixes.push_back(*prefix);
            }
            for (const auto& other : cfg.sensors)
                if (other.name == s.name) throw ConfigError(where + ": duplicate sensor name '" + s.name + "'");
            cfg.sensors.push_back(std::move(s));
        }
    }
    return cfg;
}

void TelescopeConfig::add_darknet_prefix(const std::string& cidr) {
    std::string err;
    auto prefix = Prefix::parse(cidr, &err);
    if (!prefix) throw ConfigError("--darknet: " + err);
    for (auto& s : sensors)
        if (s.name == "default") {
            s.prefixes.push_back(*prefix);
            return;
        }
    sensors.push_back({"default", {*prefix}});
}

}  // namespace iotwatch

#include "telescope/telescope_config.h"

#include <toml++/toml.h>

#include <type_traits>

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
    if (auto detect = tbl["detect"]) {
        auto t = detect.as_table();
        if (!t) throw ConfigError(path + ": 'detect' must be a table ([detect])");
        auto integer = [&](const char* key, auto& out, int64_t min) {
            auto node = (*t)[key];
            if (!node) return;
            auto v = node.value_exact<int64_t>();
            if (!v || *v < min)
                throw ConfigError(path + ": detect." + key + " must be an integer >= " + std::to_string(min));
            out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
        };
        integer("scan_min_destinations", cfg.scan.min_destinations, 1);
        integer("scan_idle_timeout_s", cfg.scan.idle_timeout_s, 1);
        integer("dos_expiry_s", cfg.dos.expiry_s, 1);
        integer("dos_min_packets", cfg.dos.min_packets, 1);
        integer("dos_min_duration_s", cfg.dos.min_duration_s, 0);
        integer("dos_min_window_packets", cfg.dos.min_window_packets, 0);
        integer("dos_window_s", cfg.dos.window_s, 1);
        integer("dos_slide_s", cfg.dos.slide_s, 1);
        if (auto node = (*t)["scan_min_rate_pps"]) {
            auto v = node.value<double>();
            if (!v || *v < 0) throw ConfigError(path + ": detect.scan_min_rate_pps must be a number >= 0");
            cfg.scan.min_rate_pps = *v;
        }
        if (cfg.dos.window_s % cfg.dos.slide_s != 0)
            throw ConfigError(path + ": detect.dos_window_s must be a multiple of detect.dos_slide_s");
        for (auto& [k, v] : *t) {
            static const char* const kKnown[] = {"scan_min_destinations", "scan_min_rate_pps", "scan_idle_timeout_s",
                                                 "dos_expiry_s", "dos_min_packets", "dos_min_duration_s",
                                                 "dos_min_window_packets", "dos_window_s", "dos_slide_s"};
            bool known = false;
            for (const char* n : kKnown) known = known || k.str() == n;
            if (!known) throw ConfigError(path + ": unknown key detect." + std::string(k.str()));
        }
    }
    if (auto geo = tbl["geo"]) {
        auto t = geo.as_table();
        if (!t) throw ConfigError(path + ": 'geo' must be a table ([geo])");
        for (auto& [k, v] : *t) {
            std::string* out = k.str() == "city_db" ? &cfg.city_db : k.str() == "asn_db" ? &cfg.asn_db : nullptr;
            if (!out) throw ConfigError(path + ": unknown key geo." + std::string(k.str()) + " (city_db, asn_db)");
            auto text = v.value<std::string>();
            if (!text || text->empty()) throw ConfigError(path + ": geo." + std::string(k.str()) + " must be a file name");
            *out = *text;
        }
    }
    if (auto retention = tbl["retention"]) {
        auto t = retention.as_table();
        if (!t) throw ConfigError(path + ": 'retention' must be a table ([retention])");
        cfg.has_retention = true;
        struct Key {
            const char* name;
            int64_t* out;
        };
        const Key keys[] = {{"telescope_bins_days", &cfg.retention.telescope_bins_days},
                            {"source_days_days", &cfg.retention.source_days_days},
                            {"events_days", &cfg.retention.events_days},
                            {"alerts_days", &cfg.retention.alerts_days},
                            {"external_days", &cfg.retention.external_days},
                            {"access_log_days", &cfg.retention.access_log_days},
                            {"sites_days", &cfg.retention.sites_days},
                            {"flows_days", &cfg.retention.flows_days}};
        for (auto& [k, v] : *t) {
            const Key* key = nullptr;
            for (const auto& candidate : keys)
                if (k.str() == candidate.name) key = &candidate;
            if (!key) throw ConfigError(path + ": unknown key retention." + std::string(k.str()));
            auto days = v.value_exact<int64_t>();
            if (!days || *days < 0 || *days > 36500)
                throw ConfigError(path + ": retention." + std::string(k.str()) + " must be a number of days (0..36500)");
            *key->out = *days;
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
            if (auto token = (*t)["token_sha256"]) {
                auto text = token.value<std::string>();
                if (!text || text->size() != 64 || text->find_first_not_of("0123456789abcdef") != std::string::npos)
                    throw ConfigError(where + " ('" + s.name +
                                      "').token_sha256 must be 64 lower-case hex digits (sha256sum of the token)");
                cfg.sensor_tokens[s.name] = *text;
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

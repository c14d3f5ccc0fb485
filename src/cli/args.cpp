#include "cli/args.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>

#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace iotwatch::cli {

bool ArgParser::parse(int argc, char** argv) {
    for (int i = 0; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fputs(help().c_str(), stdout);
            return false;
        }
        if (a == "--") {
            for (++i; i < argc; ++i) positional_.push_back(argv[i]);
            break;
        }
        if (a.size() > 2 && a.rfind("--", 0) == 0) {
            std::string name = a.substr(2), value;
            bool inline_value = false;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                inline_value = true;
            }
            const Opt* opt = nullptr;
            for (const auto& o : opts_)
                if (o.name == name) opt = &o;
            if (!opt) throw ConfigError(command_ + ": unknown option --" + name + " (see --help)");
            if (opt->is_flag) {
                if (inline_value) throw ConfigError(command_ + ": --" + name + " takes no value");
                values_[name].push_back("1");
                continue;
            }
            if (!inline_value) {
                if (i + 1 >= argc) throw ConfigError(command_ + ": --" + name + " needs a value (" + opt->meta + ")");
                value = argv[++i];
            }
            if (!opt->repeatable && values_.count(name))
                throw ConfigError(command_ + ": --" + name + " given twice");
            values_[name].push_back(value);
            continue;
        }
        positional_.push_back(a);
    }
    return true;
}

std::string ArgParser::get(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second.back();
}

const std::vector<std::string>& ArgParser::all(const std::string& name) const {
    static const std::vector<std::string> kNone;
    auto it = values_.find(name);
    return it == values_.end() ? kNone : it->second;
}

long long ArgParser::get_int(const std::string& name, long long fallback) const {
    if (!has(name)) return fallback;
    std::string v = get(name);
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    // Accept 20M / 5k style suffixes: sizes and counts are typed by people.
    if (end && *end) {
        std::string suf(end);
        if (suf == "k" || suf == "K") n *= 1000;
        else if (suf == "M" || suf == "m") n *= 1000000;
        else if (suf == "G" || suf == "g") n *= 1000000000;
        else throw ConfigError(command_ + ": --" + name + " expects a number, got '" + v + "'");
    }
    if (v.empty()) throw ConfigError(command_ + ": --" + name + " expects a number");
    return n;
}

double ArgParser::get_double(const std::string& name, double fallback) const {
    if (!has(name)) return fallback;
    std::string v = get(name);
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || (end && *end)) throw ConfigError(command_ + ": --" + name + " expects a number, got '" + v + "'");
    return d;
}

std::string ArgParser::help() const {
    std::string out = "usage: iotwatch " + command_ + " " + synopsis_ + "\n\n" + description_ + "\n\noptions:\n";
    for (const auto& o : opts_) {
        std::string left = "  --" + o.name + (o.meta.empty() ? "" : " " + o.meta);
        if (left.size() < 28) left.resize(28, ' ');
        else left += "\n" + std::string(28, ' ');
        out += left + o.help + (o.repeatable ? " (repeatable)" : "") + "\n";
    }
    out += "  --help                    this text\n";
    return out;
}

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string operator_name(const ArgParser& args) {
    if (args.has("operator")) return args.get("operator");
    if (const passwd* pw = getpwuid(geteuid())) return pw->pw_name;
    return "uid " + std::to_string(geteuid());
}

}  // namespace iotwatch::cli

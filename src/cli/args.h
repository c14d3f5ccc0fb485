// ArgParser: the small command-line parser every subcommand uses. Options are declared with their
// help text so `--help` is generated from the same table that parses (no drift between the two).
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace iotwatch::cli {

class ArgParser {
public:
    ArgParser(std::string command, std::string synopsis, std::string description)
        : command_(std::move(command)), synopsis_(std::move(synopsis)), description_(std::move(description)) {}

    /// A flag without value (--json).
    void flag(const std::string& name, const std::string& help) { opts_.push_back({name, "", help, false, true}); }
    /// An option with a value (--db FILE); repeatable options collect every value.
    void option(const std::string& name, const std::string& meta, const std::string& help, bool repeatable = false) {
        opts_.push_back({name, meta, help, repeatable, false});
    }
    /// Parses argv; throws ConfigError on unknown options or missing values. Returns false when
    /// --help was given (help already printed).
    bool parse(int argc, char** argv);

    bool has(const std::string& name) const { return values_.count(name) > 0; }
    std::string get(const std::string& name, const std::string& fallback = "") const;
    const std::vector<std::string>& all(const std::string& name) const;
    long long get_int(const std::string& name, long long fallback) const;
    double get_double(const std::string& name, double fallback) const;
    const std::vector<std::string>& positional() const { return positional_; }
    std::string help() const;

private:
    struct Opt {
        std::string name, meta, help;
        bool repeatable, is_flag;
    };
    std::string command_, synopsis_, description_;
    std::vector<Opt> opts_;
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positional_;
};

/// Wall-clock UTC time in ns (access-log timestamps, campaign records).
int64_t now_ns();
/// Who is running the command, for the access log: --operator, else the login name, else the uid.
std::string operator_name(const ArgParser& args);

}  // namespace iotwatch::cli

// `iotwatch train` and `iotwatch classify`: the SVM DDoS-backscatter classifier (Furutani et al.)
// trained on labelled captures, and evaluated side by side with the rule-based backscatter detector.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>

#include "capture/packet_source.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/json_writer.h"
#include "detect/backscatter_detector.h"
#include "detect/ddos_features.h"
#include "detect/svm_classifier.h"
#include "telescope/telescope_config.h"

namespace iotwatch::cli {
namespace {

/// One address per line ('#' comments): the sources that are DDoS victims (backscatter senders).
std::set<IpAddress> read_labels(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw ConfigError(path + ": cannot read the labels file");
    std::set<IpAddress> out;
    std::string line;
    int n = 0;
    while (std::getline(f, line)) {
        ++n;
        if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
        if (line.empty()) continue;
        auto a = IpAddress::parse(line);
        if (!a) throw ConfigError(path + ":" + std::to_string(n) + ": not an address: '" + line + "'");
        out.insert(*a);
    }
    return out;
}

struct Dataset {
    std::vector<SourceWindow> windows;
    std::set<IpAddress> rule_victims;  // what the backscatter detector reports
};

/// Reads the captures once: feature vectors per (source, window) and the rule-based verdicts.
Dataset read_dataset(const std::vector<std::string>& captures, const Darknet& darknet, int64_t window_s) {
    Dataset d;
    DdosFeatureExtractor fx(window_s);
    BackscatterDetector rules(darknet);
    std::vector<DosAttack> attacks;
    auto keep = [&](const SourceWindow& w) { d.windows.push_back(w); };
    RawPacket raw;
    DecodedPacket p;
    for (const auto& path : captures) {
        auto src = open_capture_file(path);
        while (src->next(raw)) {
            decode_packet(raw.linktype, raw.data, raw.caplen, raw.wirelen, raw.ts_ns, p);
            if (p.status != DecodeStatus::kOk && p.status != DecodeStatus::kTruncatedL4) continue;
            auto m = darknet.lookup(p.dst);
            if (!m) continue;
            fx.add(p, keep);
            rules.observe(p, m->dense_index, attacks);
        }
    }
    fx.finish(keep);
    rules.finish(attacks);
    for (const auto& a : attacks) d.rule_victims.insert(a.victim);
    return d;
}

/// --window, checked here so that the error names the option.
int64_t window_from(const ArgParser& args) {
    const long long w = args.get_int("window", 600);
    if (!DdosFeatureExtractor::window_in_range(w))
        throw ConfigError("--window: must be 1 to " + std::to_string(DdosFeatureExtractor::kMaxWindowSeconds) +
                          " seconds, not " + std::to_string(w));
    return w;
}

Darknet darknet_from(const ArgParser& args) {
    TelescopeConfig cfg;
    if (args.has("config")) cfg = TelescopeConfig::load(args.get("config"));
    for (const auto& d : args.all("darknet")) cfg.add_darknet_prefix(d);
    if (cfg.sensors.empty()) throw ConfigError("no darknet: give --darknet CIDR or --config");
    return Darknet(cfg.sensors);
}

void common_options(ArgParser& args) {
    args.option("darknet", "CIDR", "monitored darknet prefix", true);
    args.option("config", "FILE", "TOML configuration with [[sensor]] prefixes");
    args.option("labels", "FILE", "addresses of DDoS victims (one per line): the positive class");
    args.option("model", "FILE", "SVM model (libsvm format; feature scaling in FILE.scale)");
    args.option("window", "SECONDS", "feature window per source (default 600)");
}

}  // namespace

int cmd_train(int argc, char** argv) {
    ArgParser args("train", "--labels FILE --model OUT [--darknet CIDR]... CAPTURE...",
                   "Trains the SVM DDoS-backscatter classifier (Furutani et al., 17 per-source features, RBF\n"
                   "kernel, log + min-max scaling) on labelled captures: a (source, window) is positive when\n"
                   "the source is listed in --labels.");
    common_options(args);
    args.option("c", "C", "SVM cost (default 10)");
    args.option("gamma", "G", "RBF gamma (default 0.5)");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.has("labels") || !args.has("model") || args.positional().empty())
        throw ConfigError("train needs --labels FILE, --model OUT and at least one CAPTURE");
    const Darknet darknet = darknet_from(args);
    const auto labels = read_labels(args.get("labels"));
    Dataset d = read_dataset(args.positional(), darknet, window_from(args));
    std::vector<DdosFeatureVector> x;
    std::vector<bool> y;
    for (const auto& w : d.windows) {
        x.push_back(w.features);
        y.push_back(labels.count(w.src) > 0);
    }
    SvmClassifier svm;
    svm.train(x, y, args.get_double("c", 10.0), args.get_double("gamma", 0.5));
    svm.save(args.get("model"));
    size_t pos = 0;
    for (bool b : y) pos += b;
    std::printf("trained on %zu (source, window) vectors, %zu DDoS; model written to %s (+ .scale)\n", y.size(), pos,
                args.get("model").c_str());
    return kExitOk;
}

int cmd_classify(int argc, char** argv) {
    ArgParser args("classify", "--model FILE [--labels FILE] [--darknet CIDR]... CAPTURE...",
                   "Classifies every (source, window) of the captures with the SVM model. With --labels it\n"
                   "prints precision, recall and F1 of the SVM and of the rule-based backscatter detector\n"
                   "(Moore et al.) on the same data, side by side; otherwise the DDoS sources found.");
    common_options(args);
    args.flag("json", "one JSON object");
    if (!args.parse(argc, argv)) return kExitOk;
    if (!args.has("model") || args.positional().empty()) throw ConfigError("classify needs --model FILE and CAPTURE...");
    const Darknet darknet = darknet_from(args);
    SvmClassifier svm;
    svm.load(args.get("model"));
    Dataset d = read_dataset(args.positional(), darknet, window_from(args));
    const bool labelled = args.has("labels");
    const auto labels = labelled ? read_labels(args.get("labels")) : std::set<IpAddress>{};
    Scores svm_scores, rule_scores;
    std::set<IpAddress> svm_victims;
    for (const auto& w : d.windows) {
        const bool pred = svm.predict(w.features);
        if (pred) svm_victims.insert(w.src);
        if (labelled) {
            const bool actual = labels.count(w.src) > 0;
            svm_scores.add(pred, actual);
            rule_scores.add(d.rule_victims.count(w.src) > 0, actual);
        }
    }
    if (args.has("json")) {
        JsonWriter j(std::cout);
        j.begin_object();
        j.key("windows").value(uint64_t(d.windows.size()));
        j.key("svm_sources").value(uint64_t(svm_victims.size()));
        if (labelled) {
            for (auto [name, s] : {std::pair<const char*, const Scores*>{"svm", &svm_scores}, {"rules", &rule_scores}}) {
                j.key(name).begin_object();
                j.key("precision").value(s->precision());
                j.key("recall").value(s->recall());
                j.key("f1").value(s->f1());
                j.key("tp").value(s->tp).key("fp").value(s->fp).key("fn").value(s->fn).key("tn").value(s->tn);
                j.end_object();
            }
        }
        j.end_object();
        std::cout << "\n";
        return kExitOk;
    }
    std::printf("%zu (source, window) vectors; the SVM flags %zu sources as DDoS victims\n", d.windows.size(),
                svm_victims.size());
    if (labelled) {
        std::printf("\n  %-28s %9s %9s %9s %7s %7s %7s\n", "classifier", "precision", "recall", "F1", "tp", "fp", "fn");
        for (auto [name, s] : {std::pair<const char*, const Scores*>{"SVM (Furutani features)", &svm_scores},
                               {"rules (Moore backscatter)", &rule_scores}})
            std::printf("  %-28s %9.3f %9.3f %9.3f %7llu %7llu %7llu\n", name, s->precision(), s->recall(), s->f1(),
                        (unsigned long long)s->tp, (unsigned long long)s->fp, (unsigned long long)s->fn);
    } else {
        for (const auto& v : svm_victims) std::printf("%s\n", v.to_string().c_str());
    }
    return kExitOk;
}

}  // namespace iotwatch::cli

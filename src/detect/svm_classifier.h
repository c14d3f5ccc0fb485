// SvmClassifier: libsvm C-SVC (RBF kernel) over min-max scaled DdosFeatures, as in Furutani et al.
// Model files: libsvm's own format at PATH, the feature scaling at PATH.scale (17 lines "min max").
#pragma once
#include <string>
#include <vector>

#include "detect/ddos_features.h"

struct svm_model;
struct svm_node;

namespace iotwatch {

/// Precision, recall, F1 of predictions against labels (positive = DDoS backscatter).
struct Scores {
    uint64_t tp = 0, fp = 0, fn = 0, tn = 0;
    double precision() const { return tp + fp ? double(tp) / double(tp + fp) : 0; }
    double recall() const { return tp + fn ? double(tp) / double(tp + fn) : 0; }
    double f1() const {
        const double p = precision(), r = recall();
        return p + r > 0 ? 2 * p * r / (p + r) : 0;
    }
    void add(bool predicted, bool actual) {
        tp += predicted && actual;
        fp += predicted && !actual;
        fn += !predicted && actual;
        tn += !predicted && !actual;
    }
};

class SvmClassifier {
public:
    SvmClassifier();
    ~SvmClassifier();
    SvmClassifier(const SvmClassifier&) = delete;
    SvmClassifier& operator=(const SvmClassifier&) = delete;

    /// Trains on labelled vectors (label true = DDoS). Throws ConfigError when a class is empty.
    void train(const std::vector<DdosFeatureVector>& x, const std::vector<bool>& y, double c = 10.0, double gamma = 0.5);
    bool predict(const DdosFeatureVector& x) const;
    /// The decision value (positive: DDoS); its magnitude is the distance from the boundary.
    double decision_value(const DdosFeatureVector& x) const;
    /// Throws StoreError / InputError naming the file on failure.
    void save(const std::string& path) const;
    void load(const std::string& path);

private:
    std::vector<double> scaled(const DdosFeatureVector& x) const;
    svm_model* model_ = nullptr;
    std::vector<double> min_, max_;
    std::vector<::svm_node> support_nodes_;  // storage the trained model points into
};

}  // namespace iotwatch

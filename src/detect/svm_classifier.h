// SvmClassifier: libsvm C-SVC (RBF kernel) over min-max scaled DdosFeatures, as in Furutani et al.
// Model files: libsvm's own format at PATH, the feature scaling at PATH.scale (17 lines "min max").
#pragma once
#include <array>
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
    /// Whether the model says DDoS: what libsvm's svm_predict() answers (predict_libsvm(), for
    /// tests), from the same dense computation as decision_value().
    bool predict(const DdosFeatureVector& x) const;
    bool predict_libsvm(const DdosFeatureVector& x) const;
    /// The decision value (positive: DDoS); its magnitude is the distance from the boundary.
    /// Computed from a dense copy of the model (see DenseRbf), bit for bit what libsvm's
    /// svm_predict_values() gives; decision_value_libsvm() is libsvm's own call, for tests.
    double decision_value(const DdosFeatureVector& x) const;
    double decision_value_libsvm(const DdosFeatureVector& x) const;
    /// decision_value(x), bit for bit, when it is > 0 (DDoS); false (and `value` untouched) when
    /// it is not. Why: the pipeline keeps only the positive values (46 of the 733 k windows of
    /// the 20 M-packet benchmark), and each value costs an exp() per support vector. The
    /// kernel terms of the DDoS side (positive oriented coefficient) come first; after them the
    /// partial sum bounds the value from above, each further term only lowers it, and once it
    /// lies below a margin larger than the rounding of either sum (DenseRbf::margin) the value
    /// is known not to be > 0 and the remaining terms are not computed.
    bool positive_decision_value(const DdosFeatureVector& x, double& value) const;
    /// Throws StoreError / InputError naming the file on failure.
    void save(const std::string& path) const;
    void load(const std::string& path);

private:
    using Scaled = std::array<double, kDdosFeatureCount>;
    Scaled scaled(const DdosFeatureVector& x) const;
    /// libsvm's index:value nodes of `s` (features 1..17, then the -1 end marker) into `nodes`
    /// (kDdosFeatureCount + 1 of them).
    static void to_nodes(const Scaled& s, ::svm_node* nodes);
    /// The model as flat arrays, for a two-class RBF C-SVC over the 17 features (what train()
    /// makes). Why: the pipeline classifies every (source, window) of the day (733 k on the
    /// 20 M-packet benchmark) on the detector thread, and libsvm's svm_predict_values() allocates
    /// two arrays per call and walks linked index:value nodes per support vector. The same sums
    /// in the same order (feature 1 to 17 per support vector, support vectors in model order) on
    /// contiguous doubles give the same bits. Other models (loaded from elsewhere) go to libsvm.
    struct DenseRbf {
        bool usable = false;
        double gamma = 0, rho = 0, sign = 1;
        std::vector<double> sv;    // support vector k's features at [k * 17, k * 17 + 17)
        std::vector<double> coef;  // support vector k's coefficient
        // positive_decision_value(): the support vectors whose sign * coef > 0 first, then the
        // others (each in model order); how many are of the DDoS side; the margin.
        std::vector<uint32_t> order;
        size_t ddos_side = 0;
        double margin = 0;
    };
    void build_dense();
    /// svm_predict_values()'s value (positive toward the model's first label) from dense_.
    double dense_value(const Scaled& s) const;
    /// The oriented value (positive: DDoS; decision_value()'s bits), or -infinity once a bound
    /// shows it is not > 0 (positive_decision_value()).
    double dense_value_unless_not_positive(const Scaled& s) const;
    /// shape() of the integers 0..kShapeTable-1 (counts, and the many zero means and sds), as
    /// std::log1p gives them: the same bits without the call.
    static constexpr size_t kShapeTable = 256;
    double shape(double v) const;
    svm_model* model_ = nullptr;
    DenseRbf dense_;
    std::array<double, kShapeTable> shape_table_{};
    std::vector<double> min_, max_;
    std::vector<::svm_node> support_nodes_;  // storage the trained model points into
};

}  // namespace iotwatch

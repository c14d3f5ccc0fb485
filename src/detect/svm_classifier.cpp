#include "detect/svm_classifier.h"

#include <svm.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "core/error.h"

namespace iotwatch {
namespace {
// Counts and times are heavy-tailed: log1p before min-max scaling keeps the RBF kernel meaningful.
double shape_of(double v) { return std::log1p(std::max(0.0, v)); }
void quiet(const char*) {}
}  // namespace

SvmClassifier::SvmClassifier() {
    for (size_t i = 0; i < kShapeTable; ++i) shape_table_[i] = shape_of(double(i));
}

double SvmClassifier::shape(double v) const {
    if (v >= 0 && v < double(kShapeTable)) {
        const auto i = static_cast<size_t>(v);
        if (double(i) == v) return shape_table_[i];
    }
    return shape_of(v);
}

SvmClassifier::~SvmClassifier() {
    if (model_) svm_free_and_destroy_model(&model_);
}

void SvmClassifier::to_nodes(const Scaled& s, svm_node* nodes) {
    for (size_t i = 0; i < kDdosFeatureCount; ++i) nodes[i] = svm_node{int(i + 1), s[i]};
    nodes[kDdosFeatureCount] = svm_node{-1, 0};
}

SvmClassifier::Scaled SvmClassifier::scaled(const DdosFeatureVector& x) const {
    Scaled out;
    for (size_t i = 0; i < kDdosFeatureCount; ++i) {
        const double span = max_[i] - min_[i];
        out[i] = span > 0 ? (shape(x[i]) - min_[i]) / span : 0;
    }
    return out;
}

void SvmClassifier::train(const std::vector<DdosFeatureVector>& x, const std::vector<bool>& y, double c, double gamma) {
    size_t pos = 0;
    for (bool b : y) pos += b;
    if (x.empty() || pos == 0 || pos == y.size())
        throw ConfigError("training needs both DDoS and other sources (got " + std::to_string(pos) + " DDoS of " +
                          std::to_string(y.size()) + ")");
    min_.assign(kDdosFeatureCount, INFINITY);
    max_.assign(kDdosFeatureCount, -INFINITY);
    for (const auto& v : x)
        for (size_t i = 0; i < kDdosFeatureCount; ++i) {
            min_[i] = std::min(min_[i], shape(v[i]));
            max_[i] = std::max(max_[i], shape(v[i]));
        }
    support_nodes_.assign(x.size() * (kDdosFeatureCount + 1), svm_node{-1, 0});
    std::vector<svm_node*> rows(x.size());
    std::vector<double> labels(x.size());
    for (size_t r = 0; r < x.size(); ++r) {
        svm_node* row = &support_nodes_[r * (kDdosFeatureCount + 1)];
        to_nodes(scaled(x[r]), row);
        rows[r] = row;
        labels[r] = y[r] ? 1 : -1;
    }
    svm_problem prob{};
    prob.l = int(x.size());
    prob.y = labels.data();
    prob.x = rows.data();
    svm_parameter param{};
    param.svm_type = C_SVC;
    param.kernel_type = RBF;
    param.gamma = gamma;
    param.C = c;
    param.cache_size = 100;
    param.eps = 1e-3;
    param.shrinking = 1;
    if (const char* err = svm_check_parameter(&prob, &param)) throw ConfigError(std::string("libsvm: ") + err);
    svm_set_print_string_function(quiet);
    if (model_) svm_free_and_destroy_model(&model_);
    model_ = svm_train(&prob, &param);  // its support vectors point into support_nodes_
    build_dense();
}

void SvmClassifier::build_dense() {
    dense_ = DenseRbf{};
    if (!model_ || model_->param.svm_type != C_SVC || model_->param.kernel_type != RBF || model_->nr_class != 2 ||
        model_->l <= 0)
        return;
    const size_t l = size_t(model_->l);
    dense_.sv.assign(l * kDdosFeatureCount, 0.0);
    for (size_t k = 0; k < l; ++k) {
        int last = 0;
        for (const svm_node* n = model_->SV[k]; n->index != -1; ++n) {
            // Indexes 1..17, ascending (libsvm's merge in k_function needs that order too); a
            // missing one is 0 (libsvm adds x^2 for it, as (x - 0)^2 here).
            if (n->index <= last || n->index > int(kDdosFeatureCount)) return;
            dense_.sv[k * kDdosFeatureCount + size_t(n->index - 1)] = n->value;
            last = n->index;
        }
    }
    dense_.coef.assign(model_->sv_coef[0], model_->sv_coef[0] + l);
    dense_.gamma = model_->param.gamma;
    dense_.rho = model_->rho[0];
    // libsvm's value is positive toward its first label; orient it so positive means DDoS (> 0).
    int labels[2] = {0, 0};
    svm_get_labels(model_, labels);
    dense_.sign = labels[0] > 0 ? 1 : -1;
    double magnitude = std::abs(dense_.rho);
    for (size_t k = 0; k < l; ++k) {
        magnitude += std::abs(dense_.coef[k]);
        if (dense_.sign * dense_.coef[k] > 0) dense_.order.push_back(uint32_t(k));
    }
    dense_.ddos_side = dense_.order.size();
    for (size_t k = 0; k < l; ++k)
        if (!(dense_.sign * dense_.coef[k] > 0)) dense_.order.push_back(uint32_t(k));
    // Each of the two sums (the value's and the bound's) of at most l + 1 terms, none larger
    // than `magnitude`, is off its exact value by less than (l + 1) * epsilon * magnitude: the
    // margin is twice what the two can add up to. (The kernel terms are the same bits in both.)
    dense_.margin = 4 * double(l + 2) * std::numeric_limits<double>::epsilon() * magnitude;
    dense_.usable = true;
}

bool SvmClassifier::predict(const DdosFeatureVector& x) const {
    if (!dense_.usable) return predict_libsvm(x);
    // svm_predict() for two classes answers its first label when the value is > 0, else the
    // second: so with DDoS (+1) second, a value of exactly 0 is DDoS.
    const double value = dense_value(scaled(x));
    return dense_.sign > 0 ? value > 0 : !(value > 0);
}

bool SvmClassifier::predict_libsvm(const DdosFeatureVector& x) const {
    if (!model_) throw ConfigError("no SVM model loaded");
    svm_node nodes[kDdosFeatureCount + 1];
    to_nodes(scaled(x), nodes);
    return svm_predict(model_, nodes) > 0;
}

double SvmClassifier::decision_value(const DdosFeatureVector& x) const {
    if (!dense_.usable) return decision_value_libsvm(x);
    return dense_.sign * dense_value(scaled(x));
}

double SvmClassifier::dense_value(const Scaled& s) const {
    // svm_predict_values() for two classes: sum over the support vectors of coef * K(x, sv),
    // minus rho, with K = exp(-gamma * |x - sv|^2) as libsvm's k_function() sums it.
    const size_t l = dense_.coef.size();
    double sum = 0;
    for (size_t k = 0; k < l; ++k) {
        const double* v = &dense_.sv[k * kDdosFeatureCount];
        double d2 = 0;
        for (size_t i = 0; i < kDdosFeatureCount; ++i) {
            const double d = s[i] - v[i];
            d2 += d * d;
        }
        sum += dense_.coef[k] * std::exp(-dense_.gamma * d2);
    }
    return sum - dense_.rho;
}

bool SvmClassifier::positive_decision_value(const DdosFeatureVector& x, double& value) const {
    const double v = dense_.usable ? dense_value_unless_not_positive(scaled(x)) : decision_value_libsvm(x);
    if (!(v > 0)) return false;
    value = v;
    return true;
}

double SvmClassifier::dense_value_unless_not_positive(const Scaled& s) const {
    // The oriented value is sign * (sum_k coef_k K_k - rho) with every K_k in (0, 1]: the terms
    // of the DDoS side first, then the others, each of which can only lower the partial sum, so
    // from then on it bounds the value from above and the first time it lies below the margin
    // settles it. Each kernel term is kept, and the value is their sum in model order: the same
    // bits as dense_value().
    const size_t l = dense_.coef.size();
    std::array<double, 64> small;
    std::vector<double> large;
    double* term = small.data();
    if (l > small.size()) {
        large.resize(l);
        term = large.data();
    }
    double bound = -dense_.sign * dense_.rho;
    for (size_t j = 0; j < l; ++j) {
        // (A NaN bound goes on to the exact value.)
        if (j >= dense_.ddos_side && bound < -dense_.margin) return -INFINITY;
        const uint32_t k = dense_.order[j];
        const double* v = &dense_.sv[size_t(k) * kDdosFeatureCount];
        double d2 = 0;
        for (size_t i = 0; i < kDdosFeatureCount; ++i) {
            const double d = s[i] - v[i];
            d2 += d * d;
        }
        term[k] = dense_.coef[k] * std::exp(-dense_.gamma * d2);
        bound += dense_.sign * term[k];
    }
    if (bound < -dense_.margin) return -INFINITY;
    double sum = 0;
    for (size_t k = 0; k < l; ++k) sum += term[k];
    return dense_.sign * (sum - dense_.rho);
}

double SvmClassifier::decision_value_libsvm(const DdosFeatureVector& x) const {
    if (!model_) throw ConfigError("no SVM model loaded");
    svm_node nodes[kDdosFeatureCount + 1];
    to_nodes(scaled(x), nodes);
    double value = 0;
    svm_predict_values(model_, nodes, &value);
    // libsvm's value is positive toward its first label; orient it so positive means DDoS (> 0).
    int labels[2] = {0, 0};
    svm_get_labels(model_, labels);
    return labels[0] > 0 ? value : -value;
}

void SvmClassifier::save(const std::string& path) const {
    if (!model_ || svm_save_model(path.c_str(), model_) != 0) throw StoreError(path + ": cannot write the SVM model");
    std::ofstream f(path + ".scale");
    f.precision(17);
    for (size_t i = 0; i < kDdosFeatureCount; ++i) f << min_[i] << " " << max_[i] << "\n";
    if (!f) throw StoreError(path + ".scale: cannot write the feature scaling");
}

void SvmClassifier::load(const std::string& path) {
    std::ifstream f(path + ".scale");
    if (!f) throw InputError(path + ".scale", UINT64_MAX, "cannot read the feature scaling written beside the model");
    min_.assign(kDdosFeatureCount, 0);
    max_.assign(kDdosFeatureCount, 0);
    for (size_t i = 0; i < kDdosFeatureCount; ++i)
        if (!(f >> min_[i] >> max_[i]))
            throw InputError(path + ".scale", UINT64_MAX, "line " + std::to_string(i + 1) + ": expected 'min max'");
    svm_model* m = svm_load_model(path.c_str());
    if (!m) throw InputError(path, UINT64_MAX, "not a libsvm model");
    if (model_) svm_free_and_destroy_model(&model_);
    model_ = m;
    build_dense();
}

}  // namespace iotwatch

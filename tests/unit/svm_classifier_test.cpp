#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "detect/svm_classifier.h"

using namespace iotwatch;

namespace {

// Two overlapping clouds of feature vectors with heavy-tailed values, as the 17 features are:
// the SVM cannot separate them cleanly, so the model keeps many support vectors.
void make_data(std::mt19937_64& rng, size_t n, std::vector<DdosFeatureVector>& x, std::vector<bool>& y) {
    std::lognormal_distribution<double> wide(2.0, 2.0);
    std::uniform_real_distribution<double> unit(0, 1);
    for (size_t r = 0; r < n; ++r) {
        const bool ddos = unit(rng) < 0.3;
        DdosFeatureVector v{};
        for (size_t i = 0; i < kDdosFeatureCount; ++i) v[i] = wide(rng) * (ddos && i % 3 == 0 ? 4.0 : 1.0);
        if (r % 7 == 0) v[4] = 0;  // some features are 0 (stored as 0 in the model's nodes)
        x.push_back(v);
        y.push_back(ddos);
    }
}

}  // namespace

// decision_value() computes the RBF decision function on a flat copy of the model; libsvm's
// svm_predict_values() is the reference, and the two must agree to the bit (same sums, same
// order), before and after a save/load round trip (the saved model rounds its values).
TEST(SvmClassifier, DenseDecisionValueEqualsLibsvm) {
    std::mt19937_64 rng(42);
    std::vector<DdosFeatureVector> x;
    std::vector<bool> y;
    make_data(rng, 400, x, y);
    SvmClassifier svm;
    svm.train(x, y);
    std::vector<DdosFeatureVector> probe;
    std::vector<bool> unused;
    make_data(rng, 2000, probe, unused);
    probe.insert(probe.end(), x.begin(), x.end());
    probe.push_back(DdosFeatureVector{});  // all zero: below every training minimum
    DdosFeatureVector huge{};
    huge.fill(1e300);
    probe.push_back(huge);  // far outside the training range
    size_t positive = 0, negative = 0;
    for (const auto& v : probe) {
        const double lib = svm.decision_value_libsvm(v);
        ASSERT_EQ(svm.decision_value(v), lib);
        (lib > 0 ? positive : negative)++;
        EXPECT_EQ(svm.predict(v), svm.predict_libsvm(v));
        EXPECT_EQ(svm.predict(v), lib > 0);
    }
    // Both sides of the boundary were exercised.
    EXPECT_GT(positive, 50u);
    EXPECT_GT(negative, 50u);

    const std::string path = ::testing::TempDir() + "svm_dense_test.model";
    svm.save(path);
    SvmClassifier loaded;
    loaded.load(path);
    for (const auto& v : probe) {
        ASSERT_EQ(loaded.decision_value(v), loaded.decision_value_libsvm(v));
        ASSERT_EQ(loaded.predict(v), loaded.predict_libsvm(v));
    }
    std::remove(path.c_str());
    std::remove((path + ".scale").c_str());
}

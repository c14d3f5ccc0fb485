#include <gtest/gtest.h>
#include <svm.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "detect/svm_classifier.h"

using namespace iotwatch;

namespace {

// Two overlapping clouds of feature vectors with heavy-tailed values, as the 17 features are:
// the SVM cannot separate them cleanly, so the model keeps many support vectors.
void make_data(std::mt19937_64& rng, size_t n, std::vector<DdosFeatureVector>& x, std::vector<bool>& y,
               double ddos_fraction = 0.3) {
    std::lognormal_distribution<double> wide(2.0, 2.0);
    std::uniform_real_distribution<double> unit(0, 1);
    for (size_t r = 0; r < n; ++r) {
        const bool ddos = unit(rng) < ddos_fraction;
        DdosFeatureVector v{};
        for (size_t i = 0; i < kDdosFeatureCount; ++i) v[i] = wide(rng) * (ddos && i % 3 == 0 ? 4.0 : 1.0);
        if (r % 7 == 0) v[4] = 0;  // some features are 0 (stored as 0 in the model's nodes)
        x.push_back(v);
        y.push_back(ddos);
    }
}

/// Trains `svm` on 400 vectors of make_data (kept in `x`) and draws 2000 more to probe it with.
void train_and_probe(std::mt19937_64& rng, SvmClassifier& svm, std::vector<DdosFeatureVector>& x,
                     std::vector<DdosFeatureVector>& probe) {
    std::vector<bool> y, unused;
    make_data(rng, 400, x, y);
    svm.train(x, y);
    make_data(rng, 2000, probe, unused);
}

}  // namespace

// decision_value() computes the RBF decision function on a flat copy of the model; libsvm's
// svm_predict_values() is the reference, and the two must agree to the bit (same sums, same
// order), before and after a save/load round trip (the saved model rounds its values).
TEST(SvmClassifier, DenseDecisionValueEqualsLibsvm) {
    std::mt19937_64 rng(42);
    SvmClassifier svm;
    std::vector<DdosFeatureVector> x, probe;
    train_and_probe(rng, svm, x, probe);
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

// The features reach the kernel as log1p(max(0, v)), min-max scaled by the .scale file. Counts are
// whole numbers, and the classifier looks the small ones up in a table (SvmClassifier::shape):
// computed here from the files alone, with std::log1p and libsvm's own model, the value must be
// the same bits, for whole numbers on both sides of the table's end, zeros and fractions.
TEST(SvmClassifier, DecisionValueIsLibsvmsOnTheLogScaledFeaturesOfTheFiles) {
    std::mt19937_64 rng(11);
    std::vector<DdosFeatureVector> x;
    std::vector<bool> y;
    make_data(rng, 300, x, y);
    SvmClassifier svm;
    svm.train(x, y);
    const std::string path = ::testing::TempDir() + "svm_shape_test.model";
    svm.save(path);
    svm_model* model = svm_load_model(path.c_str());
    ASSERT_NE(model, nullptr);
    std::vector<std::pair<double, double>> scale(kDdosFeatureCount);
    {
        std::ifstream f(path + ".scale");
        for (auto& [lo, hi] : scale) ASSERT_TRUE(f >> lo >> hi);
    }
    int labels[2] = {0, 0};
    svm_get_labels(model, labels);
    SvmClassifier loaded;
    loaded.load(path);
    std::uniform_int_distribution<int> whole(0, 600);
    std::lognormal_distribution<double> wide(2.0, 2.0);
    size_t checked = 0;
    for (int r = 0; r < 3000; ++r) {
        DdosFeatureVector v{};
        for (size_t i = 0; i < kDdosFeatureCount; ++i) {
            const int kind = int(rng() % 4);
            v[i] = kind == 0 ? 0.0 : kind == 1 ? double(whole(rng)) : kind == 2 ? double(r % 300) : wide(rng);
        }
        svm_node nodes[kDdosFeatureCount + 1];
        for (size_t i = 0; i < kDdosFeatureCount; ++i) {
            const double span = scale[i].second - scale[i].first;
            const double shaped = std::log1p(std::max(0.0, v[i]));
            nodes[i] = svm_node{int(i + 1), span > 0 ? (shaped - scale[i].first) / span : 0};
        }
        nodes[kDdosFeatureCount] = svm_node{-1, 0};
        double value = 0;
        svm_predict_values(model, nodes, &value);
        ASSERT_EQ(loaded.decision_value(v), labels[0] > 0 ? value : -value) << "vector " << r;
        ++checked;
    }
    EXPECT_EQ(checked, 3000u);
    svm_free_and_destroy_model(&model);
    std::remove(path.c_str());
    std::remove((path + ".scale").c_str());
}

// positive_decision_value() settles most windows from an upper bound (the DDoS-side support
// vectors only). Whatever the bound decides, the answer must be decision_value()'s: true with the
// same bits when that is > 0, false otherwise. Checked on a trained model (random vectors, and
// vectors bisected toward the boundary between the two sides), and on a written one where the
// bound is within rounding of the value: one DDoS support vector, one other far away, and a value
// below 0 far from both (as in real models; else the bound never settles one). Vectors bisected
// toward its boundary until their value is in (0, 1e-14) must not be skipped.
TEST(SvmClassifier, PositiveDecisionValueAgreesWithTheFullSumEvenAtTheBoundary) {
    auto agree = [](const SvmClassifier& svm, const DdosFeatureVector& v) {
        const double full = svm.decision_value(v);
        double value = -1;
        const bool positive = svm.positive_decision_value(v, value);
        EXPECT_EQ(positive, full > 0);
        if (positive) {
            EXPECT_EQ(value, full);
        }
        return full;
    };
    // Bisects from `in` (value > 0) toward `out` (value <= 0) until the value is in (0, limit).
    auto bisect = [&](const SvmClassifier& svm, DdosFeatureVector in, DdosFeatureVector out, double limit) {
        for (int step = 0; step < 300; ++step) {
            DdosFeatureVector mid;
            for (size_t i = 0; i < kDdosFeatureCount; ++i) mid[i] = (in[i] + out[i]) / 2;
            const double v = agree(svm, mid);
            if (v > 0 && v < limit) return true;
            (v > 0 ? in : out) = mid;
        }
        return false;
    };

    std::mt19937_64 rng(5);
    SvmClassifier trained;
    std::vector<DdosFeatureVector> x, probe;
    train_and_probe(rng, trained, x, probe);
    size_t positive = 0, near = 0;
    for (const auto& v : probe) positive += agree(trained, v) > 0;
    EXPECT_GT(positive, 50u);
    EXPECT_LT(positive, probe.size() - 50);
    for (size_t a = 0; a + 1 < probe.size() && near < 40; a += 2) {
        const bool pa = trained.decision_value(probe[a]) > 0, pb = trained.decision_value(probe[a + 1]) > 0;
        if (pa != pb) near += bisect(trained, probe[pa ? a : a + 1], probe[pa ? a + 1 : a], 1e-13);
    }
    EXPECT_GE(near, 20u);

    // The written model: scaled features are log1p(v) (scale 0..1), value = K(x, sv1) - K(x, sv2) - 0.5.
    const std::string path = ::testing::TempDir() + "svm_bound_test.model";
    {
        std::ofstream m(path);
        m << "svm_type c_svc\nkernel_type rbf\ngamma 0.5\nnr_class 2\ntotal_sv 2\nrho 0.5\nlabel 1 -1\nnr_sv 1 1\nSV\n";
        m << "1";
        for (size_t i = 0; i < kDdosFeatureCount; ++i) m << " " << i + 1 << ":1";
        m << "\n-1";
        for (size_t i = 0; i < kDdosFeatureCount; ++i) m << " " << i + 1 << ":40";
        m << "\n";
        std::ofstream sc(path + ".scale");
        for (size_t i = 0; i < kDdosFeatureCount; ++i) sc << "0 1\n";
    }
    SvmClassifier written;
    written.load(path);
    DdosFeatureVector centre;
    centre.fill(std::expm1(1.0));  // scaled: the DDoS support vector itself
    ASSERT_GT(agree(written, centre), 0.4);
    std::uniform_real_distribution<double> unit(0, 1);
    size_t tight = 0;
    for (int r = 0; r < 60; ++r) {
        DdosFeatureVector out = centre;
        for (double& f : out) f *= 0.2 + 1.6 * unit(rng);  // some way off in a random direction
        if (agree(written, out) > 0) continue;
        tight += bisect(written, centre, out, 1e-14);
    }
    EXPECT_GE(tight, 20u);
    std::remove(path.c_str());
    std::remove((path + ".scale").c_str());
}

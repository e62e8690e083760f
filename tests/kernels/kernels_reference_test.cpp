// Every oneDNN-backed kernel against its naive reference.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "kernels/eltwise.hpp"
#include "kernels/matmul.hpp"
#include "kernels/softmax.hpp"
#include "support/gradcheck.hpp"

namespace soma::kernels {
namespace {

using soma::testing::random_tensor;

void expect_close(const Tensor& a, const Tensor& b, float tol) {
  ASSERT_EQ(a.numel(), b.numel());
  for (int64_t i = 0; i < a.numel(); ++i) {
    EXPECT_NEAR(a.f32()[i], b.f32()[i], tol * (1.0f + std::fabs(b.f32()[i]))) << "element " << i;
  }
}

struct MatmulCase {
  bool trans_a, trans_b, bias, relu, accumulate;
};

class MatmulVsReference : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(MatmulVsReference, Agrees) {
  const MatmulCase c = GetParam();
  set_seed(11);
  const MatmulSpec spec{.m = 37,
                        .n = 19,
                        .k = 53,
                        .trans_a = c.trans_a,
                        .trans_b = c.trans_b,
                        .bias = c.bias,
                        .relu = c.relu,
                        .accumulate = c.accumulate};
  const Tensor a = random_tensor({spec.m * spec.k}), b = random_tensor({spec.k * spec.n}),
               bias = random_tensor({spec.n});
  const Tensor init = random_tensor({spec.m * spec.n});
  Tensor got = init.clone(), want = init.clone();
  Matmul mm;
  mm.run(spec, a.f32(), b.f32(), bias.f32(), got.f32());
  matmul_reference(spec, a.f32(), b.f32(), bias.f32(), want.f32());
  expect_close(got, want, 1e-5f);
  // The cached primitive gives the same answer again.
  Tensor again = init.clone();
  mm.run(spec, a.f32(), b.f32(), bias.f32(), again.f32());
  expect_close(again, want, 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(Layouts, MatmulVsReference,
                         ::testing::Values(MatmulCase{false, false, false, false, false},
                                           MatmulCase{true, false, false, false, false},
                                           MatmulCase{false, true, false, false, false},
                                           MatmulCase{true, true, false, false, false},
                                           MatmulCase{false, false, true, false, false},
                                           MatmulCase{false, false, true, true, false},
                                           MatmulCase{true, false, false, false, true},
                                           MatmulCase{false, true, false, false, true}));

// The activations as independent double-precision formulas (not the kernels' reference functions, which
// the fallback path would compare with themselves): value and derivative, and the points where the
// derivative jumps (skipped: float rounding may put x on either side).
struct Formula {
  std::string name;
  activations::Activation act;
  std::function<double(double)> f, df;
  std::vector<double> kinks;
};

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double softplus(double x) {
  return std::log1p(std::exp(-std::fabs(x))) + std::max(x, 0.0);
}

std::vector<Formula> formulas() {
  const double kPi = 3.141592653589793, selu_a = 1.6732632423543772848170429916717,
               selu_s = 1.0507009873554804934193349852946;
  using activations::get;
  return {
      {"relu",
       get("relu"),
       [](double x) { return std::max(x, 0.0); },
       [](double x) { return x > 0 ? 1.0 : 0.0; },
       {0}},
      {"sigmoid", get("sigmoid"), sigmoid, [](double x) { return sigmoid(x) * (1 - sigmoid(x)); }, {}},
      {"tanh",
       get("tanh"),
       [](double x) { return std::tanh(x); },
       [](double x) { return 1 - std::tanh(x) * std::tanh(x); },
       {}},
      {"elu",
       get("elu"),
       [](double x) { return x > 0 ? x : std::exp(x) - 1; },
       [](double x) { return x > 0 ? 1.0 : std::exp(x); },
       {0}},
      {"elu_alpha_0.5",
       activations::elu(0.5f),
       [](double x) { return x > 0 ? x : 0.5 * (std::exp(x) - 1); },
       [](double x) { return x > 0 ? 1.0 : 0.5 * std::exp(x); },
       {0}},
      {"elu_alpha_-0.3",
       activations::elu(-0.3f),
       [](double x) { return x > 0 ? x : -0.3 * (std::exp(x) - 1); },
       [](double x) { return x > 0 ? 1.0 : -0.3 * std::exp(x); },
       {0}},
      {"leaky_relu",
       get("leaky_relu"),
       [](double x) { return x > 0 ? x : 0.2 * x; },
       [](double x) { return x > 0 ? 1.0 : 0.2; },
       {0}},
      {"leaky_relu_0.01",
       activations::leaky_relu(0.01f),
       [](double x) { return x > 0 ? x : 0.01 * x; },
       [](double x) { return x > 0 ? 1.0 : 0.01; },
       {0}},
      {"leaky_relu_-0.5",
       activations::leaky_relu(-0.5f),
       [](double x) { return x > 0 ? x : -0.5 * x; },
       [](double x) { return x > 0 ? 1.0 : -0.5; },
       {0}},
      {"gelu",
       get("gelu"),
       [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); },
       [=](double x) {
         return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-x * x / 2) / std::sqrt(2 * kPi);
       },
       {}},
      {"swish",
       get("swish"),
       [](double x) { return x * sigmoid(x); },
       [](double x) { return sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)); },
       {}},
      {"softplus", get("softplus"), softplus, sigmoid, {}},
      {"selu",
       get("selu"),
       [=](double x) { return selu_s * (x > 0 ? x : selu_a * (std::exp(x) - 1)); },
       [=](double x) { return selu_s * (x > 0 ? 1.0 : selu_a * std::exp(x)); },
       {0}},
      // Keras 3: relu6(x + 3) / 6.
      {"hard_sigmoid",
       get("hard_sigmoid"),
       [](double x) { return std::clamp(x + 3, 0.0, 6.0) / 6; },
       [](double x) { return x > -3 && x < 3 ? 1.0 / 6 : 0.0; },
       {-3, 3}},
      // tf.keras 2: clip(0.2 x + 0.5, 0, 1).
      {"hard_sigmoid_keras2",
       get("hard_sigmoid_keras2"),
       [](double x) { return std::clamp(0.2 * x + 0.5, 0.0, 1.0); },
       [](double x) { return x > -2.5 && x < 2.5 ? 0.2 : 0.0; },
       {-2.5, 2.5}},
      {"softsign",
       get("softsign"),
       [](double x) { return x / (1 + std::fabs(x)); },
       [](double x) { return 1 / ((1 + std::fabs(x)) * (1 + std::fabs(x))); },
       {}},
      {"hard_silu",
       get("hard_silu"),
       [](double x) { return x * std::clamp(x + 3, 0.0, 6.0) / 6; },
       [](double x) { return x < -3  ? 0.0
                             : x > 3 ? 1.0
                                     : (2 * x + 3) / 6; },
       {-3, 3}},
      {"hard_swish",
       get("hard_swish"),
       [](double x) { return x * std::clamp(x + 3, 0.0, 6.0) / 6; },
       [](double x) { return x < -3  ? 0.0
                             : x > 3 ? 1.0
                                     : (2 * x + 3) / 6; },
       {-3, 3}},
      {"relu6",
       get("relu6"),
       [](double x) { return std::clamp(x, 0.0, 6.0); },
       [](double x) { return x > 0 && x < 6 ? 1.0 : 0.0; },
       {0, 6}},
      {"mish",
       get("mish"),
       [](double x) { return x * std::tanh(softplus(x)); },
       [](double x) {
         const double t = std::tanh(softplus(x));
         return t + x * (1 - t * t) * sigmoid(x);
       },
       {}},
      {"exponential",
       get("exponential"),
       [](double x) { return std::exp(x); },
       [](double x) { return std::exp(x); },
       {}},
      {"linear", get("linear"), [](double x) { return x; }, [](double) { return 1.0; }, {}},
  };
}

bool near_kink(const Formula& f, double x) {
  for (double k : f.kinks)
    if (std::fabs(x - k) < 1e-4) return true;
  return false;
}

// Sizes on either side of kSerialElements: the serial and the multi-threaded kernels (and loops).
class EltwiseVsFormula : public ::testing::TestWithParam<int64_t> {};

TEST_P(EltwiseVsFormula, EveryActivationForwardAndBackward) {
  const int64_t n = GetParam();
  set_seed(12);
  // Inputs on the kinks too (0, +-3, 6, +-2.5), where the derivative's side matters.
  Tensor x = random_tensor({n}, -8.0f, 8.0f);
  const float exact[] = {0.0f, 3.0f, -3.0f, 6.0f, 2.5f, -2.5f, 1e-6f, -1e-6f};
  for (size_t i = 0; i < std::size(exact); ++i) x.f32()[i] = exact[i];
  const Tensor dy = random_tensor({n});
  // Past the serial size, on 1 to 4 threads: each split must cover every element.
  const int saved_threads = omp_get_max_threads();
  const bool parallel = n >= kSerialElements;
  const int fewest = parallel ? 1 : saved_threads, most = parallel ? 4 : saved_threads;
  for (int threads = fewest; threads <= most; ++threads) {
    omp_set_num_threads(threads);
    for (const Formula& f : formulas()) {
      SCOPED_TRACE(f.name + " on " + std::to_string(threads) + " threads");
      Tensor y = Tensor::empty({n}), dx = Tensor::empty({n});
      Eltwise e;
      e.forward(f.act, n, x.f32(), y.f32());
      e.backward(f.act, n, backward_uses_output(f.act) ? y.f32() : x.f32(), dy.f32(), dx.f32());
      int bad = 0;
      for (int64_t i = 0; i < n && bad < 5; ++i) {
        const double xi = x.f32()[i];
        const double want = f.f(xi);
        // Forward within a few float ulps of the exact value (oneDNN and the fast loops are not libm).
        const double ftol = 2e-6 * (1 + std::fabs(want));
        if (std::fabs(y.f32()[i] - want) > ftol) {
          ++bad;
          ADD_FAILURE() << f.name << "(" << xi << ") = " << y.f32()[i] << ", want " << want;
        }
        // The scalar reference formulas, which the tests of the ops use, agree too.
        EXPECT_NEAR(activation_reference(f.act.kind, f.act.alpha, x.f32()[i]), want, ftol)
            << f.name << " " << xi;
        const double dwant = dy.f32()[i] * f.df(xi);
        const double dtol = 2e-5 * (1 + std::fabs(dwant));
        if (near_kink(f, xi)) continue;
        if (std::fabs(dx.f32()[i] - dwant) > dtol) {
          ++bad;
          ADD_FAILURE() << f.name << "' at " << xi << ": " << dx.f32()[i] << ", want " << dwant;
        }
        EXPECT_NEAR(dy.f32()[i] * activation_derivative_reference(f.act.kind, f.act.alpha, x.f32()[i]), dwant,
                    dtol)
            << f.name << "' " << xi;
      }
    }
  }
  omp_set_num_threads(saved_threads);
}

INSTANTIATE_TEST_SUITE_P(SerialAndParallel, EltwiseVsFormula,
                         ::testing::Values(int64_t{1000}, kSerialElements + 17,
                                           int64_t{3} * kSerialElements - 1));

// Keras' exact values at the kinks: relu'(0) = 0, relu6 at 6, hard_sigmoid at +-3 and clipping.
TEST(EltwiseVsFormula, ValuesAtTheKinks) {
  const float x[] = {-3.0f, 3.0f, 0.0f, 6.0f, 7.0f, -4.0f};
  float y[6];
  Eltwise e;
  e.forward(activations::get("hard_sigmoid"), 6, x, y);
  EXPECT_FLOAT_EQ(y[0], 0.0f);
  EXPECT_FLOAT_EQ(y[1], 1.0f);
  EXPECT_FLOAT_EQ(y[2], 0.5f);
  e.forward(activations::get("relu6"), 6, x, y);
  EXPECT_FLOAT_EQ(y[3], 6.0f);
  EXPECT_FLOAT_EQ(y[4], 6.0f);
  EXPECT_FLOAT_EQ(y[5], 0.0f);
}

TEST(SoftmaxVsReference, ForwardAgreesAndRowsSumToOne) {
  set_seed(13);
  const int64_t rows = 33, cols = 10;
  const Tensor x = random_tensor({rows, cols}, -20.0f, 20.0f);
  Tensor got = Tensor::empty({rows, cols}), want = Tensor::empty({rows, cols});
  Softmax s;
  s.forward(rows, cols, x.f32(), got.f32());
  softmax_reference(rows, cols, x.f32(), want.f32());
  expect_close(got, want, 1e-5f);
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += got.f32()[r * cols + c];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

// Softmax and log-softmax over a middle axis (inner > 1) and the last one, serial and parallel sizes,
// against a double-precision loop written here.
TEST(SoftmaxVsReference, AnyAxisAndLogSoftmax) {
  set_seed(14);
  for (const SoftmaxSpec base : {SoftmaxSpec{7, 5, 3}, SoftmaxSpec{33, 10, 1}, SoftmaxSpec{3, 11, 4099}}) {
    for (const bool log : {false, true}) {
      SoftmaxSpec s = base;
      s.log = log;
      SCOPED_TRACE(std::to_string(s.outer) + "x" + std::to_string(s.axis) + "x" + std::to_string(s.inner) +
                   (log ? " log" : ""));
      const Tensor x = random_tensor({s.numel()}, -10.0f, 10.0f), dy = random_tensor({s.numel()});
      Tensor y = Tensor::empty({s.numel()}), dx = Tensor::empty({s.numel()});
      Softmax k;
      k.forward(s, x.f32(), y.f32());
      k.backward(s, y.f32(), dy.f32(), dx.f32());
      for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t in = 0; in < s.inner; ++in) {
          auto at = [&](int64_t c) { return (o * s.axis + c) * s.inner + in; };
          double mx = -1e300, sum = 0, dot = 0, dsum = 0;
          for (int64_t c = 0; c < s.axis; ++c) mx = std::max(mx, static_cast<double>(x.f32()[at(c)]));
          for (int64_t c = 0; c < s.axis; ++c) sum += std::exp(x.f32()[at(c)] - mx);
          for (int64_t c = 0; c < s.axis; ++c) {
            const double p = std::exp(x.f32()[at(c)] - mx) / sum;
            dot += p * dy.f32()[at(c)];
            dsum += dy.f32()[at(c)];
          }
          for (int64_t c = 0; c < s.axis; ++c) {
            const double z = x.f32()[at(c)] - mx, p = std::exp(z) / sum, g = dy.f32()[at(c)];
            const double want = log ? z - std::log(sum) : p;
            // d softmax: p (g - sum p g); d log_softmax: g - p sum g.
            const double dwant = log ? g - p * dsum : p * (g - dot);
            ASSERT_NEAR(y.f32()[at(c)], want, 1e-5 * (1 + std::fabs(want))) << o << "," << c << "," << in;
            ASSERT_NEAR(dx.f32()[at(c)], dwant, 1e-5 * (1 + std::fabs(dwant))) << o << "," << c << "," << in;
          }
        }
      Tensor ref = Tensor::empty({s.numel()});
      softmax_reference(s, x.f32(), ref.f32());
      expect_close(ref, y, 1e-5f);
    }
  }
}

TEST(ActivationsByName, UnknownNameListsTheKnownOnes) {
  try {
    activations::get("rellu");
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown activation \"rellu\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("relu, sigmoid"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace soma::kernels

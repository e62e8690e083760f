// activation and recurrent_activation of SimpleRNN, LSTM and GRU (both reset_after modes): every
// element-wise activation Keras names, its forward against the Keras formula written out here in double
// precision, and its gradient by finite differences through whole sequences.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/activations.hpp"
#include "soma/layers/recurrent.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

namespace L = layers;

bool element_wise(const std::string& name) {
  return name != "softmax" && name != "log_softmax";
}

// keras.activations, as Keras 3 writes them (hard_sigmoid_keras2: Keras 2's hard_sigmoid).
double keras(const std::string& a, double x) {
  const auto relu6 = [](double v) { return std::min(std::max(v, 0.0), 6.0); };
  const auto softplus = [](double v) { return std::log1p(std::exp(v)); };
  constexpr double scale = 1.0507009873554805, alpha = 1.6732632423543772;
  if (a == "linear") return x;
  if (a == "relu") return std::max(x, 0.0);
  if (a == "sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (a == "tanh") return std::tanh(x);
  if (a == "elu") return x > 0 ? x : std::expm1(x);
  if (a == "leaky_relu") return x > 0 ? x : 0.2 * x;
  if (a == "gelu") return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  if (a == "swish" || a == "silu") return x / (1.0 + std::exp(-x));
  if (a == "softplus") return softplus(x);
  if (a == "selu") return scale * (x > 0 ? x : alpha * std::expm1(x));
  if (a == "hard_sigmoid") return relu6(x + 3.0) / 6.0;
  if (a == "hard_sigmoid_keras2") return std::min(std::max(0.2 * x + 0.5, 0.0), 1.0);
  if (a == "softsign") return x / (1.0 + std::fabs(x));
  if (a == "hard_silu" || a == "hard_swish") return x * relu6(x + 3.0) / 6.0;
  if (a == "relu6") return relu6(x);
  if (a == "mish") return x * std::tanh(softplus(x));
  if (a == "exponential") return std::exp(x);
  ADD_FAILURE() << "no reference formula for activation " << a;
  return 0.0;
}

void randomise(L::Recurrent& layer, float scale) {
  for (auto* w : layer.weights()) w->value.copy_from(testing::random_tensor(w->value.shape(), -scale, scale));
}

// pre = x[i] . kernel[:, col] + bias[col], in double.
double pre(const Tensor& x, int64_t i, L::Recurrent& layer, int64_t col) {
  const Tensor& k = layer.kernel().value;
  const int64_t f = k.dim(0), g = k.dim(1);
  double s = layer.bias()->value.f32()[col];
  for (int64_t j = 0; j < f; ++j) s += static_cast<double>(x.f32()[i * f + j]) * k.f32()[j * g + col];
  return s;
}

// One step from zero states, so the recurrent kernel drops out and each cell is a few activations of
// input projections: SimpleRNN act(p); LSTM o * act(i * act(g)) with i, o = ract(p); GRU (either
// mode) (1 - z) * act(p_h) with z = ract(p_z).
TEST(RecurrentActivations, OneStepIsTheKerasFormula) {
  int covered = 0;
  for (const std::string& a : activations::names()) {
    if (!element_wise(a)) continue;
    SCOPED_TRACE(a);
    ++covered;
    set_seed(70);
    const int64_t n = 3, f = 4, u = 5;
    autograd::Variable x(testing::random_tensor({n, 1, f}, -2.0f, 2.0f));
    L::SimpleRNN rnn({.units = u, .activation = a});
    L::LSTM lstm({.units = u, .activation = a, .recurrent_activation = a});
    L::GRU gru({.units = u, .activation = a, .recurrent_activation = a, .reset_after = false});
    L::GRU gru3({.units = u, .activation = a, .recurrent_activation = a});
    for (L::Recurrent* l : std::initializer_list<L::Recurrent*>{&rnn, &lstm, &gru, &gru3}) {
      l->build(Shape{1, f});
      randomise(*l, a == "exponential" ? 0.1f : 1.0f);  // exp of exp overflows float otherwise
    }
    const Tensor yr = rnn(nullptr, x, false).value.clone(), yl = lstm(nullptr, x, false).value.clone(),
                 yg = gru(nullptr, x, false).value.clone(), yg3 = gru3(nullptr, x, false).value.clone();
    const auto near = [](double got, double want, const char* cell) {
      EXPECT_NEAR(got, want, 2e-6 + 2e-6 * std::fabs(want)) << cell;
    };
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < u; ++j) {
        near(yr.f32()[i * u + j], keras(a, pre(x.value, i, rnn, j)), "SimpleRNN");
        const double ig = keras(a, pre(x.value, i, lstm, j)), g = keras(a, pre(x.value, i, lstm, 2 * u + j)),
                     o = keras(a, pre(x.value, i, lstm, 3 * u + j));
        near(yl.f32()[i * u + j], o * keras(a, ig * g), "LSTM");
        near(yg.f32()[i * u + j],
             (1.0 - keras(a, pre(x.value, i, gru, j))) * keras(a, pre(x.value, i, gru, 2 * u + j)), "GRU");
        // reset_after: the h block's recurrent bias (row 1) is inside the reset product: r * b'_h.
        const double r = keras(a, pre(x.value, i, gru3, u + j) + gru3.bias()->value.f32()[3 * u + u + j]);
        const double z = keras(a, pre(x.value, i, gru3, j) + gru3.bias()->value.f32()[3 * u + j]);
        const double hh =
            keras(a, pre(x.value, i, gru3, 2 * u + j) + r * gru3.bias()->value.f32()[3 * u + 2 * u + j]);
        near(yg3.f32()[i * u + j], (1.0 - z) * hh, "GRU reset_after");
      }
    }
  }
  EXPECT_GE(covered, 19);
}

// Gradients through 4 steps of every cell, with each activation as the cell activation and as the gate
// activation, including the ones whose derivative needs the saved input (gelu, swish, mish, ...).
TEST(RecurrentActivations, EveryActivationHasBackpropagationThroughTime) {
  for (const std::string& a : activations::names()) {
    if (!element_wise(a)) continue;
    SCOPED_TRACE(a);
    set_seed(71);
    std::vector<std::unique_ptr<L::Recurrent>> layers;
    layers.push_back(std::make_unique<L::SimpleRNN>(L::RNNOptions{.units = 3, .activation = a}));
    // exp(c) of a growing cell state, with exp gates, leaves float's range: the gates alone there.
    layers.push_back(std::make_unique<L::LSTM>(L::RNNOptions{.units = 3,
                                                             .activation = a == "exponential" ? "tanh" : a,
                                                             .recurrent_activation = a,
                                                             .return_sequences = true}));
    layers.push_back(std::make_unique<L::GRU>(
        L::RNNOptions{.units = 3, .activation = a, .recurrent_activation = a, .reset_after = false}));
    layers.push_back(std::make_unique<L::GRU>(
        L::RNNOptions{.units = 3, .activation = a, .recurrent_activation = a, .return_sequences = true}));
    for (auto& layer : layers) {
      SCOPED_TRACE(layer->type());
      layer->build(Shape{4, 2});
      randomise(*layer, a == "exponential" ? 0.05f : 0.8f);
      autograd::Variable x(testing::random_tensor({2, 4, 2}), true);
      std::vector<autograd::Variable*> inputs{&x};
      for (auto* w : layer->trainable_weights()) inputs.push_back(w);
      testing::gradcheck(
          [&](autograd::Tape* t, auto& in) -> autograd::Variable& { return (*layer)(t, *in[0], true); },
          inputs, {.eps = 5e-4f, .rtol = 2e-2f, .atol = 2e-3f});
    }
  }
}

TEST(RecurrentActivations, NonElementwiseActivationsAreRefused) {
  // (log_softmax is refused the same way once activations::get knows it.)
  for (const char* a : {"softmax"}) {
    test::expect_contains(test::message_of<ValueError>([&] { L::SimpleRNN({.units = 2, .activation = a}); }),
                          {"SimpleRNN", "activation must be an element-wise", a});
  }
  // Unknown names fail in the layer's name and the option's.
  test::expect_contains(
      test::message_of<ValueError>(
          [&] { L::GRU({.units = 2, .recurrent_activation = "hard_tanh", .name = "g5"}); }),
      {"GRU \"g5\"", "recurrent_activation", "unknown activation \"hard_tanh\"", "hard_sigmoid_keras2"});
  for (const char* a : {"softmax"}) {
    test::expect_contains(test::message_of<ValueError>(
                              [&] { L::LSTM({.units = 2, .recurrent_activation = a, .name = "gates"}); }),
                          {"LSTM \"gates\"", "recurrent_activation", a});
  }
}

}  // namespace
}  // namespace soma

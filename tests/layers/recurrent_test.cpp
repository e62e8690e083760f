// SimpleRNN, LSTM, GRU and Embedding: the generic harness (shapes, parameter counts, gradients of input
// and every weight through backpropagation through time), agreement with PyTorch (Keras gate
// conventions), and the errors a user can run into.
#include "soma/layers/recurrent.hpp"

#include <gtest/gtest.h>

#include "soma/layers/convolutional.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/embedding.hpp"
#include "soma/layers/wrappers.hpp"
#include "support/error_matchers.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;
using testing::check_layer;

TEST(RecurrentLayers, HarnessEveryCellAndMode) {
  for (const bool sequences : {false, true}) {
    for (const bool backwards : {false, true}) {
      SCOPED_TRACE(std::string(sequences ? "sequences" : "last") + (backwards ? " backwards" : ""));
      set_seed(50);
      const L::RNNOptions o{.units = 3, .return_sequences = sequences, .go_backwards = backwards};
      const Shape out = sequences ? Shape{4, 3} : Shape{3};
      L::SimpleRNN rnn(o);
      check_layer(rnn, {.input = {4, 2}, .output = out, .params = 2 * 3 + 3 * 3 + 3, .batch = 2});
      L::LSTM lstm(o);
      check_layer(lstm, {.input = {4, 2}, .output = out, .params = 4 * (2 * 3 + 3 * 3 + 3), .batch = 2});
      L::GRU gru(o);
      check_layer(gru, {.input = {4, 2}, .output = out, .params = 3 * (2 * 3 + 3 * 3 + 2 * 3), .batch = 2});
      L::RNNOptions before = o;
      before.reset_after = false;  // Keras 2's GRU: one bias row
      L::GRU gru2(before);
      check_layer(gru2, {.input = {4, 2}, .output = out, .params = 3 * (2 * 3 + 3 * 3 + 3), .batch = 2});
    }
  }
  set_seed(51);
  L::SimpleRNN relu({.units = 2, .activation = "relu", .use_bias = false});
  check_layer(relu, {.input = {3, 2}, .output = {2}, .params = 2 * 2 + 2 * 2, .batch = 2});
}

// Dropout of inputs and recurrent state: training draws one mask per call, the same at every step, so the
// op is a fixed function during a gradient check only if the mask is fixed: check through a layer whose
// masks are drawn from the same seed each call.
TEST(RecurrentLayers, DropoutMasksAreSharedAcrossStepsAndDifferentiable) {
  for (const auto& [drop, rec] : {std::pair{0.4f, 0.0f}, {0.0f, 0.4f}, {0.3f, 0.3f}}) {
    SCOPED_TRACE(std::to_string(drop) + " " + std::to_string(rec));
    L::LSTM lstm({.units = 3, .dropout = drop, .recurrent_dropout = rec, .return_sequences = true});
    lstm.build(Shape{4, 5});
    for (auto* w : lstm.weights()) w->value.copy_from(testing::random_tensor(w->value.shape()));
    autograd::Variable x(testing::random_tensor({2, 4, 5}), true);
    std::vector<autograd::Variable*> inputs{&x};
    for (auto* w : lstm.trainable_weights()) inputs.push_back(w);
    testing::gradcheck(
        [&](autograd::Tape* t, auto& in) -> autograd::Variable& {
          set_seed(57);  // the same masks on every evaluation
          return lstm(t, *in[0], true);
        },
        inputs);
    // Inference ignores dropout: deterministic and equal to a dropout-free layer's output.
    L::LSTM plain({.units = 3, .return_sequences = true});
    plain.build(Shape{4, 5});
    for (size_t i = 0; i < 3; ++i) plain.weights()[i]->value.copy_from(lstm.weights()[i]->value);
    const Tensor a = lstm(nullptr, x, false).value.clone();
    testing::expect_close(plain(nullptr, x, false).value, a, "inference");
  }
  // With input dropout 0.5, a feature dropped for a sequence is dropped at every step: zeroing that
  // feature everywhere changes nothing, whatever its values.
  set_seed(58);
  L::SimpleRNN rnn({.units = 2, .dropout = 0.5f});
  rnn.build(Shape{6, 8});
  Tensor x0 = testing::random_tensor({1, 6, 8});
  set_seed(59);
  autograd::Variable a(x0.clone());
  const Tensor ya = rnn(nullptr, a, true).value.clone();
  int dropped = -1;
  for (int f = 0; f < 8 && dropped < 0; ++f) {
    Tensor x1 = x0.clone();
    for (int t = 0; t < 6; ++t) x1.f32()[t * 8 + f] = 0.0f;
    set_seed(59);
    autograd::Variable b(x1);
    if (rnn(nullptr, b, true).value.to_vector<float>() == ya.to_vector<float>()) dropped = f;
  }
  EXPECT_GE(dropped, 0) << "no feature was dropped for the whole sequence";
}

// Embedding(mask_zero) -> LSTM: padding steps are skipped, so a padded sequence ends in the same state as
// the unpadded one, wherever the padding is; gradients flow through the carried states.
TEST(RecurrentLayers, MaskZeroSkipsPaddingSteps) {
  for (const bool backwards : {false, true}) {
    set_seed(60);
    L::Embedding emb({.input_dim = 6, .output_dim = 3, .mask_zero = true});
    L::LSTM lstm({.units = 4, .go_backwards = backwards});
    emb.build(Shape{5});
    lstm.build(Shape{5, 3});
    L::Embedding emb3({.input_dim = 6, .output_dim = 3});
    L::LSTM lstm3({.units = 4, .go_backwards = backwards});
    emb3.build(Shape{3});
    lstm3.build(Shape{3, 3});
    emb3.embeddings().value.copy_from(emb.embeddings().value);
    for (size_t i = 0; i < 3; ++i) lstm3.weights()[i]->value.copy_from(lstm.weights()[i]->value);
    autograd::Variable padded(Tensor::from_vector<float>({0, 2, 0, 5, 1}, {1, 5}));
    autograd::Variable plain(Tensor::from_vector<float>({2, 5, 1}, {1, 3}));
    const Tensor a = lstm(nullptr, emb(nullptr, padded, false), false).value.clone();
    const Tensor b = lstm3(nullptr, emb3(nullptr, plain, false), false).value.clone();
    testing::expect_close(a, b, backwards ? "backwards" : "forwards", 1e-6f);
  }
  // Gradients through a masked sequence, with the mask fixed by the input.
  set_seed(61);
  L::GRU gru({.units = 3, .return_sequences = true});
  gru.build(Shape{4, 2});
  for (auto* w : gru.weights()) w->value.copy_from(testing::random_tensor(w->value.shape()));
  autograd::Variable x(testing::random_tensor({2, 4, 2}), true);
  x.mask = Tensor::from_vector<float>({1, 0, 1, 1, 0, 0, 1, 1}, {2, 4});
  std::vector<autograd::Variable*> inputs{&x};
  for (auto* w : gru.trainable_weights()) inputs.push_back(w);
  testing::gradcheck([&](autograd::Tape* t, auto& in) -> autograd::Variable& { return gru(t, *in[0], true); },
                     inputs);
}

// GRU(reset_after = false) has its own step (two recurrent products, the reset gate on h' before the
// candidate's): its gradients with input and recurrent dropout and a sequence mask, both directions.
TEST(RecurrentLayers, GruResetBeforeWithDropoutAndMask) {
  for (const bool backwards : {false, true}) {
    SCOPED_TRACE(backwards ? "backwards" : "forwards");
    set_seed(62);
    L::GRU gru({.units = 3,
                .dropout = 0.3f,
                .recurrent_dropout = 0.4f,
                .return_sequences = true,
                .go_backwards = backwards,
                .reset_after = false});
    gru.build(Shape{4, 5});
    EXPECT_EQ(gru.bias()->value.shape(), (Shape{9}));
    for (auto* w : gru.weights()) w->value.copy_from(testing::random_tensor(w->value.shape()));
    autograd::Variable x(testing::random_tensor({3, 4, 5}), true);
    x.mask = Tensor::from_vector<float>({1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1}, {3, 4});
    std::vector<autograd::Variable*> inputs{&x};
    for (auto* w : gru.trainable_weights()) inputs.push_back(w);
    testing::gradcheck(
        [&](autograd::Tape* t, auto& in) -> autograd::Variable& {
          set_seed(63);  // the same dropout masks on every evaluation
          return gru(t, *in[0], true);
        },
        inputs);
  }
}

TEST(RecurrentLayers, KerasWeightLayoutAndInitialisers) {
  set_seed(52);
  L::LSTM lstm({.units = 5});
  lstm.build(Shape{7, 3});
  EXPECT_EQ(lstm.kernel().value.shape(), (Shape{3, 20}));
  EXPECT_EQ(lstm.recurrent_kernel().value.shape(), (Shape{5, 20}));
  // unit_forget_bias: the forget block (second of i, f, c, o) starts at 1, the rest at 0.
  const auto b = lstm.bias()->value.to_vector<float>();
  for (int j = 0; j < 20; ++j) EXPECT_EQ(b[j], j >= 5 && j < 10 ? 1.0f : 0.0f) << j;
  // The recurrent kernel is orthogonal per gate block... as Keras draws it: (5, 20) has orthonormal rows.
  const float* r = lstm.recurrent_kernel().value.f32();
  for (int a = 0; a < 5; ++a)
    for (int c = 0; c < 5; ++c) {
      double dot = 0;
      for (int k = 0; k < 20; ++k) dot += static_cast<double>(r[a * 20 + k]) * r[c * 20 + k];
      EXPECT_NEAR(dot, a == c ? 1.0 : 0.0, 1e-5);
    }
  L::GRU gru({.units = 2});
  gru.build(Shape{3, 4});
  EXPECT_EQ(gru.bias()->value.shape(), (Shape{2, 6}));
  EXPECT_EQ(gru.type(), "GRU");
}

TEST(RecurrentLayers, AgreeWithPyTorch) {
  const auto cases = testing::load_reference_cases("recurrent_layers.txt");
  ASSERT_EQ(cases.size(), 6u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto o = c.options;
    const L::RNNOptions options{
        .units = std::stoll(o["units"]), .return_sequences = true, .go_backwards = o["go_backwards"] == "1"};
    std::unique_ptr<L::Recurrent> layer;
    if (o["cell"] == "lstm") layer = std::make_unique<L::LSTM>(options);
    if (o["cell"] == "gru") layer = std::make_unique<L::GRU>(options);
    if (o["cell"] == "simple_rnn") layer = std::make_unique<L::SimpleRNN>(options);
    const Tensor& x0 = c.tensors.at("x");
    layer->build(x0.shape().without_batch());
    layer->kernel().value.copy_from(c.tensors.at("kernel"));
    layer->recurrent_kernel().value.copy_from(c.tensors.at("recurrent_kernel"));
    layer->bias()->value.copy_from(c.tensors.at("bias"));
    autograd::Variable x(x0.clone());
    testing::expect_close((*layer)(nullptr, x, false).value, c.tensors.at("sequences"), "sequences");
    testing::expect_close(layer->state_h(), c.tensors.at("state_h"), "state_h");
    if (c.tensors.count("state_c"))
      testing::expect_close(layer->state_c(), c.tensors.at("state_c"), "state_c");
  }
}

TEST(EmbeddingLayer, LookupGradientAndErrors) {
  set_seed(53);
  L::Embedding e({.input_dim = 5, .output_dim = 3});
  e.build(Shape{4});
  EXPECT_EQ(e.output_shape(Shape{4}), (Shape{4, 3}));
  EXPECT_EQ(e.count_params(), 15);
  autograd::Variable x(Tensor::from_vector<float>({0, 4, 4, 2, 1, 1, 3, 0}, {2, 4}));
  autograd::Tape tape;
  autograd::Variable& y = e(&tape, x, true);
  ASSERT_EQ(y.value.shape(), (Shape{2, 4, 3}));
  for (int k = 0; k < 3; ++k) EXPECT_EQ(y.value.f32()[1 * 3 + k], e.embeddings().value.f32()[4 * 3 + k]);
  // The table's gradient sums the output gradients of every use of a row (row 4 is used twice).
  const Tensor seed = testing::random_tensor(y.value.shape());
  tape.backward(y, seed);
  const float* g = e.embeddings().grad.f32();
  for (int k = 0; k < 3; ++k) {
    EXPECT_FLOAT_EQ(g[4 * 3 + k], seed.f32()[1 * 3 + k] + seed.f32()[2 * 3 + k]);
    EXPECT_FLOAT_EQ(g[2 * 3 + k], seed.f32()[3 * 3 + k]);
  }
  autograd::Variable oov(Tensor::from_vector<float>({0, 1, 5, 2}, {1, 4}));
  expect_contains(message_of<ValueError>([&] { e(nullptr, oov, false); }), {"index 5", "(0, 2)", "[0, 5)"});
  autograd::Variable frac(Tensor::from_vector<float>({0, 1.5f, 2, 2}, {1, 4}));
  expect_contains(message_of<ValueError>([&] { e(nullptr, frac, false); }), {"1.5", "(0, 1)"});
  // mask_zero marks the non-zero indices.
  L::Embedding masked({.input_dim = 5, .output_dim = 2, .mask_zero = true});
  masked.build(Shape{4});
  EXPECT_EQ(masked(nullptr, x, false).mask.to_vector<float>(), (std::vector<float>{0, 1, 1, 1, 1, 1, 1, 0}));
}

TEST(Bidirectional, HarnessEveryMergeModeAndKerasAlignment) {
  for (const char* mode : {"concat", "sum", "mul", "ave"}) {
    for (const bool sequences : {false, true}) {
      SCOPED_TRACE(std::string(mode) + (sequences ? " sequences" : ""));
      set_seed(54);
      L::Bidirectional bi(L::LSTM({.units = 3, .return_sequences = sequences}), {.merge_mode = mode});
      const int64_t width = std::string(mode) == "concat" ? 6 : 3;
      check_layer(bi, {.input = {4, 2},
                       .output = sequences ? Shape{4, width} : Shape{width},
                       .params = 2 * 4 * (2 * 3 + 3 * 3 + 3),
                       .batch = 2});
    }
  }
  // The backward half's sequence output at step t is the state after reading steps T-1 .. t.
  set_seed(55);
  L::Bidirectional bi(L::GRU({.units = 2, .return_sequences = true}));
  bi.build(Shape{5, 3});
  EXPECT_EQ(bi.backward_layer().name(), "backward_" + bi.forward_layer().name());
  const Tensor x0 = testing::random_tensor({1, 5, 3});
  autograd::Variable x(x0.clone());
  const Tensor y = bi(nullptr, x, false).value.clone();
  // A forward GRU with the backward half's weights reading steps 4 then 3 ends in the state that the
  // merged output holds (second half) at step 3.
  L::GRU reader({.units = 2});
  reader.build(Shape{2, 3});
  for (size_t i = 0; i < 3; ++i)
    reader.weights()[i]->value.copy_from(bi.backward_layer().weights()[i]->value);
  autograd::Variable tail(Tensor::empty({1, 2, 3}));
  std::copy_n(x0.f32() + 4 * 3, 3, tail.value.f32());
  std::copy_n(x0.f32() + 3 * 3, 3, tail.value.f32() + 3);
  (void)reader(nullptr, tail, false);
  for (int k = 0; k < 2; ++k) EXPECT_NEAR(y.f32()[3 * 4 + 2 + k], reader.state_h().f32()[k], 1e-6);
  expect_contains(
      message_of<ValueError>([] { L::Bidirectional(L::LSTM({.units = 2}), {.merge_mode = "max"}); }),
      {"merge_mode", "\"max\""});
}

TEST(TimeDistributed, DenseOverEveryStep) {
  set_seed(56);
  L::TimeDistributed td(L::Dense({.units = 3, .activation = "tanh"}));
  check_layer(td, {.input = {4, 5}, .output = {4, 3}, .params = 5 * 3 + 3, .batch = 2});
  L::TimeDistributed conv(L::Conv2D({.filters = 2, .kernel_size = {3}}));
  check_layer(conv, {.input = {3, 5, 5, 1}, .output = {3, 3, 3, 2}, .params = 9 * 2 + 2, .batch = 2});
  expect_contains(message_of<ShapeError>([&] { L::TimeDistributed(L::Dense({.units = 2})).build(Shape{4}); }),
                  {"rank >= 3"});
}

TEST(RecurrentErrors, WrongRankAndBadOptions) {
  L::LSTM lstm({.units = 4});
  expect_contains(message_of<ShapeError>([&] { lstm.build(Shape{28}); }), {"rank 3", "(None, 28)", "pad"});
  expect_contains(message_of<ShapeError>([&] { lstm.build(Shape{2, 3, 4}); }), {"rank 3", "(None, 2, 3, 4)"});
  lstm.build(Shape{5, 3});
  autograd::Variable wrong(Tensor::zeros({2, 5, 4}));
  expect_contains(message_of<ShapeError>([&] { lstm(nullptr, wrong, false); }),
                  {"(None, 5, 3)", "(2, 5, 4)"});
  expect_contains(message_of<ValueError>([] { L::GRU({.units = 0}); }), {"units"});
  expect_contains(
      message_of<ValueError>([] { L::LSTM({.units = 2, .activation = "softmax", .name = "l9"}); }),
      {"LSTM \"l9\"", "activation must be an element-wise", "\"softmax\""});
  expect_contains(message_of<ValueError>([] { L::GRU({.units = 2, .recurrent_activation = "softmax"}); }),
                  {"GRU", "recurrent_activation must be an element-wise", "\"softmax\""});
  expect_contains(message_of<ValueError>([] { L::LSTM({.units = 2, .recurrent_dropout = 1.0f}); }),
                  {"recurrent_dropout", "[0, 1)"});
}

}  // namespace
}  // namespace soma

// The states of recurrent layers: initial_state (with gradients into it), return_state (final states
// that take part in the tape), stateful layers with reset_states(), the same through Bidirectional, and
// the errors: a multi-output layer in a Sequential, wrong state counts and shapes, a stateful layer
// without a fixed batch size or with another one.
#include <gtest/gtest.h>

#include "soma/autograd/ops/sequence_ops.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/recurrent.hpp"
#include "soma/layers/wrappers.hpp"
#include "soma/models/sequential.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using autograd::MergeMode;
using autograd::Variable;
using test::expect_contains;
using test::message_of;

std::vector<std::unique_ptr<L::Recurrent>> every_cell(L::RNNOptions o) {
  std::vector<std::unique_ptr<L::Recurrent>> out;
  out.push_back(std::make_unique<L::SimpleRNN>(o));
  out.push_back(std::make_unique<L::LSTM>(o));
  out.push_back(std::make_unique<L::GRU>(o));
  o.reset_after = false;
  out.push_back(std::make_unique<L::GRU>(o));
  return out;
}

void randomise(L::Layer& layer) {
  for (auto* w : layer.weights()) w->value.copy_from(testing::random_tensor(w->value.shape()));
}

// d(sum(out * seed)) with respect to x, every weight and the initial states, by finite differences.
TEST(RecurrentState, InitialStateReceivesGradients) {
  for (const bool backwards : {false, true}) {
    set_seed(80);
    for (auto& layer : every_cell({.units = 3, .return_sequences = true, .go_backwards = backwards})) {
      SCOPED_TRACE(layer->type() + (backwards ? " backwards" : ""));
      layer->build(Shape{4, 2});
      randomise(*layer);
      Variable x(testing::random_tensor({2, 4, 2}), true);
      Variable h0(testing::random_tensor({2, 3}), true), c0(testing::random_tensor({2, 3}), true);
      std::vector<Variable*> inputs{&x, &h0};
      if (layer->state_count() == 2) inputs.push_back(&c0);
      for (auto* w : layer->trainable_weights()) inputs.push_back(w);
      const size_t states = static_cast<size_t>(layer->state_count());
      testing::gradcheck(
          [&](autograd::Tape* t, auto& in) -> Variable& {
            return *layer->call(t, *in[0], std::vector<Variable*>(in.begin() + 1, in.begin() + 1 + states),
                                true)[0];
          },
          inputs);
      // The initial state is where the sequence starts: zeros given explicitly equal no initial state.
      Variable zeros(Tensor::zeros({2, 3})), zeros_c(Tensor::zeros({2, 3}));
      std::vector<Variable*> given{&zeros};
      if (states == 2) given.push_back(&zeros_c);
      const Tensor a = layer->call(nullptr, x, given, false)[0]->value.clone();
      testing::expect_close((*layer)(nullptr, x, false).value, a, "zero initial state", 0.0f);
    }
  }
}

// With return_state the final states are outputs: a gradient seeded on them alone, or on them and the
// output together, flows back through time.
TEST(RecurrentState, ReturnStateOutputsTakePartInTheTape) {
  for (const bool sequences : {false, true}) {
    set_seed(81);
    for (auto& layer : every_cell({.units = 3, .return_sequences = sequences, .return_state = true})) {
      SCOPED_TRACE(layer->type() + (sequences ? " sequences" : " last"));
      layer->build(Shape{4, 2});
      randomise(*layer);
      EXPECT_EQ(layer->output_count(), static_cast<size_t>(1 + layer->state_count()));
      Variable x(testing::random_tensor({2, 4, 2}), true);
      std::vector<Variable*> inputs{&x};
      for (auto* w : layer->trainable_weights()) inputs.push_back(w);
      autograd::MergeOp sum, concat;
      testing::gradcheck(
          [&](autograd::Tape* t, auto& in) -> Variable& {
            const auto outs = layer->call(t, *in[0], {}, true);
            // The states alone with sequences (another shape), else the output plus h.
            Variable& h = sequences ? *outs[1] : sum.forward(t, *outs[0], *outs[1], MergeMode::sum);
            return outs.size() == 3 ? concat.forward(t, h, *outs[2], MergeMode::concat) : h;
          },
          inputs);
      const auto outs = layer->call(nullptr, x, {}, false);
      ASSERT_EQ(outs.size(), layer->output_count());
      testing::expect_close(outs[1]->value, layer->state_h(), "state_h()", 0.0f);
      if (outs.size() == 3) testing::expect_close(outs[2]->value, layer->state_c(), "state_c()", 0.0f);
      if (!sequences) testing::expect_close(outs[0]->value, outs[1]->value, "output == h", 0.0f);
    }
  }
}

// Keras' stateful RNN: sample i of a call starts where sample i of the previous call ended, until
// reset_states(); the carried states are constants, not part of the next call's gradient.
TEST(RecurrentState, StatefulCarriesStatesUntilReset) {
  set_seed(82);
  for (auto& layer : every_cell({.units = 3, .return_sequences = true, .stateful = true, .batch_size = 2})) {
    SCOPED_TRACE(layer->type());
    layer->build(Shape{5, 2});
    randomise(*layer);
    Variable x1(testing::random_tensor({2, 5, 2})), x2(testing::random_tensor({2, 5, 2}), true);
    const Tensor y1 = (*layer)(nullptr, x1, false).value.clone();
    Variable h(layer->state_h().clone()), c(layer->state_count() == 2 ? layer->state_c().clone() : Tensor());
    std::vector<Variable*> carried{&h};
    if (layer->state_count() == 2) carried.push_back(&c);
    // The second call continues from the first's final states...
    autograd::Tape tape;
    Variable& y2 = (*layer)(&tape, x2, true);
    const Tensor seed = testing::random_tensor(y2.value.shape());
    tape.backward(y2, seed);
    const Tensor continued = y2.value.clone(), dx = x2.grad.clone(), dk = layer->kernel().grad.clone();
    // ...exactly as if they were given as (constant) initial states.
    autograd::Tape tape2;
    Variable& y3 = *layer->call(&tape2, x2, carried, true)[0];
    testing::expect_close(continued, y3.value, "continued", 0.0f);
    tape2.backward(y3, seed);
    testing::expect_close(dx, x2.grad, "input gradient", 0.0f);
    testing::expect_close(dk, layer->kernel().grad, "kernel gradient", 0.0f);
    layer->reset_states();
    testing::expect_close((*layer)(nullptr, x1, false).value, y1, "after reset_states", 0.0f);
    layer->reset_states();
    EXPECT_NE((*layer)(nullptr, x2, false).value.to_vector<float>(), continued.to_vector<float>())
        << "the states were not carried";
  }
  // Keras needs a fixed batch size for stateful layers, and calls of another size fail clearly.
  expect_contains(message_of<ValueError>([] { L::LSTM({.units = 2, .stateful = true, .name = "sf"}); }),
                  {"LSTM \"sf\"", "stateful", "batch_size", "received batch_size 0"});
  L::GRU fixed({.units = 2, .stateful = true, .batch_size = 4});
  Variable three(Tensor::zeros({3, 5, 2}));
  expect_contains(message_of<ValueError>([&] { fixed(nullptr, three, false); }),
                  {"GRU", "batch_size 4", "stateful", "batch of 3", "(3, 5, 2)"});
  expect_contains(message_of<ValueError>([] { L::SimpleRNN({.units = 2, .batch_size = -1}); }),
                  {"batch_size must be positive", "-1"});
}

// A stateful LSTM inside a Sequential trains with fit() when the batches have its batch size, and says
// so when they do not (a last, smaller batch included).
TEST(RecurrentState, StatefulTrainsInASequential) {
  set_seed(85);
  Sequential model;
  model.add(L::LSTM({.units = 3, .stateful = true, .input_shape = {3, 2}, .batch_size = 4, .name = "carry"}));
  model.add(L::Dense({.units = 1}));
  model.compile({.optimizer = "adam", .loss = "mse"});
  const Tensor x = testing::random_tensor({8, 3, 2}), y = testing::random_tensor({8, 1});
  const History h = model.fit(x, y, {.batch_size = 4, .epochs = 3, .verbose = 0, .shuffle = false});
  EXPECT_EQ(h.history.at("loss").size(), 3u);
  auto& lstm = dynamic_cast<L::LSTM&>(model.layer(0));
  EXPECT_EQ(lstm.state_h().shape(), (Shape{4, 3}));
  expect_contains(
      message_of<ValueError>([&] { model.fit(x, y, {.batch_size = 3, .epochs = 1, .verbose = 0}); }),
      {"LSTM \"carry\"", "batch_size 4", "batch of 3"});
}

TEST(RecurrentState, InitialStateErrors) {
  L::LSTM lstm({.units = 3, .name = "st"});
  Variable x(Tensor::zeros({2, 4, 5}));
  Variable h(Tensor::zeros({2, 3})), wrong(Tensor::zeros({2, 4}));
  expect_contains(message_of<ValueError>([&] { lstm.call(nullptr, x, {&h}, false); }),
                  {"LSTM \"st\"", "initial_state must hold 2 tensors (h, c)", "received 1"});
  expect_contains(message_of<ShapeError>([&] {
                    lstm.call(nullptr, x, {&h, &wrong}, false);
                  }),
                  {"initial_state[1]", "(2, 3)", "(2, 4)"});
  L::GRU gru({.units = 3});
  expect_contains(message_of<ValueError>([&] {
                    gru.call(nullptr, x, {&h, &h}, false);
                  }),
                  {"1 tensor (h)", "received 2"});
  expect_contains(message_of<ValueError>([&] { gru.call(nullptr, x, {nullptr}, false); }),
                  {"initial_state[0] is null"});
}

// As Keras: "All layers in a Sequential model should have a single output tensor."
TEST(RecurrentState, SequentialRefusesReturnStateLayers) {
  Sequential model;
  expect_contains(
      message_of<ValueError>([&] { model.add(L::LSTM({.units = 2, .return_state = true, .name = "rs"})); }),
      {"single output tensor", "LSTM \"rs\"", "returns 3", "return_state"});
  expect_contains(message_of<ValueError>(
                      [&] { model.add(L::Bidirectional(L::GRU({.units = 2, .return_state = true}))); }),
                  {"single output tensor", "Bidirectional", "returns 3"});
  EXPECT_EQ(model.size(), 0u);
  model.add(L::LSTM({.units = 2, .input_shape = {3, 2}}));  // without return_state, as before
  EXPECT_EQ(model.size(), 1u);
}

// Bidirectional: initial_state is the forward half's states then the backward half's, return_state
// gives the merged output then both halves' final states (Keras' order); gradients reach all of them.
TEST(Bidirectional, InitialStateAndReturnState) {
  for (const bool reset_after : {true, false}) {
    set_seed(83);
    L::Bidirectional lstm_bi(L::LSTM({.units = 3, .return_sequences = true, .return_state = true}));
    L::Bidirectional gru_bi(L::GRU({.units = 3, .return_state = true, .reset_after = reset_after}),
                            {.merge_mode = "sum"});
    for (L::Bidirectional* bi : {&lstm_bi, &gru_bi}) {
      SCOPED_TRACE(bi->forward_layer().type() + (reset_after ? "" : " reset_after=false"));
      bi->build(Shape{4, 2});
      randomise(*bi);
      const size_t k = static_cast<size_t>(bi->forward_layer().state_count());
      EXPECT_EQ(bi->output_count(), 1 + 2 * k);
      Variable x(testing::random_tensor({2, 4, 2}), true);
      std::vector<Variable> states;
      for (size_t i = 0; i < 2 * k; ++i) states.emplace_back(testing::random_tensor({2, 3}), true);
      std::vector<Variable*> inputs{&x};
      for (auto& s : states) inputs.push_back(&s);
      for (auto* w : bi->trainable_weights()) inputs.push_back(w);
      autograd::MergeOp join;
      testing::gradcheck(
          [&](autograd::Tape* t, auto& in) -> Variable& {
            const auto outs =
                bi->call(t, *in[0], std::vector<Variable*>(in.begin() + 1, in.begin() + 1 + 2 * k), true);
            // The backward half's last state (h, or c for LSTM) with the forward half's h.
            return join.forward(t, *outs[1], *outs.back(), MergeMode::concat);
          },
          inputs);
      std::vector<Variable*> given;
      for (auto& s : states) given.push_back(&s);
      const auto outs = bi->call(nullptr, x, given, false);
      ASSERT_EQ(outs.size(), 1 + 2 * k);
      testing::expect_close(outs[1]->value, bi->forward_layer().state_h(), "forward h", 0.0f);
      testing::expect_close(outs[1 + k]->value, bi->backward_layer().state_h(), "backward h", 0.0f);
      // Each half started from its own states: the forward half alone, given the first k, agrees.
      const auto ahead = bi->forward_layer().call(
          nullptr, x, std::vector<Variable*>(given.begin(), given.begin() + static_cast<std::ptrdiff_t>(k)),
          false);
      testing::expect_close(ahead[1]->value, outs[1]->value, "forward half", 0.0f);
    }
    Variable x(Tensor::zeros({2, 4, 2})), h(Tensor::zeros({2, 3}));
    expect_contains(message_of<ValueError>([&] {
                      lstm_bi.call(nullptr, x, {&h, &h}, false);
                    }),
                    {"Bidirectional", "initial_state must hold 4 tensors", "received 2"});
  }
  // A stateful Bidirectional carries both halves' states; reset_states resets both.
  set_seed(84);
  L::Bidirectional bi(L::GRU({.units = 2, .stateful = true, .reset_after = false, .batch_size = 2}));
  Variable x(testing::random_tensor({2, 3, 2}));
  const Tensor first = bi(nullptr, x, false).value.clone();
  const Tensor second = bi(nullptr, x, false).value.clone();
  EXPECT_NE(first.to_vector<float>(), second.to_vector<float>());
  bi.reset_states();
  testing::expect_close(bi(nullptr, x, false).value, first, "after reset_states", 0.0f);
}

}  // namespace
}  // namespace soma

// SimpleRNN, LSTM and GRU against tfjs (tests/reference/recurrent_keras2.js), which follows Keras 2:
// GRU with reset_after = false, Keras 2's hard_sigmoid and other cell activations, initial states and
// stateful layers. Outputs, final states and the gradients of sum(output * seed) with respect to the
// input, every weight and the initial states.
#include <gtest/gtest.h>

#include "soma/layers/recurrent.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;

std::unique_ptr<L::Recurrent> make(std::map<std::string, std::string> o, bool stateful = false) {
  const L::RNNOptions options{
      .units = std::stoll(o["units"]),
      .activation = o["activation"],
      .recurrent_activation = o.count("recurrent_activation") ? o["recurrent_activation"] : "sigmoid",
      .unit_forget_bias = false,
      .return_sequences = true,
      .return_state = true,
      .go_backwards = o["go_backwards"] == "1",
      .stateful = stateful,
      .reset_after = o["reset_after"] != "0",
      .batch_size = stateful ? 2 : 0};
  if (o["cell"] == "lstm") return std::make_unique<L::LSTM>(options);
  if (o["cell"] == "gru") return std::make_unique<L::GRU>(options);
  return std::make_unique<L::SimpleRNN>(options);
}

void set_weights(L::Recurrent& layer, const testing::ReferenceCase& c) {
  layer.build(c.tensors.at("x").shape().without_batch());
  layer.kernel().value.copy_from(c.tensors.at("kernel"));
  layer.recurrent_kernel().value.copy_from(c.tensors.at("recurrent_kernel"));
  layer.bias()->value.copy_from(c.tensors.at("bias"));
}

TEST(RecurrentLayers, AgreeWithTfjsKeras2) {
  const auto cases = testing::load_reference_cases("recurrent_keras2.txt");
  ASSERT_EQ(cases.size(), 22u);
  int checked = 0;
  for (const auto& c : cases) {
    if (c.options.count("stateful")) continue;
    SCOPED_TRACE(c.name);
    auto layer = make(c.options);
    set_weights(*layer, c);
    // The GRU's bias is Keras 2's single row (3 * units,).
    EXPECT_EQ(layer->bias()->value.shape(), c.tensors.at("bias").shape());
    autograd::Variable x(c.tensors.at("x").clone(), true);
    std::vector<autograd::Variable> states;
    for (const char* s : {"h0", "c0"})
      if (c.tensors.count(s)) states.emplace_back(c.tensors.at(s).clone(), true);
    std::vector<autograd::Variable*> initial;
    for (auto& s : states) initial.push_back(&s);
    autograd::Tape tape;
    const auto outs = layer->call(&tape, x, initial, true);
    ASSERT_EQ(outs.size(), c.tensors.count("state_c") ? 3u : 2u);
    testing::expect_close(outs[0]->value, c.tensors.at("sequences"), "sequences", 1e-5f);
    testing::expect_close(outs[1]->value, c.tensors.at("state_h"), "state_h", 1e-5f);
    if (outs.size() == 3) testing::expect_close(outs[2]->value, c.tensors.at("state_c"), "state_c", 1e-5f);
    tape.backward(*outs[0], c.tensors.at("seed"));
    testing::expect_close(x.grad, c.tensors.at("grad_x"), "grad_x", 5e-5f);
    testing::expect_close(layer->kernel().grad, c.tensors.at("grad_kernel"), "grad_kernel", 5e-5f);
    testing::expect_close(layer->recurrent_kernel().grad, c.tensors.at("grad_recurrent_kernel"),
                          "grad_recurrent_kernel", 5e-5f);
    testing::expect_close(layer->bias()->grad, c.tensors.at("grad_bias"), "grad_bias", 5e-5f);
    if (!states.empty()) testing::expect_close(states[0].grad, c.tensors.at("grad_h0"), "grad_h0", 5e-5f);
    if (states.size() > 1) testing::expect_close(states[1].grad, c.tensors.at("grad_c0"), "grad_c0", 5e-5f);
    ++checked;
  }
  EXPECT_EQ(checked, 20);
}

// Two consecutive chunks through a stateful layer, then reset_states(): the second chunk continues
// from the first's final states, the third (after the reset) starts from zeros.
TEST(RecurrentLayers, StatefulAgreesWithTfjs) {
  int checked = 0;
  for (const auto& c : testing::load_reference_cases("recurrent_keras2.txt")) {
    if (!c.options.count("stateful")) continue;
    SCOPED_TRACE(c.name);
    auto layer = make(c.options, true);
    set_weights(*layer, c);
    autograd::Variable x1(c.tensors.at("x").clone()), x2(c.tensors.at("x2").clone());
    testing::expect_close((*layer)(nullptr, x1, false).value, c.tensors.at("sequences"), "first", 1e-5f);
    testing::expect_close((*layer)(nullptr, x2, true).value, c.tensors.at("sequences2"), "second", 1e-5f);
    layer->reset_states();
    testing::expect_close((*layer)(nullptr, x2, false).value, c.tensors.at("sequences_reset"), "reset",
                          1e-5f);
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

}  // namespace
}  // namespace soma

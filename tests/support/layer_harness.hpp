#pragma once
// The generic layer test (after dlib's test_layer): build for an input shape, check the output shape and
// the parameter count, and gradient-check the input and every trainable weight through the layer.
#include "soma/layers/layer.hpp"
#include "support/gradcheck.hpp"

namespace soma::testing {

struct LayerExpectation {
  Shape input;   // per-sample
  Shape output;  // per-sample
  int64_t params = 0;
  int64_t batch = 3;
  bool training = false;
  GradCheckOptions tolerances = {};
};

inline void check_layer(layers::Layer& layer, const LayerExpectation& e) {
  layer.build(e.input);
  EXPECT_EQ(layer.output_shape(e.input), e.output) << layer.name();
  EXPECT_EQ(layer.count_params(), e.params) << layer.name();
  autograd::Variable x(random_tensor(e.input.with_batch(e.batch)), true);
  {
    autograd::Variable probe(x.value.clone());
    EXPECT_EQ(layer(nullptr, probe, e.training).value.shape(), e.output.with_batch(e.batch)) << layer.name();
  }
  std::vector<autograd::Variable*> inputs{&x};
  for (auto* w : layer.trainable_weights()) {
    // Non-zero weights (biases start at zero) so every path carries signal.
    for (auto& v : w->value.span<float>()) v = random::uniform(-1.0f, 1.0f);
    inputs.push_back(w);
  }
  gradcheck([&](autograd::Tape* t, auto& in) -> autograd::Variable& { return layer(t, *in[0], e.training); },
            inputs, e.tolerances);
}

}  // namespace soma::testing

// Optimizer state belongs to a Variable, not to a position in the parameter list: freezing a layer or
// adding one between two fit() calls once made Adam apply one layer's moments to another (same shapes:
// silently wrong numbers) or read past its slot vector (different shapes).
#include <gtest/gtest.h>

#include <cstring>

#include "soma/layers/dense.hpp"
#include "soma/models/sequential.hpp"
#include "soma/models/saving.hpp"
#include "support/gradcheck.hpp"
#include "support/optimizer_makers.hpp"

namespace soma {
namespace {

using autograd::Variable;

void set_grad(Variable& v, float g) {
  v.grad = Tensor::empty(v.value.shape());
  for (int64_t i = 0; i < v.grad.numel(); ++i) v.grad.f32()[i] = g * static_cast<float>(i + 1) - 0.3f;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.f32(), b.f32(), static_cast<size_t>(a.numel()) * 4) == 0;
}

// b is updated with a, then alone (a frozen), then with a again. b must follow an optimizer that only ever
// saw b; a must follow one that saw a every step but got no gradient for it while frozen (Keras skips a
// variable without a gradient, state untouched), so a's state is carried over the gap.
TEST(KeyedOptimizerState, LeavingAParameterOutKeepsEveryonesOwnState) {
  for (const auto& make : test::makers()) {
    auto opt = make(), ref_b = make(), ref_ab = make();
    SCOPED_TRACE(opt->name());
    Variable a(Tensor::from_vector(std::vector<float>{0.5f, -1.0f, 2.0f}), true, "a");
    Variable b(Tensor::from_vector(std::vector<float>{1.0f, 0.25f, -0.5f}), true, "b");  // same shape as a
    Variable b2(b.value.clone(), true, "b"), a3(a.value.clone(), true, "a"), b3(b.value.clone(), true, "b");
    const float grads[] = {0.9f, -0.4f, 0.7f, 0.2f, -0.6f};
    for (int s = 0; s < 5; ++s) {
      const bool with_a = s != 1 && s != 2;
      set_grad(a, grads[s]);
      set_grad(a3, grads[s]);
      if (!with_a) a3.grad = Tensor();
      for (Variable* v : {&b, &b2, &b3}) set_grad(*v, -grads[s]);
      std::vector<Variable*> list;
      if (with_a) list.push_back(&a);
      list.push_back(&b);
      opt->apply(list);
      Variable* only_b[] = {&b2};
      ref_b->apply(only_b);
      Variable* both[] = {&a3, &b3};
      ref_ab->apply(both);
      EXPECT_TRUE(same_bits(b.value, b2.value)) << "b at step " << s;
      EXPECT_TRUE(same_bits(b.value, b3.value)) << "b at step " << s;
      EXPECT_TRUE(same_bits(a.value, a3.value)) << "a at step " << s;
    }
  }
}

// A parameter that joins later gets fresh state, as if it were new: the same values as an optimizer at the
// same iteration count that never saw it before.
TEST(KeyedOptimizerState, AParameterAddedLaterStartsFromFreshState) {
  for (const auto& make : test::makers()) {
    auto opt = make(), ref = make();
    SCOPED_TRACE(opt->name());
    Variable a(Tensor::from_vector(std::vector<float>{0.5f, -1.0f, 2.0f}), true, "a");
    Variable c(Tensor::from_vector(std::vector<float>{3.0f, 1.0f}), true, "c");
    Variable d(Tensor::from_vector(std::vector<float>{0.1f, 0.2f, 0.3f}), true, "d");  // ref's stand-in for a
    Variable c2(c.value.clone(), true, "c");
    for (int s = 0; s < 4; ++s) {
      set_grad(a, 0.3f * static_cast<float>(s + 1));
      set_grad(d, 0.3f * static_cast<float>(s + 1));
      set_grad(c, -0.5f + 0.25f * static_cast<float>(s));
      set_grad(c2, -0.5f + 0.25f * static_cast<float>(s));
      std::vector<Variable*> list{&a}, ref_list{&d};
      if (s >= 2) {
        list.push_back(&c);
        ref_list.push_back(&c2);
      }
      opt->apply(list);
      ref->apply(ref_list);
      EXPECT_TRUE(same_bits(c.value, c2.value)) << "step " << s;
    }
  }
}

Sequential two_layer_model() {
  Sequential m;
  m.add(layers::Dense({.units = 5, .activation = "tanh", .input_shape = {4}}));
  m.add(layers::Dense({.units = 3}));
  m.compile({.optimizer = optimizers::Adam{}, .loss = "mse"});
  return m;
}

// The model-level case the review reproduced: fit, freeze the first layer, fit again. Before, the second
// layer's update read the first layer's moments (a (4, 5) slot for a (5, 3) kernel) and threw a StateError
// with a garbage message; now the frozen layer stays put and the other continues with its own moments,
// exactly as a model resumed from a file (state matched by name) does.
TEST(KeyedOptimizerState, FreezingALayerBetweenFitsKeepsTheOthersMoments) {
  set_seed(7);
  const Tensor x = testing::random_tensor({32, 4}), y = testing::random_tensor({32, 3});
  set_seed(8);
  Sequential m = two_layer_model();
  m.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});
  const std::string path = ::testing::TempDir() + "keyed_state.soma";
  m.save(path);
  m.layer(0).set_trainable(false);
  const Tensor frozen = m.layer(0).weights()[0]->value.clone();
  ASSERT_NO_THROW(m.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false}));
  EXPECT_TRUE(same_bits(m.layer(0).weights()[0]->value, frozen));

  Sequential resumed = load_model(path);
  resumed.layer(0).set_trainable(false);
  resumed.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});
  for (size_t i = 0; i < m.weights().size(); ++i)
    EXPECT_TRUE(same_bits(m.weights()[i]->value, resumed.weights()[i]->value)) << m.weights()[i]->name;

  // Unfrozen again, the first layer continues from its own moments: the same as a model that saved them.
  m.layer(0).set_trainable(true);
  resumed.layer(0).set_trainable(true);
  m.save(path);
  Sequential again = load_model(path);
  m.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});
  again.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false});
  for (size_t i = 0; i < m.weights().size(); ++i)
    EXPECT_TRUE(same_bits(m.weights()[i]->value, again.weights()[i]->value)) << m.weights()[i]->name;
}

}  // namespace
}  // namespace soma

// The functional API: graphs of layers, shared layers, several inputs and outputs, nested models,
// functional configs, save/load, custom layers, summaries and the errors of each.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "soma/soma.hpp"
#include "support/allocation_counter.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("soma_fn_" + std::to_string(::getpid()) + "_" + name)).string();
}

Tensor randn(const Shape& s, float scale = 1.0f) {
  Tensor t = Tensor::empty(s);
  for (auto& v : t.span<float>()) v = random::normal(0.0f, scale);
  return t;
}

// A small residual network: conv-BN-relu blocks with an Add shortcut (a 1x1 projection where the width
// changes), global pooling and a softmax. Batch-norm momentum 0.9 so a short run's moving statistics
// settle and evaluate (moving statistics) sees the network fit (batch statistics) trained.
Model small_resnet(const std::string& name = "resnet") {
  auto x = Input({8, 8, 1}, {.name = "image"});
  auto h = L::Conv2D({.filters = 4, .kernel_size = {3, 3}, .padding = "same"})(x);
  h = L::BatchNormalization({.momentum = 0.9f})(h);
  h = L::ReLU()(h);
  auto y = L::Conv2D({.filters = 4, .kernel_size = {3, 3}, .padding = "same"})(h);
  y = L::BatchNormalization({.momentum = 0.9f})(y);
  h = L::ReLU()(y + h);
  auto wide = L::Conv2D({.filters = 6, .kernel_size = {3, 3}, .strides = {2, 2}, .padding = "same"})(h);
  auto shortcut = L::Conv2D({.filters = 6, .kernel_size = {1, 1}, .strides = {2, 2}})(h);
  h = L::Activation("relu")(L::Add()({wide, shortcut}));
  h = L::GlobalAveragePooling2D()(h);
  auto out = L::Dense({.units = 3, .activation = "softmax"})(h);
  return Model({x}, {out}, name);
}

// Three classes of noisy 8x8 images.
std::pair<Tensor, Tensor> image_blobs(int64_t n) {
  Tensor x = randn({n, 8, 8, 1}, 0.5f), y = Tensor::zeros({n, 3});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 3;
    // Stripes a convolution can tell apart anywhere in the image: horizontal, vertical, checkerboard.
    for (int64_t r = 0; r < 8; ++r)
      for (int64_t col = 0; col < 8; ++col)
        if ((c == 0 ? r : c == 1 ? col : r + col) % 2 == 0) x.f32()[i * 64 + r * 8 + col] += 1.5f;
    y.f32()[i * 3 + c] = 1.0f;
  }
  return {x, y};
}

TEST(Functional, BuildsAGraphAndNamesItsParts) {
  set_seed(1);
  Model m = small_resnet();
  EXPECT_EQ(m.type(), "Functional");
  EXPECT_EQ(m.input_names(), std::vector<std::string>{"image"});
  EXPECT_EQ(m.output_shape(), (Shape{3}));
  EXPECT_EQ(m.layers().front()->type(), "InputLayer");
  EXPECT_EQ(m.get_layer("image").type(), "InputLayer");
  // 4 convs (3x3x1x4+4, 3x3x4x4+4, 3x3x4x6+6, 1x1x4x6+6), 2 BNs (4 x 4 each), Dense (6x3+3).
  EXPECT_EQ(m.count_params(), 40 + 148 + 222 + 30 + 16 + 16 + 21);
  const std::string s = m.summary_string();
  expect_contains(s, {"Connected to", "image (InputLayer)", "(None, 8, 8, 1)", "(Add)", "Total params: 493"});
  EXPECT_NE(s.find("image[0][0]"), std::string::npos) << s;
}

TEST(Functional, TrainsAResidualNetwork) {
  set_seed(2);
  auto [x, y] = image_blobs(96);
  Model m = small_resnet();
  m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  const History h = m.fit(x, y, {.batch_size = 16, .epochs = 10, .verbose = 0});
  EXPECT_LT(h["loss"].back(), h["loss"].front());
  EXPECT_GT(m.evaluate(x, y, {.verbose = 0}).at("accuracy"), 0.8);
  // fit and evaluate agree on the loss at learning rate 0 (the review's complaint, for graphs too).
  m.optimizer().set_learning_rate(0.0f);
  const History h0 = m.fit(x, y, {.batch_size = 96, .epochs = 1, .verbose = 0, .shuffle = false});
  EXPECT_NEAR(h0.last("loss"), m.evaluate(x, y, {.batch_size = 96, .verbose = 0}).at("loss"), 0.05);
}

TEST(Functional, SequentialAndFunctionalChainsAgreeBitForBit) {
  set_seed(3);
  Sequential s;
  s.add(L::Dense({.units = 5, .activation = "tanh", .input_shape = {4}, .name = "a"}));
  s.add(L::Dense({.units = 2, .name = "b"}));
  auto x = Input({4});
  auto y = L::Dense({.units = 2, .name = "b2"})(L::Dense({.units = 5, .activation = "tanh", .name = "a2"})(x));
  Model f({x}, {y});
  f.set_weights(s.get_weights());
  const Tensor in = randn({7, 4});
  EXPECT_EQ(s.predict(in).to_vector<float>(), f.predict(in).to_vector<float>());
  EXPECT_EQ(s.type(), "Sequential");
  EXPECT_EQ(s.layers().size(), 2u);  // a Sequential lists no InputLayer
  EXPECT_EQ(s.layer(1).output().shape(), (Shape{2}));
}

// A layer called twice shares its weights; its gradient is the sum over both calls.
TEST(Functional, SharedLayerGradientPassesFiniteDifferences) {
  set_seed(4);
  auto a = Input({3}), b = Input({3});
  auto shared = shared_layer(L::Dense({.units = 2, .activation = "tanh"}));
  auto out = L::Concatenate()({shared(a), shared(b)});
  Model m({a, b}, {out});
  EXPECT_EQ(m.trainable_weights().size(), 2u);
  EXPECT_EQ(shared->inbound_nodes().size(), 2u);
  autograd::Variable xa(randn({4, 3}), true), xb(randn({4, 3}), true);
  std::vector<autograd::Variable*> inputs{&xa, &xb};
  for (auto* w : m.trainable_weights()) {
    for (auto& v : w->value.span<float>()) v = random::uniform(-1.0f, 1.0f);
    inputs.push_back(w);
  }
  layers::CallFrame frame;
  std::vector<autograd::Variable*> outs;
  testing::gradcheck(
      [&](autograd::Tape* t, std::vector<autograd::Variable*>& in) -> autograd::Variable& {
        m.call_multi(frame, t, std::span<autograd::Variable* const>(in.data(), 2), outs, false);
        return *outs[0];
      },
      inputs);
}

// Two outputs with per-output losses and loss_weights: the reported losses and one SGD step match a
// computation by hand.
TEST(Functional, TwoOutputLossWeightsMatchAHandComputation) {
  auto x = Input({2}, {.name = "x"});
  auto first = L::Dense({.units = 1, .use_bias = false, .name = "first"})(x);
  auto second = L::Dense({.units = 1, .use_bias = false, .name = "second"})(x);
  Model m({x}, {first, second});
  const float w1 = 0.3f, w2 = 2.0f, lr = 0.1f;
  m.compile({.optimizer = optimizers::SGD({.learning_rate = lr}),
             .losses = {{"first", "mse"}, {"second", "mae"}},
             .loss_weights = {{"first", w1}, {"second", w2}}});
  auto& k1 = static_cast<L::Dense&>(m.get_layer("first")).kernel();
  auto& k2 = static_cast<L::Dense&>(m.get_layer("second")).kernel();
  k1.value.copy_from(Tensor::from_vector<float>({0.5f, -1.0f}, {2, 1}));
  k2.value.copy_from(Tensor::from_vector<float>({1.0f, 0.25f}, {2, 1}));
  const Tensor xs = Tensor::from_vector<float>({1.0f, 2.0f, -1.0f, 0.5f}, {2, 2});
  const Tensor y1 = Tensor::from_vector<float>({0.0f, 1.0f}, {2, 1}), y2 = Tensor::from_vector<float>({2.0f, -1.0f}, {2, 1});
  // first: p = (-1.5, -1.0); mse = ((1.5)^2 + (2)^2) / 2 = 3.125. second: p = (1.5, -0.875); mae = (0.5 + 0.125) / 2.
  const double mse = 3.125, mae = 0.3125, total = w1 * mse + w2 * mae;
  const auto logs = m.evaluate(xs, {y1, y2}, {.verbose = 0});
  EXPECT_NEAR(logs.at("loss"), total, 1e-6);
  EXPECT_NEAR(logs.at("first_loss"), mse, 1e-6);
  EXPECT_NEAR(logs.at("second_loss"), mae, 1e-6);
  const auto step = m.train_on_batch(xs, {{"first", y1}, {"second", y2}});
  EXPECT_NEAR(step.at("loss"), total, 1e-6);
  // d mse / d k1 = 2/n sum (p - y) x = ((-1.5)(1, 2) + (-2)(-1, 0.5)) = (0.5, -4); times w1.
  // d mae / d k2 = 1/n sum sign(p - y) x = ((-1)(1, 2) + (1)(-1, 0.5)) / 2 = (-1, -0.75); times w2.
  const std::vector<float> want1{0.5f - lr * w1 * 0.5f, -1.0f - lr * w1 * -4.0f};
  const std::vector<float> want2{1.0f - lr * w2 * -1.0f, 0.25f - lr * w2 * -0.75f};
  const auto got1 = k1.value.to_vector<float>(), got2 = k2.value.to_vector<float>();
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(got1[i], want1[i], 1e-6);
    EXPECT_NEAR(got2[i], want2[i], 1e-6);
  }
}

TEST(Functional, SeveralInputsAndOutputsByListOrName) {
  set_seed(5);
  auto img = Input({6}, {.name = "img"}), flag = Input({1}, {.name = "flag"});
  auto h = L::Dense({.units = 8, .activation = "relu"})(L::Concatenate()({img, flag}));
  auto cls = L::Dense({.units = 3, .activation = "softmax", .name = "cls"})(h);
  auto bit = L::Dense({.units = 1, .activation = "sigmoid", .name = "bit"})(h);
  Model m({img, flag}, {cls, bit}, "two");
  m.compile({.optimizer = "adam",
             .losses = {"categorical_crossentropy", "binary_crossentropy"},
             .output_metrics = {{"cls", {"accuracy"}}, {"bit", {"accuracy"}}}});
  const Tensor xi = randn({40, 6}), xf = randn({40, 1});
  Tensor yc = Tensor::zeros({40, 3}), yb = Tensor::zeros({40, 1});
  for (int i = 0; i < 40; ++i) {
    yc.f32()[i * 3 + i % 3] = 1.0f;
    yb.f32()[i] = static_cast<float>(i % 2);
  }
  const History hist = m.fit({{"img", xi}, {"flag", xf}}, {yc, yb}, {.batch_size = 8, .epochs = 2, .verbose = 0,
                                                                      .validation_split = 0.25f});
  for (const char* k : {"loss", "cls_loss", "bit_loss", "cls_accuracy", "bit_accuracy", "val_loss", "val_cls_accuracy"})
    EXPECT_EQ(hist[k].size(), 2u) << k;
  const auto p = m.predict({xi, xf});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].shape(), (Shape{40, 3}));
  EXPECT_EQ(p[1].shape(), (Shape{40, 1}));
  std::ostringstream out;
  m.fit({xi, xf}, {yc, yb}, {.batch_size = 20, .epochs = 1, .verbose = 2, .out = &out});
  expect_contains(out.str(), {"cls_loss: ", "bit_accuracy: "});
  // Errors name what is wrong.
  expect_contains(message_of<ValueError>([&] { m.predict(xi); }), {"2 outputs", "predict(std::vector<Tensor>{x})"});
  expect_contains(message_of<ValueError>([&] { m.predict(std::vector<Tensor>{xi}); }), {"received 1 x tensors for 2 inputs", "img, flag"});
  expect_contains(message_of<ValueError>([&] { m.predict(std::map<std::string, Tensor>{{"img", xi}, {"image", xf}}); }),
                  {"names input \"image\"", "img, flag"});
  expect_contains(message_of<ShapeError>([&] { m.predict({xf, xi}); }), {"expected input of shape (None, 6)", "x[\"img\"]"});
  expect_contains(message_of<ValueError>([&] { m.compile({.optimizer = "sgd", .losses = {{"clz", "mse"}}}); }),
                  {"names an output \"clz\"", "cls, bit"});
  expect_contains(message_of<ValueError>([&] { m.compile({.optimizer = "sgd", .losses = {"mse"}}); }),
                  {"lists 1 values for 2 outputs"});
  expect_contains(message_of<ValueError>([&] {
                    m.fit({xi, xf}, {yc, yb}, {.verbose = 0, .class_weight = {{0, 2.0f}}});
                  }),
                  {"class_weight", "one output"});
}

TEST(Functional, ModelsNestAndFeatureExtractorsShareWeights) {
  set_seed(6);
  auto x = Input({4});
  auto h = L::Dense({.units = 3, .activation = "relu", .name = "hidden"})(x);
  auto y = L::Dense({.units = 2, .name = "head"})(h);
  auto inner = shared_layer(Model({x}, {y}, "inner"));
  Model features(inner->inputs(), inner->get_layer("hidden").output(), "features");
  EXPECT_EQ(features.output_shape(), (Shape{3}));
  EXPECT_EQ(features.trainable_weights()[0], inner->trainable_weights()[0]);  // the same Variable
  auto a = Input({4}), b = Input({4});
  auto diff = inner(a) - inner(b);
  Model outer({a, b}, {diff}, "outer");
  EXPECT_EQ(outer.trainable_weights().size(), 4u);
  const Tensor xa = randn({5, 4}), xb = randn({5, 4});
  const auto got = outer.predict({xa, xb})[0].to_vector<float>();
  const auto pa = inner->predict(xa).to_vector<float>(), pb = inner->predict(xb).to_vector<float>();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], pa[i] - pb[i]);
  outer.compile({.optimizer = optimizers::SGD({.learning_rate = 0.5f}), .loss = "mse"});
  const Tensor before = features.predict(xa).clone();
  outer.fit({xa, xb}, Tensor::ones({5, 2}), {.batch_size = 5, .epochs = 1, .verbose = 0});
  EXPECT_NE(features.predict(xa).to_vector<float>(), before.to_vector<float>()) << "training outer moved the shared weights";
  expect_contains(outer.summary_string(), {"inner (Functional)", "input_layer"});
}

TEST(Functional, GraphErrorsAreClear) {
  auto x = Input({4}, {.name = "in_a"}), other = Input({4}, {.name = "in_b"});
  auto y = L::Add()({L::Dense({.units = 4})(x), other});
  expect_contains(message_of<ValueError>([&] { Model({x}, {y}); }), {"graph disconnected", "in_b", "Pass it among"});
  L::Dense stack_layer({.units = 2});
  expect_contains(message_of<ValueError>([&] { stack_layer(x); }), {"must live in the graph", "shared_layer"});
  expect_contains(message_of<ShapeError>([&] { L::Add()({x, Input({3})}); }), {"cannot be merged", "(None, 4)", "(None, 3)"});
  expect_contains(message_of<ValueError>([&] { L::Subtract()({x, x, x}); }), {"exactly 2 inputs"});
  auto d = shared_layer(L::Dense({.units = 2}));
  d(x);
  expect_contains(message_of<ShapeError>([&] { d(Input({5})); }), {"was built for input (None, 4)"});
  expect_contains(message_of<ValueError>([&] { Model({x, x}, {y}); }), {"listed twice"});
  auto z = L::Dense({.units = 2, .name = "twin"})(x);
  auto w = L::Dense({.units = 2, .name = "twin"})(z);
  expect_contains(message_of<ValueError>([&] { Model({x}, {w}); }), {"unique names", "twin"});
  expect_contains(message_of<ValueError>([&] { d->output_at(3); }), {"no call 3"});
}

TEST(Functional, ConfigRoundTripsInKeras3Layout) {
  set_seed(7);
  Model m = small_resnet("cfg");
  const Config c = m.get_config();
  ASSERT_TRUE(c.contains("input_layers"));
  EXPECT_EQ(c["input_layers"][0][0], "image");
  EXPECT_EQ(c["layers"][0]["class_name"], "InputLayer");
  EXPECT_EQ(c["layers"][0]["config"]["batch_shape"], Config::parse("[null, 8, 8, 1]"));
  size_t add_at = 0;
  while (c["layers"][add_at]["class_name"] != "Add" || c["layers"][add_at]["inbound_nodes"][0]["args"][0].size() != 2) ++add_at;
  const Config& add = c["layers"][add_at];
  EXPECT_EQ(add["class_name"], "Add");
  EXPECT_EQ(add["inbound_nodes"][0]["args"][0].size(), 2u);
  EXPECT_EQ(add["inbound_nodes"][0]["args"][0][0]["class_name"], "__keras_tensor__");
  Model again = Model::from_config(c);
  EXPECT_EQ(again.get_config(), c);
  EXPECT_EQ(again.count_params(), m.count_params());
  // Keras 2's spellings read the same: batch_input_shape and nested-list inbound nodes.
  const Config k2 = Config::parse(R"({"name": "k2", "layers": [
      {"class_name": "InputLayer", "name": "inp", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "inp"}, "inbound_nodes": []},
      {"class_name": "Dense", "name": "d1", "config": {"units": 2, "name": "d1"}, "inbound_nodes": [[["inp", 0, 0, {}]]]},
      {"class_name": "Dense", "name": "d2", "config": {"units": 2, "name": "d2"}, "inbound_nodes": [[["inp", 0, 0, {}]]]},
      {"class_name": "Add", "name": "sum", "config": {"name": "sum"}, "inbound_nodes": [[["d1", 0, 0, {}], ["d2", 0, 0, {}]]]}],
      "input_layers": [["inp", 0, 0]], "output_layers": [["sum", 0, 0]]})");
  Model from_k2 = Model::from_config(k2);
  EXPECT_EQ(from_k2.output_shape(), (Shape{2}));
  Config broken = c;
  broken["layers"][add_at]["inbound_nodes"][0]["args"][0][0]["config"]["keras_history"][0] = "nowhere";
  expect_contains(message_of<ValueError>([&] { Model::from_config(broken); }), {"nowhere", "not in the config"});
  Config cyc = k2;
  cyc["layers"][1]["inbound_nodes"] = Config::parse(R"([[["sum", 0, 0, {}]]])");
  cyc["layers"][1]["config"]["units"] = 2;
  expect_contains(message_of<ValueError>([&] { Model::from_config(cyc); }), {"never made"});
}

TEST(Functional, SavedModelPredictsTheSameBitsAndResumesExactly) {
  set_seed(8);
  auto [x, y] = image_blobs(48);
  const std::string path = temp_path("resnet.soma");
  Model a = small_resnet("saved");
  a.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  a.fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0});
  a.save(path);
  Model b = load_model(path);
  EXPECT_EQ(b.type(), "Functional");
  EXPECT_EQ(a.predict(x).to_vector<float>(), b.predict(x).to_vector<float>());
  // Both continue from the same state: the same weights after two more epochs each.
  const std::string rng = random::state();
  a.fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0});
  random::set_state(rng);
  b.fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0});
  const auto wa = a.get_weights(), wb = b.get_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_EQ(wa[i].to_vector<float>(), wb[i].to_vector<float>()) << i;
  // A two-output model keeps its per-output compile arguments.
  auto in = Input({3});
  Model two({in}, {L::Dense({.units = 1, .name = "o1"})(in), L::Dense({.units = 2, .activation = "softmax", .name = "o2"})(in)});
  two.compile({.optimizer = "sgd", .losses = {"mse", "categorical_crossentropy"}, .loss_weights = {0.5f, 2.0f},
               .output_metrics = {{"o2", {"accuracy"}}}});
  two.save(path);
  Model two_again = load_model(path);
  EXPECT_EQ(two_again.loss(1).name(), "categorical_crossentropy");
  EXPECT_EQ(two_again.loss_weights(), (std::vector<float>{0.5f, 2.0f}));
  expect_contains(message_of<ValueError>([&] { Sequential s = load_model(path); }), {"not a Sequential"});
  std::filesystem::remove(path);
}

TEST(Functional, CloneModelHasTheArchitectureAndFreshWeights) {
  set_seed(9);
  Model m = small_resnet("orig");
  Model c = clone_model(m);
  EXPECT_EQ(c.get_config(), m.get_config());
  EXPECT_NE(c.trainable_weights()[0], m.trainable_weights()[0]);
  EXPECT_NE(c.get_weights()[0].to_vector<float>(), m.get_weights()[0].to_vector<float>());
}

// A user's layer with its own op (forward and backward) in a graph and in a saved file.
class CubeOp final : public autograd::Node {
 public:
  autograd::Variable& forward(autograd::Tape* tape, autograd::Variable& x) {
    x_ = &x;
    out.value.resize(x.value.shape());
    for (int64_t i = 0; i < x.value.numel(); ++i) out.value.f32()[i] = std::pow(x.value.f32()[i], 3.0f);
    finish_forward(tape, out, x.requires_grad);
    return out;
  }
  void backward(autograd::Tape& tape) override {
    if (!tape.has_grad(out) || !x_->requires_grad) return;
    tape.write_grad(*x_, scratch_, [&](Tensor& d) {
      for (int64_t i = 0; i < d.numel(); ++i)
        d.f32()[i] = out.grad.f32()[i] * 3.0f * x_->value.f32()[i] * x_->value.f32()[i];
    });
  }
  autograd::Variable out;

 private:
  autograd::Variable* x_ = nullptr;
  Tensor scratch_;
};

class Cube final : public L::Layer {
 public:
  SOMA_LAYER(Cube)
  explicit Cube(std::string name = "") : Layer("cube", name, {}) {}
  std::string type() const override { return "Cube"; }
  Shape output_shape(const Shape& in) const override { return in; }
  Config get_config() const override { return {{"name", name()}}; }

 protected:
  autograd::Variable& forward(L::CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) override {
    return frame.get<CubeOp>().forward(tape, x);
  }
};

// A user's layer composed of existing ops: a gated linear unit, x * sigmoid(x W + b). Its ops live in
// the call frame (frame.get<Ops>()), so it is reentrant like soma's own layers.
class Glu final : public L::Layer {
 public:
  SOMA_LAYER(Glu)
  explicit Glu(std::string name = "") : Layer("glu", name, {}) {}
  std::string type() const override { return "Glu"; }
  Shape output_shape(const Shape& in) const override { return in; }
  Config get_config() const override { return {{"name", name()}}; }

 protected:
  void build_weights(const Shape& in) override {
    kernel_ = &add_weight("kernel", Shape{in[-1], in[-1]}, "glorot_uniform");
    bias_ = &add_weight("bias", Shape{in[-1]}, "zeros");
  }
  autograd::Variable& forward(L::CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool) override {
    Ops& ops = frame.get<Ops>();
    autograd::Variable& gate = ops.gate.forward(tape, ops.linear.forward(tape, x, *kernel_, bias_, false), sigmoid_);
    autograd::Variable* both[] = {&x, &gate};
    return ops.product.forward(tape, both, autograd::Elementwise::multiply);
  }

 private:
  struct Ops {
    autograd::LinearOp linear;
    autograd::ActivationOp gate;
    autograd::ElementwiseOp product;
  };
  activations::Activation sigmoid_ = activations::get("sigmoid");
  autograd::Variable* kernel_ = nullptr;
  autograd::Variable* bias_ = nullptr;
};

TEST(Functional, CustomLayersJoinGraphsAndFiles) {
  L::register_layer("Glu", [](const Config& c) { return std::make_unique<Glu>(c.at("name").get<std::string>()); });
  {
    set_seed(12);
    auto x = Input({3});
    Model m({x}, {L::Dense({.units = 2})(Glu()(x))}, "composed");
    autograd::Variable in(randn({4, 3}), true);
    std::vector<autograd::Variable*> inputs{&in};
    for (auto* w : m.trainable_weights()) inputs.push_back(w);
    EXPECT_EQ(inputs.size(), 5u);
    testing::gradcheck([&](autograd::Tape* t, auto& v) -> autograd::Variable& { return m(t, *v[0], false); }, inputs);
    // Against the formula, computed directly from the weights.
    const Tensor probe = randn({2, 3});
    const Tensor h = m.layer_outputs(probe)[0];  // the Glu's (a functional model's steps exclude inputs)
    const auto& k = m.get_layer("glu").weights()[0]->value;
    const auto& b = m.get_layer("glu").weights()[1]->value;
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t j = 0; j < 3; ++j) {
        double z = b.f32()[j];
        for (int64_t i = 0; i < 3; ++i) z += probe.f32()[r * 3 + i] * k.f32()[i * 3 + j];
        EXPECT_NEAR(h.f32()[r * 3 + j], probe.f32()[r * 3 + j] / (1 + std::exp(-z)), 1e-5);
      }
    m.compile({.optimizer = "sgd", .loss = "mse"});
    const std::string path = temp_path("glu.soma");
    m.save(path);
    EXPECT_EQ(load_model(path).predict(probe).to_vector<float>(), m.predict(probe).to_vector<float>());
    std::filesystem::remove(path);
  }
  L::register_layer("Cube", [](const Config& c) { return std::make_unique<Cube>(c.at("name").get<std::string>()); });
  set_seed(10);
  auto x = Input({3});
  auto y = L::Dense({.units = 2})(Cube()(x));
  Model m({x}, {y}, "custom");
  autograd::Variable in(randn({4, 3}), true);
  std::vector<autograd::Variable*> inputs{&in};
  for (auto* w : m.trainable_weights()) inputs.push_back(w);
  testing::gradcheck([&](autograd::Tape* t, auto& v) -> autograd::Variable& { return m(t, *v[0], false); }, inputs);
  m.compile({.optimizer = "sgd", .loss = "mse"});
  const std::string path = temp_path("cube.soma");
  m.save(path);
  Model back = load_model(path);
  const Tensor probe = randn({2, 3});
  EXPECT_EQ(back.predict(probe).to_vector<float>(), m.predict(probe).to_vector<float>());
  std::filesystem::remove(path);
}

// The steady-state training step of a graph (convolutions, batch norm, residual Adds) allocates nothing.
TEST(Functional, ResNetTrainingStepsDoNotAllocate) {
  if (!testing::kCountsMalloc) GTEST_SKIP() << "the sanitizer runtime owns malloc here; the release build checks this";
  set_seed(11);
  auto [x, y] = image_blobs(160);
  Model m = small_resnet("alloc");
  m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  m.fit(x, y, {.batch_size = 16, .epochs = 1, .verbose = 0});
  const Tensor xs = x.rows(0, 48), ys = y.rows(0, 48);
  const auto small = testing::count_allocations([&] { m.fit(xs, ys, {.batch_size = 16, .verbose = 0}); });
  const auto large = testing::count_allocations([&] { m.fit(x, y, {.batch_size = 16, .verbose = 0}); });
  EXPECT_EQ(large.soma, small.soma);
  EXPECT_GT(small.soma, 0);
}

}  // namespace
}  // namespace soma

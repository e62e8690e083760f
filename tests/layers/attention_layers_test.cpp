// Attention and AdditiveAttention against PyTorch (tests/reference/attention_layers.py: Keras 3's formulas
// in torch ops): outputs, scores and the gradients of every input and weight for dot, scaled dot, concat
// and additive scores, with causal masks, value masks, query masks and an own key. Then the additive
// score op's thread split, the harness, graphs with masks from Embedding, dropout, and errors.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/gradcheck.hpp"
#include "support/layer_harness.hpp"
#include "support/reference_cases.hpp"
#include "support/two_output_loss.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;
using testing::check_layer;
using testing::expect_close;

std::unique_ptr<L::BaseAttention> make(const std::string& mode, bool use_scale) {
  if (mode == "additive") return std::make_unique<L::AdditiveAttention>(L::AdditiveAttentionOptions{.use_scale = use_scale});
  return std::make_unique<L::Attention>(L::AttentionOptions{.use_scale = use_scale, .score_mode = mode});
}

float run_reference_cases() {
  const auto cases = testing::load_reference_cases("attention_layers.txt");
  EXPECT_EQ(cases.size(), 8u);
  float worst = 0.0f;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto& t = c.tensors;
    const bool use_scale = c.options.at("use_scale") == "1", scores = c.options.at("scores") == "1";
    auto layer = make(c.options.at("mode"), use_scale);
    const bool own_key = t.count("key") > 0;
    L::CallArguments args;
    if (c.options.at("causal") == "1") args.set("use_causal_mask", "true");
    if (scores) args.set("return_attention_scores", "true");
    autograd::Variable query(t.at("query").clone(), true), value(t.at("value").clone(), true);
    autograd::Variable key(own_key ? t.at("key").clone() : Tensor(), true);
    if (t.count("query_mask")) query.mask = t.at("query_mask").clone();
    if (t.count("value_mask")) value.mask = t.at("value_mask").clone();
    std::vector<autograd::Variable*> in{&query, &value};
    if (own_key) in.push_back(&key);
    std::vector<Shape> shapes;
    for (auto* v : in) shapes.push_back(v->value.shape().without_batch());
    layer->build_node(shapes, args);
    const auto out_shapes = layer->node_output_shapes(shapes, args);
    EXPECT_EQ(out_shapes[0], t.at("y").shape().without_batch());
    for (auto* w : layer->weights()) {
      const std::string n = w->name.substr(w->name.find('/') + 1);
      EXPECT_TRUE(t.count(n)) << n;
      EXPECT_EQ(w->value.numel(), t.at(n).numel()) << n;
      std::copy(t.at(n).f32(), t.at(n).f32() + t.at(n).numel(), w->value.f32());
    }
    size_t expected_weights = 0;
    for (const char* n : {"scale", "concat_score_weight"}) expected_weights += t.count(n);
    EXPECT_EQ(layer->weights().size(), expected_weights);

    L::CallFrame frame;
    autograd::Tape tape;
    std::vector<autograd::Variable*> outs;
    layer->call_node(frame, &tape, in, outs, true, args);
    EXPECT_EQ(outs.size(), scores ? 2u : 1u);
    expect_close(outs[0]->value, t.at("y"), "y", 1e-5f);
    EXPECT_EQ(outs[0]->mask.defined(), t.count("query_mask") > 0);
    if (scores) {
      EXPECT_EQ(outs[1]->value.shape(), t.at("scores").shape());
      EXPECT_EQ(out_shapes[1], t.at("scores").shape().without_batch());
      expect_close(outs[1]->value, t.at("scores"), "scores", 1e-5f);
      testing::backward_two(tape, *outs[0], t.at("dy"), *outs[1], t.at("ds"));
    } else {
      tape.backward(*outs[0], t.at("dy"));
    }
    expect_close(query.grad, t.at("dquery"), "dquery", 5e-5f);
    expect_close(value.grad, t.at("dvalue"), "dvalue", 5e-5f);
    if (own_key) expect_close(key.grad, t.at("dkey"), "dkey", 5e-5f);
    for (auto* w : layer->weights()) {
      const std::string n = w->name.substr(w->name.find('/') + 1);
      expect_close(w->grad.reshape(t.at("d" + n).shape()), t.at("d" + n), "d" + n, 2e-4f);
    }
    for (int64_t i = 0; i < outs[0]->value.numel(); ++i)
      worst = std::max(worst, std::fabs(outs[0]->value.f32()[i] - t.at("y").f32()[i]));
  }
  return worst;
}

TEST(AttentionLayersVsPyTorch, EveryCaseOnOneToThreeThreads) {
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(threads);
    omp_set_num_threads(threads);
    std::printf("Attention/AdditiveAttention vs PyTorch on %d threads: max |y - y_torch| = %.3g\n", threads,
                run_reference_cases());
  }
  omp_set_num_threads(saved);
}

// Big enough for the additive score op to split its rows and batch between threads: every thread count
// must give the same bits, forward and backward.
TEST(AdditiveScoreOp, ThreadSplitsGiveTheSameBits) {
  const int saved = omp_get_max_threads();
  set_seed(5);
  const Tensor q0 = testing::random_tensor(Shape{3, 37, 29}, -1.0f, 1.0f), k0 = testing::random_tensor(Shape{3, 41, 29}, -1.0f, 1.0f);
  const Tensor w0 = testing::random_tensor(Shape{29}, -1.0f, 1.0f), g0 = testing::random_tensor(Shape{3, 37, 41}, -1.0f, 1.0f);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    autograd::Variable q(q0.clone(), true), k(k0.clone(), true), w(w0.clone(), true), c(Tensor::full(Shape{}, 1.5f), true);
    autograd::AdditiveScoreOp op;
    autograd::Tape tape;
    autograd::Variable& s = op.forward(&tape, q, k, {.w = &w, .c = &c});
    tape.backward(s, g0);
    std::vector<float> all = s.value.to_vector<float>();
    for (const Tensor* g : {&q.grad, &k.grad, &w.grad, &c.grad}) {
      const auto v = g->to_vector<float>();
      all.insert(all.end(), v.begin(), v.end());
    }
    results.push_back(all);
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(results[2], results[0]);
}

TEST(AttentionLayers, Harness) {
  set_seed(3);
  L::Attention dot;
  check_layer(dot, {.input = {5, 4}, .output = {5, 4}, .params = 0, .batch = 2});
  L::Attention scaled({.use_scale = true});
  check_layer(scaled, {.input = {4, 3}, .output = {4, 3}, .params = 1, .batch = 3});
  L::Attention concat({.use_scale = true, .score_mode = "concat"});
  check_layer(concat, {.input = {3, 5}, .output = {3, 5}, .params = 2, .batch = 2});
  L::AdditiveAttention additive;
  check_layer(additive, {.input = {4, 6}, .output = {4, 6}, .params = 6, .batch = 2});
  L::AdditiveAttention unscaled({.use_scale = false});
  check_layer(unscaled, {.input = {3, 2}, .output = {3, 2}, .params = 0, .batch = 2});
}

TEST(AttentionLayers, InitialWeightsAreKeras) {
  L::Attention concat({.use_scale = true, .score_mode = "concat"});
  concat.build(Shape{4, 3});
  ASSERT_EQ(concat.weights().size(), 2u);
  EXPECT_EQ(concat.weights()[0]->name, concat.name() + "/scale");
  EXPECT_EQ(concat.weights()[1]->name, concat.name() + "/concat_score_weight");
  EXPECT_EQ(concat.weights()[0]->value.shape(), Shape{});
  EXPECT_EQ(concat.weights()[0]->value.f32()[0], 1.0f);
  EXPECT_EQ(concat.weights()[1]->value.f32()[0], 1.0f);
  L::AdditiveAttention additive;
  additive.build(Shape{4, 300});
  const Tensor& s = additive.weights().at(0)->value;
  EXPECT_EQ(s.shape(), Shape{300});
  // glorot_uniform on (dim,): fan_in = fan_out = dim, so the limit is sqrt(3 / dim) = 0.1.
  float lo = 1, hi = -1;
  for (int64_t i = 0; i < s.numel(); ++i) lo = std::min(lo, s.f32()[i]), hi = std::max(hi, s.f32()[i]);
  EXPECT_LE(hi, 0.1f);
  EXPECT_GE(lo, -0.1f);
  EXPECT_GT(hi - lo, 0.15f);
}

// A Luong-style classifier: the padded keys get no weight, the output keeps the query's mask, the call
// arguments are saved as kwargs, and the model trains, saves and loads.
Model attention_model(bool additive) {
  auto tokens = Input({6}, {.name = "tokens", .dtype = "int64"});
  auto x = L::Embedding({.input_dim = 11, .output_dim = 8, .mask_zero = true})(tokens);
  KerasTensor a, scores;
  if (additive) {
    auto layer = shared_layer(L::AdditiveAttention({.dropout = 0.1f, .seed = 2, .name = "att"}));
    std::tie(a, scores) = layer->attention_outputs({x, x}, {.use_causal_mask = true});
  } else {
    auto layer = shared_layer(L::Attention({.use_scale = true, .name = "att"}));
    std::tie(a, scores) = layer->attention_outputs({x, x}, {.use_causal_mask = true});
  }
  auto p = L::GlobalAveragePooling1D()(a);
  auto out = L::Dense({.units = 2, .activation = "softmax"})(p);
  return Model({tokens}, {out, scores}, "attention_model");
}

TEST(AttentionLayers, GraphsWithMasksTrainSaveAndLoad) {
  for (bool additive : {false, true}) {
    SCOPED_TRACE(additive);
    set_seed(4);
    Model model = attention_model(additive);
    const Config config = model.get_config();
    bool found = false;
    for (const auto& l : config["layers"]) {
      if (l["class_name"] != (additive ? "AdditiveAttention" : "Attention")) continue;
      found = true;
      const Config& node = l["inbound_nodes"][0];
      EXPECT_EQ(node["args"].size(), 1u);  // one list [query, value]
      EXPECT_EQ(node["kwargs"]["use_causal_mask"], true);
      EXPECT_EQ(node["kwargs"]["return_attention_scores"], true);
    }
    EXPECT_TRUE(found);
    Tensor ids = Tensor::empty(Shape{16, 6}, DType::int64);
    Tensor y = Tensor::empty(Shape{16});
    for (int64_t i = 0; i < 16; ++i) {
      for (int64_t j = 0; j < 6; ++j) ids.data<int64_t>()[i * 6 + j] = j < 2 + i % 4 ? 1 + (i * 7 + j * 3) % 10 : 0;
      y.f32()[i] = static_cast<float>(ids.data<int64_t>()[i * 6] > 5);
    }
    const std::vector<Tensor> before = model.predict(TensorList(std::vector<Tensor>{ids}));
    const Tensor& s = before.at(1);  // (16, 6, 6)
    ASSERT_EQ(s.shape(), (Shape{16, 6, 6}));
    for (int64_t i = 0; i < 16; ++i) {
      const int64_t length = 2 + i % 4;
      for (int64_t r = 0; r < 6; ++r) {
        float sum = 0;
        for (int64_t j = 0; j < 6; ++j) {
          const float p = s.f32()[(i * 6 + r) * 6 + j];
          sum += p;
          if (j >= length || j > r) {
            EXPECT_EQ(p, 0.0f) << i << " " << r << " " << j;  // padded or future
          }
        }
        EXPECT_NEAR(sum, 1.0f, 1e-5f);
      }
    }
    Model classifier(model.inputs(), {model.outputs()[0]});
    classifier.compile({.optimizer = optimizers::Adam({.learning_rate = 1e-2}),
                        .loss = "sparse_categorical_crossentropy"});
    const History h = classifier.fit(ids, y, {.batch_size = 8, .epochs = 10, .verbose = 0});
    EXPECT_LT(h["loss"].back(), h["loss"].front());
    const std::string path = ::testing::TempDir() + "/attention_model.soma";
    model.save(path);
    Model loaded = load_model(path);
    EXPECT_EQ(loaded.get_config(), model.get_config());
    const std::vector<Tensor> a = loaded.predict(TensorList(std::vector<Tensor>{ids}));
    const std::vector<Tensor> b = model.predict(TensorList(std::vector<Tensor>{ids}));
    EXPECT_EQ(a[0].to_vector<float>(), b[0].to_vector<float>());
  }
}

TEST(AttentionLayers, QueryMaskZeroesPaddedRows) {
  auto q = Input({4, 3});
  auto v = Input({5, 3});
  auto qm = L::Masking()(q);
  auto out = L::Attention()({qm, v});
  Model model({q, v}, {out});
  Tensor qs = testing::random_tensor(Shape{1, 4, 3}, 0.5f, 1.0f), vs = testing::random_tensor(Shape{1, 5, 3}, -1.0f, 1.0f);
  for (int j = 0; j < 3; ++j) qs.f32()[3 * 3 + j] = 0.0f;  // the last query step is padding
  const Tensor y = model.predict(TensorList(std::vector<Tensor>{qs, vs})).at(0);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(y.f32()[9 + j], 0.0f);
    EXPECT_NE(y.f32()[j], 0.0f);
  }
}

TEST(AttentionLayers, DropoutOnlyInTrainingAndSeeded) {
  auto run = [](bool training) {
    set_seed(1);
    L::AdditiveAttention a({.dropout = 0.5f, .seed = 11});
    a.build(Shape{6, 4});
    autograd::Variable x(testing::random_tensor(Shape{2, 6, 4}, -1.0f, 1.0f), false);
    return a(nullptr, x, training).value.to_vector<float>();
  };
  EXPECT_EQ(run(true), run(true));
  EXPECT_NE(run(true), run(false));
  EXPECT_EQ(run(false), run(false));
}

TEST(AttentionLayers, BadInputsAndOptions) {
  expect_contains(message_of<ValueError>([] { L::Attention({.score_mode = "general"}); }),
                  {"score_mode", "\"dot\" or \"concat\"", "general"});
  expect_contains(message_of<ValueError>([] { L::AdditiveAttention({.dropout = 1.0f}); }), {"dropout", "[0, 1)"});
  L::Attention att;
  const Shape mismatched[] = {Shape{4, 3}, Shape{5, 2}};
  expect_contains(message_of<ShapeError>([&] { att.output_shapes(mismatched); }),
                  {"query (None, 4, 3) and key (None, 5, 2)", "same features"});
  const Shape key_steps[] = {Shape{4, 3}, Shape{5, 2}, Shape{6, 3}};
  expect_contains(message_of<ShapeError>([&] { att.output_shapes(key_steps); }), {"same steps"});
  const Shape one[] = {Shape{4, 3}};
  expect_contains(message_of<ValueError>([&] { att.output_shapes(one); }), {"[query, value]", "received 1"});
  const Shape flat[] = {Shape{4}, Shape{4}};
  expect_contains(message_of<ShapeError>([&] { att.output_shapes(flat); }), {"(batch, steps, features)"});
  const Shape ok[] = {Shape{4, 3}, Shape{5, 3}};
  L::CallArguments keyword{.keywords = {"", "key"}};
  expect_contains(message_of<ValueError>([&] { att.node_output_shapes(ok, keyword); }), {"one list", "\"key\""});
  L::CallArguments unknown;
  unknown.set("training", "true");
  expect_contains(message_of<ValueError>([&] { att.node_output_shapes(ok, unknown); }),
                  {"unknown call argument \"training\""});
  L::AdditiveAttention built;
  built.build_multi(ok);
  const Shape wider[] = {Shape{4, 5}, Shape{5, 5}};
  expect_contains(message_of<ShapeError>([&] { built.output_shapes(wider); }), {"built for 3 query features"});
}

}  // namespace
}  // namespace soma

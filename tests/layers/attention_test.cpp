// MultiHeadAttention against PyTorch (tests/reference/attention.py: Keras 3's formulas in torch ops, the
// weights in Keras' layout): outputs, attention scores and the gradients of every input and weight, for
// self- and cross-attention, an own key, value_dim and output_shape, causal and explicit masks, sequence
// masks with fully masked rows, no bias, and attention over two axes or one of several. Then the harness,
// graphs (call arguments saved as Keras' kwargs, save/load, clone), masks from Embedding, and errors.
#include <gtest/gtest.h>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
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

TEST(MultiHeadAttentionVsPyTorch, EveryCase) {
  const auto cases = testing::load_reference_cases("attention.txt");
  ASSERT_EQ(cases.size(), 6u);
  float worst = 0.0f;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto& t = c.tensors;
    const auto opt = [&](const char* k) { return std::stoll(c.options.at(k)); };
    const int64_t first = opt("attention_axes");
    const Tensor& q0 = t.at("query");
    L::MultiHeadAttentionOptions o{.num_heads = opt("heads"),
                                   .key_dim = opt("key_dim"),
                                   .value_dim = opt("value_dim"),
                                   .use_bias = opt("use_bias") == 1,
                                   .output_shape = {opt("out")}};
    if (first > 1) o.attention_axes = {first};
    L::MultiHeadAttention mha(o);
    const bool own_key = t.count("key") > 0, has_mask = t.count("attention_mask") > 0;
    L::CallArguments args{.keywords = {"", ""}};
    if (own_key) args.keywords.push_back("key");
    if (has_mask) args.keywords.push_back("attention_mask");
    if (opt("causal")) args.set("use_causal_mask", "true");
    const bool scores = opt("scores") == 1;
    if (scores) args.set("return_attention_scores", "true");

    autograd::Variable query(q0.clone(), true), value(t.at("value").clone(), true);
    autograd::Variable key(own_key ? t.at("key").clone() : Tensor(), true);
    autograd::Variable mask(has_mask ? t.at("attention_mask").clone() : Tensor());
    if (t.count("query_mask")) query.mask = t.at("query_mask").clone();
    if (t.count("value_mask")) value.mask = t.at("value_mask").clone();
    std::vector<autograd::Variable*> in{&query, &value};
    if (own_key) in.push_back(&key);
    if (has_mask) in.push_back(&mask);
    std::vector<Shape> shapes;
    for (auto* v : in) shapes.push_back(v->value.shape().without_batch());
    mha.build_node(shapes, args);
    const auto out_shapes = mha.node_output_shapes(shapes, args);
    ASSERT_EQ(out_shapes.size(), scores ? 2u : 1u);
    EXPECT_EQ(out_shapes[0], t.at("y").shape().without_batch());
    for (auto* w : mha.weights()) {
      std::string n = w->name.substr(w->name.find('/') + 1);
      n = n.substr(0, n.find('/')) + "_" + n.substr(n.find('/') + 1);  // "query/kernel" -> "query_kernel"
      if (n.starts_with("attention_output")) n = "output" + n.substr(16);
      ASSERT_TRUE(t.count(n)) << n;
      w->value.copy_from(t.at(n));
    }
    ASSERT_EQ(mha.weights().size(), o.use_bias ? 8u : 4u);

    L::CallFrame frame;
    autograd::Tape tape;
    std::vector<autograd::Variable*> outs;
    mha.call_node(frame, &tape, in, outs, true, args);
    ASSERT_EQ(outs.size(), scores ? 2u : 1u);
    expect_close(outs[0]->value, t.at("y"), "y", 1e-4f);
    if (scores) {
      EXPECT_EQ(outs[1]->value.shape(), t.at("scores").shape());
      EXPECT_EQ(out_shapes[1], t.at("scores").shape().without_batch());
      expect_close(outs[1]->value, t.at("scores"), "scores", 1e-5f);
      // The scores' gradient enters through a loss on both outputs: sum(y * dy) + sum(scores * ds).
      testing::backward_two(tape, *outs[0], t.at("dy"), *outs[1], t.at("ds"));
    } else {
      tape.backward(*outs[0], t.at("dy"));
    }
    expect_close(query.grad, t.at("dquery"), "dquery", 2e-4f);
    expect_close(value.grad, t.at("dvalue"), "dvalue", 2e-4f);
    if (own_key) expect_close(key.grad, t.at("dkey"), "dkey", 2e-4f);
    for (auto* w : mha.weights()) {
      std::string n = w->name.substr(w->name.find('/') + 1);
      n = n.substr(0, n.find('/')) + "_" + n.substr(n.find('/') + 1);
      if (n.starts_with("attention_output")) n = "output" + n.substr(16);
      expect_close(w->grad, t.at("d" + n), "d" + n, 5e-4f);
    }
    for (int64_t i = 0; i < outs[0]->value.numel(); ++i)
      worst = std::max(worst, std::fabs(outs[0]->value.f32()[i] - t.at("y").f32()[i]));
  }
  std::printf("MultiHeadAttention vs PyTorch: max |y - y_torch| = %.3g\n", worst);
}

TEST(MultiHeadAttentionLayer, HarnessSelfAttention) {
  set_seed(21);
  L::MultiHeadAttention mha({.num_heads = 2, .key_dim = 3});
  // query, key, value: 4 * 2 * 3 + 2 * 3 each; attention_output: 2 * 3 * 4 + 4.
  check_layer(mha, {.input = {5, 4}, .output = {5, 4}, .params = 3 * 30 + 28, .batch = 2});
  L::MultiHeadAttention narrow({.num_heads = 1, .key_dim = 2, .value_dim = 3, .use_bias = false, .output_shape = {2}});
  check_layer(narrow, {.input = {3, 4}, .output = {3, 2}, .params = 8 + 8 + 12 + 6, .batch = 3});
}

Model tiny_transformer(bool causal) {
  auto tokens = Input({6}, {.name = "tokens", .dtype = "int64"});
  auto x = L::Embedding({.input_dim = 11, .output_dim = 8, .mask_zero = true})(tokens);
  auto mha = shared_layer(L::MultiHeadAttention({.num_heads = 2, .key_dim = 4, .dropout = 0.1f, .name = "mha"}));
  auto a = (*mha)(x, x, {.use_causal_mask = causal});
  auto y = L::LayerNormalization()(x + a);
  auto p = L::GlobalAveragePooling1D()(y);
  auto out = L::Dense({.units = 2, .activation = "softmax"})(p);
  return Model({tokens}, {out}, "tiny_transformer");
}

TEST(MultiHeadAttentionLayer, GraphsSaveTheirCallArgumentsAndTrain) {
  set_seed(4);
  Model model = tiny_transformer(true);
  const Config config = model.get_config();
  // Keras 3's inbound node: args [query, value], kwargs {use_causal_mask: true}.
  bool found = false;
  for (const auto& l : config["layers"]) {
    if (l["class_name"] != "MultiHeadAttention") continue;
    found = true;
    const Config& node = l["inbound_nodes"][0];
    EXPECT_EQ(node["args"].size(), 2u);
    EXPECT_EQ(node["kwargs"]["use_causal_mask"], true);
    EXPECT_EQ(l["config"]["num_heads"], 2);
    EXPECT_TRUE(l["config"]["value_dim"].is_null());
  }
  EXPECT_TRUE(found);
  Tensor x = Tensor::empty(Shape{16, 6}, DType::int64);
  Tensor y = Tensor::empty(Shape{16});
  for (int64_t i = 0; i < 16; ++i) {
    for (int64_t j = 0; j < 6; ++j) x.data<int64_t>()[i * 6 + j] = j < 2 + i % 4 ? 1 + (i * 7 + j * 3) % 10 : 0;
    y.f32()[i] = static_cast<float>(x.data<int64_t>()[i * 6] > 5);
  }
  model.compile({.optimizer = optimizers::Adam({.learning_rate = 1e-2}),
                 .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  const History h = model.fit(x, y, {.batch_size = 8, .epochs = 15, .verbose = 0});
  EXPECT_LT(h["loss"].back(), h["loss"].front());
  const std::string path = ::testing::TempDir() + "/tiny_transformer.soma";
  model.save(path);
  Model loaded = load_model(path);
  EXPECT_EQ(loaded.predict(x).to_vector<float>(), model.predict(x).to_vector<float>());
  Model clone = clone_model(model);
  EXPECT_EQ(clone.get_config(), model.get_config());
  // Causality: changing the last token leaves the first position's attention output alone.
  Model features(model.inputs(), {model.get_layer("mha").output()});
  Tensor x2 = x.clone();
  x2.data<int64_t>()[5] = 3;  // sample 0, last step
  const Tensor a = features.predict(x), b = features.predict(x2);
  for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(a.f32()[j], b.f32()[j]) << j;
}

TEST(MultiHeadAttentionLayer, PaddingIsNotAttendedTo) {
  // With mask_zero, padded keys get probability 0: the output at real steps ignores what the padding holds.
  set_seed(9);
  auto tokens = Input({5}, {.dtype = "int64"});
  auto emb = shared_layer(L::Embedding({.input_dim = 7, .output_dim = 4, .mask_zero = true}));
  auto x = (*emb)(tokens);
  auto mha = shared_layer(L::MultiHeadAttention({.num_heads = 1, .key_dim = 4}));
  auto [out, scores] = mha->attention_outputs(x, x);
  Model model({tokens}, {out, scores});
  Tensor ids = Tensor::empty(Shape{1, 5}, DType::int64);
  const int64_t seq[] = {3, 1, 4, 0, 0};
  for (int j = 0; j < 5; ++j) ids.data<int64_t>()[j] = seq[j];
  const std::vector<Tensor> outs = model.predict(TensorList(std::vector<Tensor>{ids}));
  const Tensor& s = outs.at(1);  // (1, heads, 5, 5)
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(s.f32()[i * 5 + 3], 0.0f);
    EXPECT_EQ(s.f32()[i * 5 + 4], 0.0f);
    EXPECT_NEAR(s.f32()[i * 5] + s.f32()[i * 5 + 1] + s.f32()[i * 5 + 2], 1.0f, 1e-6f);
  }
}

TEST(MultiHeadAttentionLayer, ConfigRoundTrip) {
  const Config written = Config::parse(R"({"class_name": "MultiHeadAttention", "config": {"name": "mha",
      "num_heads": 4, "key_dim": 16, "value_dim": 8, "dropout": 0.1, "use_bias": false, "output_shape": 12,
      "attention_axes": [1], "seed": 3, "kernel_initializer": "he_normal"}})");
  auto layer = L::deserialize(written);
  auto& mha = dynamic_cast<L::MultiHeadAttention&>(*layer);
  EXPECT_EQ(mha.options().num_heads, 4);
  EXPECT_EQ(mha.options().value_dim, 8);
  EXPECT_EQ(mha.options().output_shape, std::vector<int64_t>{12});
  EXPECT_EQ(mha.options().attention_axes, std::vector<int64_t>{1});
  EXPECT_EQ(mha.options().seed, 3);
  const Config back = L::serialize(mha);
  EXPECT_EQ(back["config"]["output_shape"], Config::parse("[12]"));
  EXPECT_EQ(L::serialize(*L::deserialize(back)), back);
}

TEST(MultiHeadAttentionLayer, BadArguments) {
  expect_contains(message_of<ValueError>([] { L::MultiHeadAttention({.num_heads = 0, .key_dim = 2}); }),
                  {"MultiHeadAttention", "num_heads must be a positive integer", "received 0"});
  expect_contains(message_of<ValueError>([] { L::MultiHeadAttention({.num_heads = 1, .key_dim = -1}); }),
                  {"key_dim must be a positive integer"});
  expect_contains(message_of<ValueError>([] { L::MultiHeadAttention({.num_heads = 1, .key_dim = 2, .dropout = 1.0f}); }),
                  {"dropout must be in [0, 1)"});
  expect_contains(message_of<NotImplementedError>([] {
                    L::MultiHeadAttention({.num_heads = 1, .key_dim = 2, .output_shape = {2, 3}});
                  }),
                  {"output_shape of more than one dimension (2, 3)"});
  auto q = Input({4, 5}), v = Input({6, 3}), bad = Input({7, 3}), flat = Input({5});
  expect_contains(message_of<ShapeError>([&] {
                    L::MultiHeadAttention({.num_heads = 1, .key_dim = 2})(q, v, {.key = bad});
                  }),
                  {"key (None, 7, 3) and value (None, 6, 3) must have the same steps"});
  expect_contains(message_of<ShapeError>([&] { L::MultiHeadAttention({.num_heads = 1, .key_dim = 2})(flat, flat); }),
                  {"the query must have rank >= 3", "(None, 5)"});
  expect_contains(message_of<ShapeError>([&] {
                    L::MultiHeadAttention({.num_heads = 1, .key_dim = 2})(q, v, {.attention_mask = Input({4, 5})});
                  }),
                  {"attention_mask (None, 4, 5) does not match", "expected 24 values"});
  auto img = Input({3, 4, 5});
  expect_contains(message_of<NotImplementedError>([&] {
                    L::MultiHeadAttention({.num_heads = 1, .key_dim = 2, .attention_axes = {1}})(img, img);
                  }),
                  {"attention_axes [1] must end at the axis before the features"});
  // A saved node with an argument the layer does not take.
  Model model = tiny_transformer(false);
  Config c = model.get_config();
  for (auto& l : c["layers"])
    if (l["class_name"] == "MultiHeadAttention") l["inbound_nodes"][0]["kwargs"]["use_softmax"] = true;
  expect_contains(message_of<ValueError>([&] { Model::from_config(c); }),
                  {"MultiHeadAttention \"mha\"", "unknown call argument \"use_softmax\""});
  // And a layer that takes no call arguments says so.
  for (auto& l : c["layers"])
    if (l["class_name"] == "Dense") l["inbound_nodes"][0]["kwargs"]["use_causal_mask"] = true;
  for (auto& l : c["layers"])
    if (l["class_name"] == "MultiHeadAttention") l["inbound_nodes"][0]["kwargs"].erase("use_softmax");
  expect_contains(message_of<ValueError>([&] { Model::from_config(c); }),
                  {"Dense", "takes no call argument \"use_causal_mask\""});
}

}  // namespace
}  // namespace soma

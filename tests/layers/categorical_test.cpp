// CategoryEncoding, Discretization, IntegerLookup and Hashing. References: the examples in Keras'
// docstrings (inputs and documented outputs), NumPy for Discretization.adapt (tests/reference/
// discretization.py: Keras' quantile summary in NumPy, np.digitize), tfjs' FarmHash for Hashing
// (tests/reference/hashing.js). Then models that carry them (saved and loaded), configs and errors.
#include <gtest/gtest.h>

#include "soma/soma.hpp"
#include "support/error_matchers.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

Tensor ints(const Shape& shape, const std::vector<int64_t>& v) {
  Tensor t = Tensor::empty(shape, DType::int64);
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}
Tensor floats(const Shape& shape, const std::vector<float>& v) {
  Tensor t = Tensor::empty(shape);
  std::copy(v.begin(), v.end(), t.f32());
  return t;
}
Tensor call(L::Layer& layer, const Tensor& x) {
  if (!layer.built()) layer.build(x.shape().without_batch());
  autograd::Variable v(x.clone());
  return layer(nullptr, v, false).value.clone();
}
std::vector<float> as_floats(const Tensor& t) {
  if (t.dtype() == DType::float32) return t.to_vector<float>();
  std::vector<float> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(static_cast<float>(t.data<int64_t>()[i]));
  return out;
}

TEST(CategoryEncodingLayer, KerasDocstringExamples) {
  L::CategoryEncoding one_hot({.num_tokens = 4, .output_mode = "one_hot"});
  const Tensor y = call(one_hot, ints(Shape{4}, {3, 2, 0, 1}));
  EXPECT_EQ(y.shape(), (Shape{4, 4}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0}));
  const Tensor pairs = ints(Shape{4, 2}, {0, 1, 0, 0, 1, 2, 3, 1});
  L::CategoryEncoding multi({.num_tokens = 4, .output_mode = "multi_hot"});
  EXPECT_EQ(call(multi, pairs).to_vector<float>(), (std::vector<float>{1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1}));
  L::CategoryEncoding count({.num_tokens = 4, .output_mode = "count"});
  EXPECT_EQ(call(count, pairs).to_vector<float>(), (std::vector<float>{1, 1, 0, 0, 2, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1}));
  // float32 inputs holding whole numbers work alike; one_hot of (batch, k) gives one row per value.
  L::CategoryEncoding rows({.num_tokens = 3, .output_mode = "one_hot"});
  const Tensor r = call(rows, floats(Shape{1, 2}, {2, 0}));
  EXPECT_EQ(r.shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 0, 0}));
}

TEST(DiscretizationLayer, KerasDocstringExamples) {
  const Tensor x = floats(Shape{2, 4}, {-1.5f, 1.0f, 3.4f, 0.5f, 0.0f, 3.0f, 1.3f, 0.0f});
  L::Discretization given({.bin_boundaries = {0.0f, 1.0f, 2.0f}});
  const Tensor y = call(given, x);
  EXPECT_EQ(y.dtype(), DType::int64);
  EXPECT_EQ(as_floats(y), (std::vector<float>{0, 2, 3, 1, 1, 3, 2, 1}));
  L::Discretization adapted({.num_bins = 4, .epsilon = 0.01});
  adapted.adapt(x);
  EXPECT_EQ(as_floats(call(adapted, x)), (std::vector<float>{0, 2, 3, 2, 1, 3, 3, 1}));
  L::Discretization hot({.bin_boundaries = {0.0f, 1.0f}, .output_mode = "multi_hot"});
  EXPECT_EQ(call(hot, floats(Shape{1, 3}, {-1, 0.5f, 7})).to_vector<float>(), (std::vector<float>{1, 1, 1}));
}

TEST(DiscretizationVsNumPy, AdaptedBoundariesAndBins) {
  const auto cases = testing::load_reference_cases("discretization.txt");
  ASSERT_EQ(cases.size(), 5u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    L::Discretization layer({.num_bins = std::stoll(c.options.at("num_bins")), .epsilon = std::stod(c.options.at("epsilon"))});
    layer.adapt(c.tensors.at("x"));
    const Tensor& want = c.tensors.at("boundaries");
    // The same float32 numbers: NumPy's steps are reproduced, not approximated.
    EXPECT_EQ(layer.bin_boundaries(), want.to_vector<float>());
    EXPECT_EQ(as_floats(call(layer, c.tensors.at("x"))), c.tensors.at("bins").to_vector<float>());
  }
}

TEST(IntegerLookupLayer, KerasDocstringExamples) {
  const std::vector<int64_t> vocab{12, 36, 1138, 42};
  const Tensor data = ints(Shape{2, 3}, {12, 1138, 42, 42, 1000, 36});
  L::IntegerLookup lookup({.vocabulary = vocab});
  EXPECT_EQ(as_floats(call(lookup, data)), (std::vector<float>{1, 3, 4, 4, 0, 2}));
  EXPECT_EQ(lookup.get_vocabulary(), (std::vector<int64_t>{-1, 12, 36, 1138, 42}));
  L::IntegerLookup adapted;
  adapted.adapt(data);
  EXPECT_EQ(adapted.get_vocabulary(), (std::vector<int64_t>{-1, 42, 1138, 1000, 36, 12}));
  L::IntegerLookup two_oov({.num_oov_indices = 2, .vocabulary = vocab});
  EXPECT_EQ(as_floats(call(two_oov, data)), (std::vector<float>{2, 4, 5, 5, 0, 3}));
  L::IntegerLookup one_hot({.vocabulary = vocab, .output_mode = "one_hot"});
  EXPECT_EQ(call(one_hot, ints(Shape{5}, {12, 36, 1138, 42, 7})).to_vector<float>(),
            (std::vector<float>{0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0}));
  const Tensor four = ints(Shape{2, 4}, {12, 1138, 42, 42, 42, 7, 36, 7});
  L::IntegerLookup multi({.vocabulary = vocab, .output_mode = "multi_hot"});
  EXPECT_EQ(call(multi, four).to_vector<float>(), (std::vector<float>{0, 1, 0, 1, 1, 1, 0, 1, 0, 1}));
  L::IntegerLookup count({.vocabulary = vocab, .output_mode = "count"});
  EXPECT_EQ(call(count, four).to_vector<float>(), (std::vector<float>{0, 1, 0, 1, 2, 2, 0, 1, 0, 1}));
  L::IntegerLookup inverse({.vocabulary = vocab, .invert = true});
  EXPECT_EQ(as_floats(call(inverse, ints(Shape{2, 3}, {1, 3, 4, 4, 0, 2}))), (std::vector<float>{12, 1138, 42, 42, -1, 36}));
}

TEST(IntegerLookupLayer, MaskTokenMaxTokensAndPadding) {
  L::IntegerLookup masked({.mask_token = 0, .vocabulary = {5, 9}});
  EXPECT_EQ(as_floats(call(masked, ints(Shape{1, 4}, {5, 0, 9, 3}))), (std::vector<float>{2, 0, 3, 1}));
  EXPECT_EQ(masked.get_vocabulary(), (std::vector<int64_t>{0, -1, 5, 9}));
  // Outside int mode the mask token has no index and is dropped.
  L::IntegerLookup hot({.mask_token = 0, .vocabulary = {5, 9}, .output_mode = "multi_hot"});
  EXPECT_EQ(call(hot, ints(Shape{1, 3}, {0, 9, 9})).to_vector<float>(), (std::vector<float>{0, 0, 1}));
  L::IntegerLookup capped({.max_tokens = 3});
  capped.adapt(ints(Shape{6}, {4, 4, 4, 8, 8, 2}));
  EXPECT_EQ(capped.get_vocabulary(), (std::vector<int64_t>{-1, 4, 8}));
  L::IntegerLookup padded({.max_tokens = 6, .vocabulary = {4, 8}, .output_mode = "count", .pad_to_max_tokens = true});
  EXPECT_EQ(padded.output_shape(Shape{2}), Shape{6});
  EXPECT_EQ(call(padded, ints(Shape{1, 2}, {8, 8})).to_vector<float>(), (std::vector<float>{0, 0, 2, 0, 0, 0}));
}

TEST(HashingVsTfjs, FarmHashBins) {
  const auto cases = testing::load_reference_cases("hashing.txt");
  ASSERT_EQ(cases.size(), 5u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string mask = c.options.at("mask");
    L::HashingOptions o{.num_bins = std::stoll(c.options.at("num_bins"))};
    if (mask != "none") o.mask_value = std::stoll(mask);
    const Tensor& x = c.tensors.at("x");
    std::vector<int64_t> values;
    for (const float v : x.to_vector<float>()) values.push_back(static_cast<int64_t>(v));
    for (const Tensor& input : {ints(x.shape(), values), x}) {  // int64 and whole-number float32 alike
      L::Hashing hashing(o);
      EXPECT_EQ(as_floats(call(hashing, input)), c.tensors.at("y").to_vector<float>());
    }
  }
  L::Hashing hot({.num_bins = 3, .output_mode = "one_hot"});
  const Tensor y = call(hot, ints(Shape{2}, {0, 1}));  // bins 1 and 0 (the first case above)
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0, 1, 0, 1, 0, 0}));
}

TEST(CategoricalLayers, TravelWithASavedModel) {
  // Raw ids -> lookup -> embedding -> classifier; raw numbers -> bins -> one_hot. Saved and loaded, the
  // vocabulary and the adapted boundaries come back and the predictions are identical.
  set_seed(3);
  const Tensor ids = ints(Shape{32, 3}, [] {
    std::vector<int64_t> v;
    for (int i = 0; i < 96; ++i) v.push_back(1000 + (i * 7) % 13);
    return v;
  }());
  auto lookup = shared_layer(L::IntegerLookup({.name = "lookup"}));
  lookup->adapt(ids);
  auto in = Input({3}, {.dtype = "int64"});
  auto e = L::Embedding({.input_dim = lookup->vocabulary_size(), .output_dim = 4})((*lookup)(in));
  auto out = L::Dense({.units = 2, .activation = "softmax"})(L::Flatten()(e));
  Model model({in}, {out});
  const std::string path = ::testing::TempDir() + "/lookup.soma";
  model.save(path);
  Model loaded = load_model(path);
  EXPECT_EQ(dynamic_cast<L::IntegerLookup&>(loaded.get_layer("lookup")).get_vocabulary(), lookup->get_vocabulary());
  EXPECT_EQ(loaded.predict(ids).to_vector<float>(), model.predict(ids).to_vector<float>());

  Sequential binned;
  L::Discretization bins({.num_bins = 4, .output_mode = "one_hot", .input_shape = {1}, .name = "bins"});
  Tensor raw = Tensor::empty(Shape{40, 1});
  for (int i = 0; i < 40; ++i) raw.f32()[i] = static_cast<float>(i * i % 17);
  bins.adapt(raw);
  const std::vector<float> adapted = bins.bin_boundaries();
  binned.add(std::move(bins));
  binned.add(L::Dense({.units = 3}));
  const std::string bpath = ::testing::TempDir() + "/bins.soma";
  binned.save(bpath);
  Sequential again = load_model(bpath);
  EXPECT_EQ(dynamic_cast<L::Discretization&>(again.get_layer("bins")).bin_boundaries(), adapted);
  EXPECT_EQ(again.predict(raw).to_vector<float>(), binned.predict(raw).to_vector<float>());
}

TEST(CategoricalLayers, Errors) {
  expect_contains(message_of<ValueError>([] { L::CategoryEncoding({.num_tokens = 0}); }), {"num_tokens must be a positive"});
  expect_contains(message_of<ValueError>([] { L::CategoryEncoding({.num_tokens = 3, .output_mode = "int"}); }),
                  {"output_mode must be \"one_hot\", \"multi_hot\" or \"count\"", "\"int\""});
  expect_contains(message_of<NotImplementedError>([] { L::CategoryEncoding({.num_tokens = 3, .sparse = true}); }),
                  {"sparse=true", "no sparse tensors"});
  L::CategoryEncoding enc({.num_tokens = 3});
  expect_contains(message_of<ValueError>([&] { call(enc, ints(Shape{1, 2}, {1, 3})); }),
                  {"0 <= values < num_tokens with num_tokens=3", "received 3"});
  L::CategoryEncoding enc2({.num_tokens = 3});
  expect_contains(message_of<ValueError>([&] { call(enc2, floats(Shape{1, 2}, {1, 0.5f})); }),
                  {"expected integer values, received 0.5"});
  expect_contains(message_of<ShapeError>([] { L::CategoryEncoding({.num_tokens = 3}).build(Shape{2, 2}); }),
                  {"take inputs (batch,) or (batch, k)", "(None, 2, 2)"});
  expect_contains(message_of<ValueError>([] { L::Discretization({}); }), {"give bin_boundaries, or num_bins > 0"});
  expect_contains(message_of<ValueError>([] { L::Discretization({.bin_boundaries = {1.0f, 0.0f}}); }),
                  {"ascending", "[1, 0]"});
  L::Discretization unadapted({.num_bins = 3});
  expect_contains(message_of<StateError>([&] { call(unadapted, floats(Shape{2}, {1, 2})); }), {"call adapt first"});
  L::Discretization given({.bin_boundaries = {0.0f}});
  expect_contains(message_of<ValueError>([&] { given.adapt(floats(Shape{2}, {1, 2})); }), {"adapt needs num_bins"});
  expect_contains(message_of<NotImplementedError>([] { L::Discretization({.num_bins = 2, .output_mode = "tf_idf"}); }),
                  {"tf_idf"});
  expect_contains(message_of<ValueError>([] { L::IntegerLookup({.vocabulary = {3, 3}}); }), {"holds 3 twice"});
  expect_contains(message_of<ValueError>([] { L::IntegerLookup({.vocabulary = {-1}}); }), {"OOV token -1"});
  expect_contains(message_of<ValueError>([] { L::IntegerLookup({.invert = true, .output_mode = "count"}); }),
                  {"invert=true needs output_mode \"int\""});
  L::IntegerLookup strict({.num_oov_indices = 0, .vocabulary = {1, 2}});
  expect_contains(message_of<ValueError>([&] { call(strict, ints(Shape{2}, {1, 5})); }),
                  {"num_oov_indices=0", "out-of-vocabulary value 5"});
  expect_contains(message_of<ValueError>([] { L::IntegerLookup({.max_tokens = 3, .vocabulary = {1, 2, 3}}); }),
                  {"exceeds max_tokens 3"});
  expect_contains(message_of<NotImplementedError>([] { L::Hashing({.num_bins = 3, .salt = {1, 2}}); }),
                  {"salt", "SipHash"});
  expect_contains(message_of<ValueError>([] { L::Hashing({.num_bins = 0}); }), {"num_bins must be a positive"});
}

}  // namespace
}  // namespace soma

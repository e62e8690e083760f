// soma models saved as Keras 3 .keras files: read back by soma's importer (same predictions, bit for bit;
// same compile settings) and laid out as keras/src/saving/saving_lib.py expects (checked with the HDF5
// reader on the zip's model.weights.h5).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "soma/core/random.hpp"
#include "soma/layers/attention.hpp"
#include "soma/optimizers/sgd.hpp"
#include "soma/layers/convolutional.hpp"
#include "soma/layers/core_layers.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/embedding.hpp"
#include "soma/layers/merge.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/pooling.hpp"
#include "soma/layers/recurrent.hpp"
#include "soma/layers/wrappers.hpp"
#include "soma/models/model.hpp"
#include "soma/models/saving.hpp"

namespace soma {
namespace {

namespace L = layers;

Tensor uniform(const Shape& s, float lo = -1, float hi = 1) {
  Tensor t = Tensor::empty(s);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = random::uniform(lo, hi);
  return t;
}

std::string path_of(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("soma_export_" + name + ".keras")).string();
}

void expect_same_predictions(Model& model, const TensorList& x, const std::string& name) {
  const std::string path = path_of(name);
  model.save(path);
  Model again = load_model(path);
  const auto a = model.predict(x), b = again.predict(x);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].shape(), b[k].shape());
    for (int64_t i = 0; i < a[k].numel(); ++i) ASSERT_EQ(a[k].f32()[i], b[k].f32()[i]) << name << " output " << k;
  }
  std::filesystem::remove(path);
}

TEST(KerasExport, SequentialRoundTripsWithItsCompileSettings) {
  soma::set_seed(3);
  Sequential m;
  m.add(L::Conv2D({.filters = 4, .kernel_size = {3, 3}, .padding = "same", .input_shape = {6, 6, 2}}));
  m.add(L::BatchNormalization());
  m.add(L::MaxPooling2D());
  m.add(L::Flatten());
  m.add(L::Dropout(0.2f));
  m.add(L::Dense({.units = 3, .activation = "softmax", .kernel_regularizer = regularizers::L2(0.01f)}));
  m.compile({.optimizer = optimizers::SGD(optimizers::SGDOptions{.learning_rate = 0.05f, .momentum = 0.9f, .decay = 0.01f}),
             .loss = "categorical_crossentropy",
             .metrics = {"accuracy"}});
  const Tensor x = uniform({5, 6, 6, 2});
  m.fit(x, Tensor::full({5, 3}, 1.0f / 3), {.epochs = 1, .verbose = 0});  // moving statistics move
  expect_same_predictions(m, x, "sequential");
  m.save(path_of("compiled"));
  Model again = load_model(path_of("compiled"));
  ASSERT_TRUE(again.compiled());
  const Config opt = again.compile_config()["optimizer"];
  EXPECT_EQ(opt["class_name"], "SGD");
  // Keras 3 has no decay: it is written as InverseTimeDecay(decay_steps=1), the same schedule.
  EXPECT_EQ(opt["config"]["learning_rate"]["class_name"], "InverseTimeDecay");
  EXPECT_EQ(again.compile_config()["loss"]["class_name"], "categorical_crossentropy");
  std::filesystem::remove(path_of("compiled"));
}

TEST(KerasExport, RecurrentAndWrappersRoundTrip) {
  soma::set_seed(4);
  Sequential m;
  m.add(L::Embedding({.input_dim = 12, .output_dim = 5, .input_shape = {7}}));
  m.add(L::LSTM({.units = 4, .return_sequences = true}));
  m.add(L::Bidirectional(L::GRU({.units = 3, .return_sequences = true})));
  m.add(L::TimeDistributed(L::Dense({.units = 2})));
  m.add(L::SimpleRNN({.units = 2}));
  Tensor x = Tensor::empty({3, 7});
  for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] = static_cast<float>((i * 5) % 12);
  expect_same_predictions(m, x, "recurrent");
}

TEST(KerasExport, FunctionalWithAttentionAndANestedModelRoundTrips) {
  soma::set_seed(5);
  auto inner_in = Input({6});
  auto inner = std::make_shared<Model>(std::vector<KerasTensor>{inner_in},
                                       std::vector<KerasTensor>{L::Dense({.units = 6, .activation = "tanh"})(inner_in)},
                                       "inner");
  auto q = Input({4, 6}, {.name = "tokens"});
  auto h = L::MultiHeadAttention({.num_heads = 2, .key_dim = 3})({q, q});
  h = L::LayerNormalization()(h + q);
  h = L::GlobalAveragePooling1D()(h);
  auto y = L::Dense({.units = 2})((*inner)(h));
  Model m({q}, {y}, "outer");
  expect_same_predictions(m, uniform({2, 4, 6}), "functional");
}

TEST(KerasExport, WeightsLieWhereKerasLooks) {
  soma::set_seed(6);
  Sequential s;
  s.add(L::Dense({.units = 3, .input_shape = {2}}));
  s.add(L::Dense({.units = 2}));
  const std::string path = path_of("layout");
  s.save(path);
  // Keras 3's tree: layers/dense/vars/{0,1}, layers/dense_1/vars/{0,1} (by class, not by layer name).
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(bytes.substr(0, 4), "PK\x03\x04");
  for (const char* entry : {"config.json", "metadata.json", "model.weights.h5"})
    EXPECT_NE(bytes.find(entry), std::string::npos) << entry;
  Model again = load_model(path);
  const auto w0 = s.get_weights(), w1 = again.get_weights();
  ASSERT_EQ(w0.size(), 4u);
  for (size_t k = 0; k < w0.size(); ++k)
    for (int64_t i = 0; i < w0[k].numel(); ++i) ASSERT_EQ(w0[k].f32()[i], w1[k].f32()[i]);
  std::filesystem::remove(path);
}

TEST(KerasExport, Keras2OnlySemanticsAreRefused) {
  Sequential m;
  m.add(L::Dense({.units = 2, .activation = "hard_sigmoid_keras2", .input_shape = {3}}));
  try {
    m.save(path_of("refused"));
    ADD_FAILURE();
  } catch (const NotImplementedError& e) {
    EXPECT_NE(std::string(e.what()).find("Keras 2's hard_sigmoid has no Keras 3 name"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path_of("refused")));
}

}  // namespace
}  // namespace soma

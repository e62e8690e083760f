// model.save / soma::load_model: architecture, weights, compile arguments and optimizer state survive a
// file, training resumes bit for bit, and every way a model file can be wrong is a clear IOError.
#include "soma/models/saving.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "soma/core/random.hpp"
#include "soma/io/model_file.hpp"
#include "soma/layers/convolutional.hpp"
#include "soma/layers/core_layers.hpp"
#include "soma/layers/dense.hpp"
#include "soma/layers/normalization.hpp"
#include "soma/layers/pooling.hpp"
#include "soma/optimizers/adagrad.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/adamw.hpp"
#include "soma/optimizers/nadam.hpp"
#include "soma/optimizers/rmsprop.hpp"
#include "soma/optimizers/sgd.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("soma_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_bytes(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// A small classification set: 96 samples of 6 features, 3 classes decided by the features' signs.
struct Data {
  Tensor x, y;
};
Data data() {
  set_seed(5);
  Data d{Tensor::empty({96, 6}), Tensor::zeros({96, 3})};
  float* x = d.x.f32();
  for (int64_t i = 0; i < d.x.numel(); ++i) x[i] = random::normal(0.0f, 1.0f);
  for (int64_t i = 0; i < 96; ++i) {
    const int c = x[i * 6] > 0.5f ? 0 : (x[i * 6 + 1] > 0.0f ? 1 : 2);
    d.y.f32()[i * 3 + c] = 1.0f;
  }
  return d;
}

Sequential mlp() {
  Sequential m;
  m.add(L::Dense({.units = 16, .activation = "relu", .input_shape = {6}}));
  m.add(L::BatchNormalization());
  m.add(L::Dropout(0.3f));
  m.add(L::Dense({.units = 3, .activation = "softmax"}));
  return m;
}

std::vector<float> flat_weights(Sequential& m) {
  std::vector<float> out;
  for (const Tensor& t : m.get_weights()) {
    const auto v = t.to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

class Saving : public ::testing::Test {
 protected:
  std::string path(const std::string& name) {
    paths_.push_back(temp_path(name));
    return paths_.back();
  }
  void TearDown() override {
    for (const auto& p : paths_) std::filesystem::remove(p);
  }
  std::vector<std::string> paths_;
};

TEST_F(Saving, RoundTripKeepsArchitectureWeightsAndCompileArguments) {
  const Data d = data();
  set_seed(11);
  Sequential a = mlp();
  a.compile({.optimizer = optimizers::Adam({.learning_rate = 0.01f, .amsgrad = true}),
             .loss = "categorical_crossentropy",
             .metrics = {"accuracy"}});
  a.fit(d.x, d.y, {.batch_size = 16, .epochs = 2, .verbose = 0});
  const std::string file = path("roundtrip.soma");
  a.save(file);
  EXPECT_FALSE(std::filesystem::exists(file + ".tmp")) << "written atomically";

  Sequential b = load_model(file);
  EXPECT_EQ(a.get_config(), b.get_config());
  EXPECT_EQ(a.summary_string(), b.summary_string());
  EXPECT_EQ(a.predict(d.x).to_vector<float>(), b.predict(d.x).to_vector<float>());
  EXPECT_EQ(b.optimizer().name(), "Adam");
  EXPECT_EQ(b.optimizer().get_config(), a.optimizer().get_config());
  EXPECT_EQ(b.optimizer().iterations(), a.optimizer().iterations());
  const auto ea = a.evaluate(d.x, d.y, {.verbose = 0});
  const auto eb = b.evaluate(d.x, d.y, {.verbose = 0});
  EXPECT_EQ(ea, eb) << "same loss and the same metric names and values";
}

TEST_F(Saving, LoadWithoutCompileGivesAnUncompiledModel) {
  set_seed(3);
  Sequential a = mlp();
  a.compile({.optimizer = "sgd", .loss = "mse"});
  const std::string file = path("nocompile.soma");
  a.save(file);
  Sequential b = load_model(file, {.compile = false});
  EXPECT_FALSE(b.compiled());
  Sequential c = load_model(file);
  EXPECT_TRUE(c.compiled());
  EXPECT_FALSE(c.optimizer().built()) << "never trained: no optimizer state was saved";
}

// The acceptance test: 2 epochs, save, load (generator scrambled in between), 2 more epochs equal
// 4 uninterrupted epochs bit for bit, for every optimizer with state.
class Resume : public Saving, public ::testing::WithParamInterface<int> {};

OptimizerArg optimizer_for(int which) {
  switch (which) {
    case 0:
      return optimizers::Adam({.learning_rate = 0.01f});
    case 1:
      return optimizers::SGD({.learning_rate = 0.05f, .momentum = 0.9f, .nesterov = true, .decay = 0.01f});
    case 2:
      return optimizers::RMSprop({.learning_rate = 0.005f, .momentum = 0.5f, .centered = true});
    case 3:
      return optimizers::Nadam(
          {.learning_rate = optimizers::schedules::CosineDecay({.initial_learning_rate = 0.001f,
                                                                .decay_steps = 30,
                                                                .warmup_target = 0.01f,
                                                                .warmup_steps = 5})});
    case 4:
      return optimizers::AdamW({.learning_rate = 0.01f, .weight_decay = 0.05f});
    default:
      return optimizers::Adagrad({.learning_rate = 0.05f});
  }
}

TEST_P(Resume, TwoPlusTwoEpochsEqualFourBitForBit) {
  const Data d = data();
  set_seed(42);
  Sequential whole = mlp();
  whole.compile({.optimizer = optimizer_for(GetParam()), .loss = "categorical_crossentropy"});
  whole.fit(d.x, d.y, {.batch_size = 10, .epochs = 4, .verbose = 0});

  set_seed(42);
  const std::string file = path("resume.soma");
  {
    Sequential first = mlp();
    first.compile({.optimizer = optimizer_for(GetParam()), .loss = "categorical_crossentropy"});
    first.fit(d.x, d.y, {.batch_size = 10, .epochs = 2, .verbose = 0});
    first.save(file);
  }
  set_seed(12345);  // what another process would start from
  Sequential resumed = load_model(file);
  resumed.fit(d.x, d.y, {.batch_size = 10, .epochs = 4, .verbose = 0, .initial_epoch = 2});

  EXPECT_EQ(resumed.optimizer().iterations(), whole.optimizer().iterations());
  const auto w = flat_weights(whole), r = flat_weights(resumed);
  ASSERT_EQ(w.size(), r.size());
  EXPECT_EQ(0, std::memcmp(w.data(), r.data(), w.size() * sizeof(float))) << "weights differ after resuming";
}

INSTANTIATE_TEST_SUITE_P(Optimizers, Resume, ::testing::Values(0, 1, 2, 3, 4, 5));

// The control for the test above: without the saved generator the resumed run draws other shuffles and
// dropout masks, so bit-equality there is not an accident.
TEST_F(Saving, ResumingWithAnotherGeneratorDiverges) {
  const Data d = data();
  set_seed(42);
  Sequential whole = mlp();
  whole.compile({.optimizer = "adam", .loss = "categorical_crossentropy"});
  whole.fit(d.x, d.y, {.batch_size = 10, .epochs = 4, .verbose = 0});
  set_seed(42);
  const std::string file = path("diverge.soma");
  {
    Sequential first = mlp();
    first.compile({.optimizer = "adam", .loss = "categorical_crossentropy"});
    first.fit(d.x, d.y, {.batch_size = 10, .epochs = 2, .verbose = 0});
    first.save(file);
  }
  set_seed(12345);
  const std::string before = random::state();
  Sequential resumed = load_model(file, {.restore_random_state = false});
  EXPECT_EQ(random::state(), before) << "loading without restoring leaves the caller's generator untouched";
  resumed.fit(d.x, d.y, {.batch_size = 10, .epochs = 4, .verbose = 0, .initial_epoch = 2});
  EXPECT_NE(flat_weights(whole), flat_weights(resumed));
}

TEST_F(Saving, ConvolutionalModelRoundTrips) {
  set_seed(8);
  Sequential a;
  a.add(L::Conv2D(
      {.filters = 4, .kernel_size = {3}, .padding = "same", .activation = "relu", .input_shape = {8, 8, 2}}));
  a.add(L::MaxPooling2D());
  a.add(L::Flatten());
  a.add(L::Dense({.units = 2, .activation = "softmax"}));
  const std::string file = path("cnn.soma");
  a.save(file);
  Sequential b = load_model(file);
  const Tensor x = Tensor::full({3, 8, 8, 2}, 0.25f);
  EXPECT_EQ(a.predict(x).to_vector<float>(), b.predict(x).to_vector<float>());
  EXPECT_EQ(a.get_config(), b.get_config());
}

TEST_F(Saving, SaveNeedsABuiltModel) {
  Sequential m;
  m.add(L::Dense({.units = 2}));
  expect_contains(message_of<StateError>([&] { m.save(path("unbuilt.soma")); }), {"save()", "built"});
}

// Bad files: each gives an IOError that names the file and the problem.
class BadModelFile : public Saving {
 protected:
  void SetUp() override {
    set_seed(1);
    Sequential m = mlp();
    m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
    const Data d = data();
    m.fit(d.x, d.y, {.batch_size = 32, .epochs = 1, .verbose = 0});
    good_ = path("good.soma");
    m.save(good_);
    bytes_ = read_bytes(good_);
  }
  std::string load_error(const std::string& bytes) {
    const std::string p = path("bad.soma");
    write_bytes(p, bytes);
    return message_of<IOError>([&] { load_model(p); });
  }
  // The file with its config replaced (and a valid checksum), as a hand-edited file would be.
  std::string with_config(const Config& config) {
    io::ModelFile f = io::parse_model_file(bytes_, "good");
    f.config = config;
    const std::string p = path("edited.soma");
    io::write_model_file(p, f);
    return read_bytes(p);
  }
  Config config() { return io::parse_model_file(bytes_, "good").config; }
  std::string good_, bytes_;
};

TEST_F(BadModelFile, MissingFile) {
  expect_contains(message_of<IOError>([&] { load_model(path("nope.soma")); }), {"cannot open", "nope.soma"});
}

TEST_F(BadModelFile, ForeignFile) {
  expect_contains(load_error("GIF89a this is a picture, not a model"), {"not a soma model file", "SOMAMDL"});
  // A zip is taken for a Keras 3 .keras file (docs/interop.md).
  expect_contains(load_error("PK\x03\x04 this is a zip file, not a model"),
                  {"starts as a zip but is not a readable .keras file"});
  expect_contains(load_error(""), {"not a soma model file"});
}

TEST_F(BadModelFile, AWeightsFileIsNotAModelFile) {
  Sequential m = mlp();
  const std::string p = path("weights.soma");
  m.save_weights(p);
  expect_contains(message_of<IOError>([&] { load_model(p); }), {"not a soma model file"});
}

TEST_F(BadModelFile, WrongVersion) {
  std::string b = bytes_;
  b[8] = 7;
  expect_contains(load_error(b), {"format version 7", "reads version 1"});
}

TEST_F(BadModelFile, EveryTruncationIsAnIOError) {
  for (size_t n = 0; n < bytes_.size(); n += 5) {
    const std::string p = path("cut.soma");
    write_bytes(p, bytes_.substr(0, n));
    EXPECT_THROW(load_model(p), IOError) << "cut at " << n;
  }
  expect_contains(load_error(bytes_.substr(0, bytes_.size() - 1)), {"corrupted or truncated"});
}

TEST_F(BadModelFile, BitFlipsAreCaughtByTheChecksum) {
  std::mt19937 gen(9);
  for (int i = 0; i < 100; ++i) {
    std::string b = bytes_;
    const size_t at = 12 + gen() % (b.size() - 12);
    b[at] = static_cast<char>(b[at] ^ (1 << (gen() % 8)));
    expect_contains(load_error(b), {"checksum"});
  }
}

TEST_F(BadModelFile, MalformedConfigBehindAValidChecksum) {
  io::ModelFile f = io::parse_model_file(bytes_, "good");
  std::string b = bytes_;
  // The config text starts after magic, version and its u64 length; break its first character.
  b[20] = '#';
  const std::string p = path("json.soma");
  write_bytes(p, b);
  expect_contains(message_of<IOError>([&] { load_model_from_bytes(b, "json.soma", {}, false); }),
                  {"json.soma", "malformed config"});
}

TEST_F(BadModelFile, ConfigsThatDescribeNoModel) {
  Config c = config();
  c["format"] = "keras";
  expect_contains(load_error(with_config(c)), {"not a soma model"});

  c = config();
  c["model"]["config"]["layers"][0]["class_name"] = "Transformer";
  expect_contains(load_error(with_config(c)), {"unknown layer class \"Transformer\"", "register_layer"});

  c = config();
  c["model"]["config"]["layers"][0]["config"]["units"] = 17;
  expect_contains(load_error(with_config(c)), {"does not describe a usable model"});

  c = config();
  c["model"]["config"]["layers"][0]["config"]["units"] = "many";
  expect_contains(load_error(with_config(c)), {"Dense config", "units"});

  c = config();
  c["model"]["config"]["layers"][0]["config"]["unitz"] = 4;
  expect_contains(load_error(with_config(c)), {"unknown argument \"unitz\""});

  c = config();
  c["model"]["config"]["layers"][0]["config"]["units"] = int64_t{1} << 40;  // terabytes of weights
  expect_contains(load_error(with_config(c)), {"more than the file holds"});

  c = config();
  c["compile"]["optimizer"]["class_name"] = "Adamax";
  expect_contains(load_error(with_config(c)), {"unknown optimizer class \"Adamax\""});

  c = config();
  c["compile"]["loss"]["class_name"] = "hinge";
  expect_contains(load_error(with_config(c)), {"unknown loss"});

  c = config();
  c["training"]["random_state"] = "not a generator";
  expect_contains(load_error(with_config(c)), {"random::set_state"});
}

TEST_F(BadModelFile, TensorsThatDoNotFitTheConfig) {
  io::ModelFile f = io::parse_model_file(bytes_, "good");
  auto edited = [&](auto change) {
    io::ModelFile g = io::parse_model_file(bytes_, "good");
    change(g);
    const std::string p = path("tensors.soma");
    io::write_model_file(p, g);
    return message_of<IOError>([&] { load_model(p); });
  };
  expect_contains(edited([](io::ModelFile& g) { g.tensors.erase(g.tensors.begin()); }), {"lacks the weight"});
  expect_contains(edited([](io::ModelFile& g) { g.tensors[0].value = Tensor::zeros({2, 2}); }), {"shape"});
  expect_contains(edited([](io::ModelFile& g) {
                    g.tensors.push_back({"weights/extra/kernel", Tensor::zeros({1})});
                  }),
                  {"extra/kernel"});
  expect_contains(edited([](io::ModelFile& g) {
                    g.tensors.push_back({"junk", Tensor::zeros({1})});
                  }),
                  {"neither a weight nor optimizer state"});
  expect_contains(edited([](io::ModelFile& g) {
                    for (auto it = g.tensors.begin(); it != g.tensors.end(); ++it)
                      if (it->name.starts_with("optimizer/")) {
                        g.tensors.erase(it);
                        break;
                      }
                  }),
                  {"is missing"});
}

TEST_F(BadModelFile, AFailedLoadLeavesTheGeneratorAlone) {
  Config c = config();
  c["model"]["config"]["layers"][0]["class_name"] = "Transformer";
  const std::string bad = with_config(c);
  set_seed(77);
  const std::string before = random::state();
  load_error(bad);
  EXPECT_EQ(random::state(), before);
}

}  // namespace
}  // namespace soma

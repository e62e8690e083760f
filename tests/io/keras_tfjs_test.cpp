// TensorFlow.js layers models loaded by soma::load_model: npm's nsfwjs MobileNetV2 (Keras 2.2.4 topology,
// uint8-quantised weights) against tfjs' own probabilities (tests/reference/nsfwjs.js), then fine-tuned
// and saved as .soma.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "soma/data/image.hpp"
#include "soma/models/model.hpp"
#include "soma/models/saving.hpp"
#include "io/tfjs_reference.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

std::string nsfwjs_dir() {
  const char* home = std::getenv("SOMA_DATA_HOME");
  const std::string base = home ? home : std::string(std::getenv("HOME")) + "/.soma";
  return base + "/models/nsfwjs_mobilenet_v2";
}

// The photo as tfjs got it: RGB pixels / 255, a batch of one.
Tensor photo(const std::string& file) {
  const Tensor rgb = data::load_image(std::string(SOMA_TEST_DATA_DIR) + "/" + file);
  Tensor x = Tensor::empty(Shape{1, rgb.dim(0), rgb.dim(1), rgb.dim(2)});
  const auto* p = rgb.data<uint8_t>();
  for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] = static_cast<float>(p[i]) / 255.0f;
  return x;
}

// Models tfjs built and saved itself (tests/reference/tfjs_models.js): every layer kind tfjs writes, a
// shared layer in a functional graph, and the same weights quantised to uint8, uint16 and float16.
TEST(TfjsModels, PredictAsTfjsDoes) {
  const auto cases = testing::load_reference_cases("tfjs_models.txt");
  ASSERT_EQ(cases.size(), 11u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> notes;
    Model model = load_model(std::string(SOMA_TEST_DATA_DIR) + "/tfjs_models/" + c.name + "/model.json",
                             {.notes = &notes});
    testing::expect_matches_tfjs(model, c, c.name);
    EXPECT_TRUE(std::none_of(notes.begin(), notes.end(), [](const std::string& n) { return n.find("not compiled") != std::string::npos; }));
  }
}

TEST(TfjsModels, CompilesFromTheTrainingConfig) {
  Model model = load_model(std::string(SOMA_TEST_DATA_DIR) + "/tfjs_models/dense_mlp/model.json");
  ASSERT_TRUE(model.compiled());
  EXPECT_EQ(model.compile_config()["optimizer"]["class_name"], "Adam");
  EXPECT_FLOAT_EQ(model.compile_config()["optimizer"]["config"]["learning_rate"].get<float>(), 0.01f);
  EXPECT_EQ(model.compile_config()["loss"]["class_name"], "categorical_crossentropy");
}

// A copy of a reference model whose model.json or shard the test then spoils.
class BadTfjsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("soma_bad_tfjs_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const auto src = std::filesystem::path(SOMA_TEST_DATA_DIR) / "tfjs_models" / "dense_mlp";
    json_ = Config::parse(std::ifstream(src / "model.json"));
    std::ifstream w(src / "weights.bin", std::ios::binary);
    shard_.assign(std::istreambuf_iterator<char>(w), {});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write() {
    std::ofstream(dir_ / "model.json") << json_.dump();
    std::ofstream(dir_ / "weights.bin", std::ios::binary) << shard_;
    return (dir_ / "model.json").string();
  }
  void expect_error(const std::string& fragment) {
    const std::string path = write();
    try {
      load_model(path);
      ADD_FAILURE() << "no error; expected one containing: " << fragment;
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  std::filesystem::path dir_;
  Config json_;
  std::string shard_;
};

TEST_F(BadTfjsFile, TruncatedShard) {
  shard_.resize(shard_.size() / 2);
  expect_error("too few for the weight");
}
TEST_F(BadTfjsFile, LongerShard) {
  shard_ += "xx";
  expect_error("where its weights take");
}
TEST_F(BadTfjsFile, MissingShard) {
  json_["weightsManifest"][0]["paths"][0] = "gone.bin";
  expect_error("gone.bin");
}
TEST_F(BadTfjsFile, ShardOutsideItsDirectory) {
  json_["weightsManifest"][0]["paths"][0] = "../../etc/passwd";
  expect_error("outside its directory");
}
TEST_F(BadTfjsFile, UnknownLayerClassIsNamed) {
  json_["modelTopology"]["config"]["layers"][1]["class_name"] = "Spline";
  expect_error("unknown layer class \"Spline\"");
}
TEST_F(BadTfjsFile, UnsupportedArgumentNamesTheLayer) {
  json_["modelTopology"]["config"]["layers"][1]["config"]["noise_shape"] = Config::array({1, 8});
  expect_error("argument \"noise_shape\" = [1,8] is not supported");
}
TEST_F(BadTfjsFile, WrongWeightShape) {
  json_["weightsManifest"][0]["weights"][0]["shape"] = Config::array({8, 6});
  expect_error("of shape (8, 6) where the model's");
}
TEST_F(BadTfjsFile, BadQuantisation) {
  json_["weightsManifest"][0]["weights"][0]["quantization"] = Config{{"dtype", "int4"}};
  expect_error("as int4");
}
TEST_F(BadTfjsFile, NotJson) {
  const std::string path = write();
  std::ofstream(path) << "{ \"modelTopology\": ";
  try {
    load_model(path);
    ADD_FAILURE();
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("is not valid JSON"), std::string::npos) << e.what();
  }
}

class Nsfwjs : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = nsfwjs_dir() + "/model.json";
    if (!std::filesystem::exists(path_)) GTEST_SKIP() << "run scripts/fetch_nsfwjs.sh (the test command does)";
  }
  std::string path_;
};

TEST_F(Nsfwjs, ProbabilitiesMatchTfjs) {
  std::vector<std::string> notes;
  Model model = load_model(path_, {.notes = &notes});
  EXPECT_EQ(model.count_params(), 2619461);
  EXPECT_FALSE(model.get_layer("Conv1").trainable());  // the file freezes the backbone
  EXPECT_TRUE(model.get_layer("dense_3").trainable());
  EXPECT_TRUE(model.compiled());  // from the training_config: SGD, categorical_crossentropy
  const auto cases = testing::load_reference_cases("nsfwjs.txt");
  ASSERT_EQ(cases.size(), 5u);
  float worst = 0;
  for (const auto& c : cases) {
    const Tensor y = model.predict(photo(c.options.at("photo")));
    const Tensor& want = c.tensors.at("probabilities");
    ASSERT_EQ(y.shape(), want.shape());
    for (int64_t i = 0; i < y.numel(); ++i) worst = std::max(worst, std::abs(y.f32()[i] - want.f32()[i]));
  }
  EXPECT_LT(worst, 1e-4f);
  std::printf("nsfwjs: max |p_soma - p_tfjs| over 5 photos = %.3g\n", worst);
}

TEST_F(Nsfwjs, FineTunesTheLastLayerAndSavesAsSoma) {
  Model model = load_model(path_, {.notes = nullptr});
  for (auto* layer : model.layers()) layer->set_trainable(layer->name() == "dense_3");
  const std::vector<std::string> names = {"dog", "eagle", "horses", "person", "scream"};
  Tensor x = Tensor::empty(Shape{5, 224, 224, 3});
  Tensor y = Tensor::zeros(Shape{5, 5});
  for (size_t i = 0; i < names.size(); ++i) {
    const Tensor one = photo("photos/" + names[i] + ".png");
    std::copy(one.f32(), one.f32() + one.numel(), x.f32() + static_cast<int64_t>(i) * one.numel());
    y.f32()[i * 5 + (names[i] == "scream" ? 0 : 2)] = 1;  // The Scream is a drawing (class 0), the rest neutral
  }
  model.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
  const Tensor before = model.get_layer("Conv1").weights()[0]->value.clone();
  const Tensor last_before = model.get_layer("dense_3").weights()[0]->value.clone();
  const auto history = model.fit(x, y, {.batch_size = 5, .epochs = 1, .verbose = 0});
  EXPECT_TRUE(std::isfinite(history.history.at("loss").back()));
  const Tensor& conv = model.get_layer("Conv1").weights()[0]->value;
  for (int64_t i = 0; i < conv.numel(); ++i) ASSERT_EQ(conv.f32()[i], before.f32()[i]);  // frozen
  const Tensor& last = model.get_layer("dense_3").weights()[0]->value;
  bool moved = false;
  for (int64_t i = 0; i < last.numel(); ++i) moved = moved || last.f32()[i] != last_before.f32()[i];
  EXPECT_TRUE(moved);
  const std::string saved = (std::filesystem::temp_directory_path() / "nsfwjs_finetuned.soma").string();
  model.save(saved);
  Model again = load_model(saved);
  EXPECT_FALSE(again.get_layer("Conv1").trainable());
  const Tensor a = model.predict(x), b = again.predict(x);
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.f32()[i], b.f32()[i]);
  std::filesystem::remove(saved);
}

}  // namespace
}  // namespace soma

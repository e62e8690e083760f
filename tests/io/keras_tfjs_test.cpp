// TensorFlow.js layers models loaded by soma::load_model: npm's nsfwjs MobileNetV2 (Keras 2.2.4 topology,
// uint8-quantised weights) against tfjs' own probabilities (tests/reference/nsfwjs.js), then fine-tuned
// and saved as .soma.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "soma/data/image.hpp"
#include "soma/models/model.hpp"
#include "soma/models/saving.hpp"
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

// Keras HDF5 model files (tests/reference/keras_h5.py writes them in Keras 2's model.save layout from the
// tfjs reference models, so tfjs' predictions are the reference), and damaged ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "soma/models/model.hpp"
#include "soma/models/saving.hpp"
#include "io/tfjs_reference.hpp"
#include "support/reference_cases.hpp"

namespace soma {
namespace {

std::string h5(const std::string& name) {
  return std::string(SOMA_TEST_DATA_DIR) + "/keras_h5/" + name + ".h5";
}

TEST(KerasH5, PredictsAsTheSameModelInTfjs) {
  const auto cases = testing::load_reference_cases("tfjs_models.txt");
  int checked = 0;
  for (const auto& c : cases) {
    for (const std::string& file : {c.name, c.name + "_keras3"}) {
      if (!std::filesystem::exists(h5(file))) continue;
      SCOPED_TRACE(file);
      std::vector<std::string> notes;
      Model model = load_model(h5(file), {.notes = &notes});
      testing::expect_matches_tfjs(model, c, file + ".h5");
      ++checked;
    }
  }
  EXPECT_EQ(checked, 7);
}

TEST(KerasH5, CompilesFromTrainingConfigAndResavesAsSoma) {
  Model model = load_model(h5("dense_mlp"));
  ASSERT_TRUE(model.compiled());
  EXPECT_EQ(model.compile_config()["optimizer"]["class_name"], "Adam");
  EXPECT_FLOAT_EQ(model.compile_config()["optimizer"]["config"]["learning_rate"].get<float>(), 0.01f);
  const Tensor x = Tensor::full(Shape{2, 6}, 0.25f);
  const Tensor y = Tensor::full(Shape{2, 3}, 1.0f / 3);
  model.fit(x, y, {.epochs = 1, .verbose = 0});  // continues training
  const std::string saved = (std::filesystem::temp_directory_path() / "soma_from_h5.soma").string();
  model.save(saved);
  Model again = load_model(saved);
  const Tensor a = model.predict(x), b = again.predict(x);
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a.f32()[i], b.f32()[i]);
  std::filesystem::remove(saved);
}

// Keras 3 .keras zips (tests/reference/keras_zip.py, Keras 3's dialect and weight tree).
TEST(KerasZip, PredictsAsTheSameModelInTfjs) {
  const auto cases = testing::load_reference_cases("tfjs_models.txt");
  int checked = 0;
  for (const auto& c : cases) {
    const std::string path = std::string(SOMA_TEST_DATA_DIR) + "/keras_zip/" + c.name + ".keras";
    if (!std::filesystem::exists(path)) continue;
    SCOPED_TRACE(c.name);
    std::vector<std::string> notes;
    Model model = load_model(path, {.notes = &notes});
    testing::expect_matches_tfjs(model, c, c.name + ".keras");
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(KerasZip, DamagedZipsAreIOErrors) {
  std::ifstream in(std::string(SOMA_TEST_DATA_DIR) + "/keras_zip/conv_net.keras", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string path = (std::filesystem::temp_directory_path() / "soma_damaged.keras").string();
  for (size_t keep : {size_t{4}, size_t{64}, bytes.size() / 2, bytes.size() - 30}) {
    SCOPED_TRACE(keep);
    std::ofstream(path, std::ios::binary) << bytes.substr(0, keep);
    EXPECT_THROW(load_model(path), IOError);
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x5a;  // the CRC catches it, or HDF5 finds its structures broken
  std::ofstream(path, std::ios::binary) << flipped;
  EXPECT_THROW(load_model(path), IOError);
  std::filesystem::remove(path);
}

void expect_io_error(const std::string& path, const std::string& fragment) {
  try {
    load_model(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(KerasH5, TruncatedFilesAreIOErrors) {
  std::ifstream in(h5("conv_net"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string path = (std::filesystem::temp_directory_path() / "soma_truncated.h5").string();
  for (size_t keep : {size_t{8}, size_t{100}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 10}) {
    SCOPED_TRACE(keep);
    std::ofstream(path, std::ios::binary) << bytes.substr(0, keep);
    EXPECT_THROW(load_model(path), IOError);
  }
  std::filesystem::remove(path);
}

TEST(KerasH5, NotAModelFileIsNamed) {
  const std::string path = (std::filesystem::temp_directory_path() / "soma_weights_only.h5").string();
  std::ifstream in(h5("dense_mlp"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(path, std::ios::binary) << bytes.substr(0, 8) << std::string(600, '\0');
  expect_io_error(path, "damaged or truncated HDF5");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace soma

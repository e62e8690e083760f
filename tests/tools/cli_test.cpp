// The `soma` command line, run as a child process: a model saved by this process predicts identically in
// another one, summary/evaluate/train work on real files, and errors are messages with exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "soma/soma.hpp"

namespace soma {
namespace {

namespace L = layers;

struct CliRun {
  int code;
  std::string output;  // stdout and stderr together
};

CliRun soma_cli(const std::string& args) {
  const std::string command = std::string(SOMA_CLI) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("soma_cli_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A trained 3-class classifier of 6 features, saved to model.soma, and the CSV it was trained on.
  Sequential trained_classifier() {
    set_seed(21);
    Tensor x = Tensor::empty({120, 6}), labels = Tensor::empty({120});
    for (int64_t i = 0; i < 120; ++i) {
      for (int64_t j = 0; j < 6; ++j) x.f32()[i * 6 + j] = random::normal(0.0f, 1.0f);
      labels.f32()[i] = x.f32()[i * 6] > 0.3f ? 0.0f : (x.f32()[i * 6 + 1] > 0.0f ? 1.0f : 2.0f);
    }
    std::ofstream csv(path("train.csv"));
    csv << "f0,f1,f2,f3,f4,f5,label\n";
    char buf[32];
    for (int64_t i = 0; i < 120; ++i) {
      for (int64_t j = 0; j < 6; ++j) {
        std::snprintf(buf, sizeof buf, "%.9g,", static_cast<double>(x.f32()[i * 6 + j]));
        csv << buf;
      }
      csv << labels.f32()[i] << "\n";
    }
    Sequential m;
    m.add(L::Dense({.units = 16, .activation = "relu", .input_shape = {6}}));
    m.add(L::Dropout(0.2f));
    m.add(L::Dense({.units = 3, .activation = "softmax"}));
    m.compile({.optimizer = "adam", .loss = "categorical_crossentropy", .metrics = {"accuracy"}});
    m.fit(x, utils::to_categorical(labels, 3), {.batch_size = 16, .epochs = 3, .verbose = 0});
    m.save(path("model.soma"));
    return m;
  }

  std::filesystem::path dir_;
};

// Reads the --output CSV of predict: the class column, then every output value.
std::vector<std::vector<float>> read_outputs(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<float>> rows;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string field;
    std::vector<float> row;
    std::getline(ss, field, ',');  // class
    while (std::getline(ss, field, ',')) row.push_back(std::strtof(field.c_str(), nullptr));
    rows.push_back(row);
  }
  return rows;
}

TEST_F(Cli, AnotherProcessPredictsBitForBit) {
  Sequential m = trained_classifier();
  // Inputs as a features-only CSV; this process reads the same file, so both see identical floats.
  const data::CsvTable table = data::read_csv(path("train.csv"));
  std::ofstream csv(path("inputs.csv"));
  char buf[32];
  const int64_t rows = 25;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < 6; ++j) {
      std::snprintf(buf, sizeof buf, "%s%.9g", j ? "," : "",
                    static_cast<double>(table.values.f32()[i * 7 + j]));
      csv << buf;
    }
    csv << "\n";
  }
  csv.close();
  const Tensor x = data::read_csv(path("inputs.csv")).values;
  const Tensor expected = m.predict(x);

  const CliRun r =
      soma_cli("predict " + path("model.soma") + " " + path("inputs.csv") + " --output " + path("out.csv"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("sample 24: class"), std::string::npos) << r.output;
  const auto got = read_outputs(path("out.csv"));
  ASSERT_EQ(got.size(), static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    ASSERT_EQ(got[i].size(), 3u);
    for (int64_t j = 0; j < 3; ++j) {
      const float want = expected.f32()[i * 3 + j];
      EXPECT_EQ(std::memcmp(&got[i][j], &want, sizeof want), 0)
          << "sample " << i << " class " << j << ": " << got[i][j] << " vs " << want;
    }
  }
}

TEST_F(Cli, PredictReadsImagesAndIdx) {
  set_seed(4);
  Sequential m;
  m.add(L::Conv2D({.filters = 2, .kernel_size = {3}, .activation = "relu", .input_shape = {8, 8, 1}}));
  m.add(L::Flatten());
  m.add(L::Dense({.units = 4, .activation = "softmax"}));
  m.save(path("cnn.soma"));
  Tensor img = Tensor::empty({8, 8, 1}, DType::uint8);
  for (int64_t i = 0; i < 64; ++i) img.data<uint8_t>()[i] = static_cast<uint8_t>(i * 4);
  data::save_image(path("digit.png"), img);
  const Tensor expected = m.predict(utils::normalize_pixels(img).reshape({1, 8, 8, 1}));

  const CliRun r =
      soma_cli("predict " + path("cnn.soma") + " " + path("digit.png") + " --output " + path("img.csv"));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto got = read_outputs(path("img.csv"));
  ASSERT_EQ(got.size(), 1u);
  for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(got[0][j], expected.f32()[j]);

  // --invert on a PNG gives what the model says for 255 - pixel.
  Tensor inverted = img.clone();
  for (int64_t i = 0; i < 64; ++i) inverted.data<uint8_t>()[i] = static_cast<uint8_t>(255 - i * 4);
  const Tensor expected_inv = m.predict(utils::normalize_pixels(inverted).reshape({1, 8, 8, 1}));
  ASSERT_EQ(soma_cli("predict " + path("cnn.soma") + " " + path("digit.png") + " --invert --quiet --output " +
                     path("inv.csv"))
                .code,
            0);
  EXPECT_EQ(read_outputs(path("inv.csv"))[0][0], expected_inv.f32()[0]);
}

TEST_F(Cli, SummaryAndEvaluate) {
  Sequential m = trained_classifier();
  CliRun r = soma_cli("summary " + path("model.soma"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* part : {"Dense", "Dropout", "Total params: 163", "Loss: categorical_crossentropy",
                           "Optimizer steps taken: 24", "\"class_name\":\"Adam\""}) {
    EXPECT_NE(r.output.find(part), std::string::npos) << part << " missing from:\n" << r.output;
  }
  r = soma_cli("evaluate " + path("model.soma") + " --csv " + path("train.csv") + " --verbose 0");
  ASSERT_EQ(r.code, 0) << r.output;
  const data::CsvTable table = data::read_csv(path("train.csv"));
  Tensor x = Tensor::empty({120, 6}), labels = Tensor::empty({120});
  for (int64_t i = 0; i < 120; ++i) {
    for (int64_t j = 0; j < 6; ++j) x.f32()[i * 6 + j] = table.values.f32()[i * 7 + j];
    labels.f32()[i] = table.values.f32()[i * 7 + 6];
  }
  const auto logs = m.evaluate(x, utils::to_categorical(labels, 3), {.verbose = 0});
  char want[64];
  std::snprintf(want, sizeof want, "loss: %.6f", logs.at("loss"));
  EXPECT_NE(r.output.find(want), std::string::npos) << want << " vs\n" << r.output;
}

// A tfjs model (tests/reference/tfjs_models) converted to .soma and to .keras predicts as loaded directly.
TEST_F(Cli, ConvertsImportedModels) {
  const std::string json = std::string(SOMA_TEST_DATA_DIR) + "/tfjs_models/conv_net/model.json";
  for (const std::string& out : {path("converted.soma"), path("converted.keras")}) {
    const CliRun r = soma_cli("convert " + json + " " + out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("Wrote " + out), std::string::npos) << r.output;
    Model direct = load_model(json), converted = load_model(out);
    const Tensor x = Tensor::full({2, 9, 8, 3}, 0.25f);
    const Tensor a = direct.predict(x), b = converted.predict(x);
    for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.f32()[i], b.f32()[i]) << out;
  }
  const CliRun bad = soma_cli("convert " + path("missing.json") + " " + path("x.soma"));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("missing.json"), std::string::npos) << bad.output;
}

TEST_F(Cli, TrainFromAJsonConfig) {
  trained_classifier();  // writes train.csv
  std::ofstream(path("config.json")) << R"({
    "model": {"name": "tabular", "layers": [
      {"class_name": "Dense", "config": {"units": 8, "activation": "relu", "input_shape": [6],
                                         "kernel_regularizer": {"l2": 0.001}}},
      {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]},
    "compile": {"optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.1, "momentum": 0.9}},
                "loss": "categorical_crossentropy", "metrics": ["accuracy"]},
    "data": {"csv": ")" + path("train.csv") +
                                            R"(", "validation_csv": ")" + path("train.csv") + R"("},
    "fit": {"batch_size": 20, "epochs": 4}
  })";
  const CliRun r =
      soma_cli("train " + path("config.json") + " -o " + path("trained.soma") + " --checkpoint " +
               path("best.soma") + " --log " + path("log.csv") + " --verbose 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("Epoch 4/4"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("test accuracy"), std::string::npos) << r.output;
  Sequential trained = load_model(path("trained.soma"));
  EXPECT_EQ(trained.name(), "tabular");
  EXPECT_EQ(trained.optimizer().name(), "SGD");
  EXPECT_EQ(trained.optimizer().iterations(), 4 * 6);
  EXPECT_TRUE(std::filesystem::exists(path("best.soma")));
  std::ifstream log(path("log.csv"));
  int lines = 0;
  for (std::string line; std::getline(log, line);) ++lines;
  EXPECT_EQ(lines, 5) << "a header and one row per epoch";
}

// The command line takes functional models too: a config in Keras 3's functional layout trains, and
// summary and predict work on the saved file.
TEST_F(Cli, TrainsAndRunsAFunctionalModel) {
  trained_classifier();  // writes train.csv
  auto in = Input({6}, {.name = "features"});
  auto h = L::Dense({.units = 8, .activation = "relu", .name = "hidden"})(in);
  auto skip = L::Dense({.units = 8, .name = "skip"})(in);
  auto out = L::Dense({.units = 3, .activation = "softmax", .name = "probs"})(L::Add()({h, skip}));
  Model graph({in}, {out}, "residual_tabular");
  const Config model_config{{"class_name", "Functional"}, {"config", graph.get_config()}};
  std::ofstream(path("functional.json"))
      << Config{{"model", model_config},
                {"compile", {{"optimizer", "adam"}, {"loss", "categorical_crossentropy"}, {"metrics", {"accuracy"}}}},
                {"data", {{"csv", path("train.csv")}}},
                {"fit", {{"batch_size", 20}, {"epochs", 2}}}}
             .dump();
  CliRun r = soma_cli("train " + path("functional.json") + " -o " + path("graph.soma") + " --verbose 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("Epoch 2/2"), std::string::npos) << r.output;
  Model trained = load_model(path("graph.soma"));
  EXPECT_EQ(trained.type(), "Functional");
  EXPECT_EQ(trained.optimizer().iterations(), 2 * 6);
  r = soma_cli("summary " + path("graph.soma"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* part : {"Connected to", "add (Add)", "hidden[0][0]", "Total params: 139"})
    EXPECT_NE(r.output.find(part), std::string::npos) << part << " missing from:\n" << r.output;
  std::ofstream(path("features.csv")) << "f0,f1,f2,f3,f4,f5\n0.5,-1,0.25,0,1,2\n-0.5,1,0,0,0,-2\n";
  r = soma_cli("predict " + path("graph.soma") + " " + path("features.csv") + " --output " + path("out.csv"));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rows = read_outputs(path("out.csv"));
  const Tensor want = trained.predict(Tensor::from_vector<float>({0.5f, -1, 0.25f, 0, 1, 2, -0.5f, 1, 0, 0, 0, -2}, {2, 6}));
  ASSERT_EQ(rows.size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < 3; ++j) EXPECT_EQ(rows[i].at(j), want.f32()[i * 3 + j]) << i << "," << j;
  // Two inputs cannot come from one data source.
  auto a = Input({3}), b = Input({3});
  Model two({a, b}, {L::Dense({.units = 3, .activation = "softmax"})(L::Concatenate()({a, b}))});
  std::ofstream(path("two.json")) << Config{{"model", {{"class_name", "Functional"}, {"config", two.get_config()}}},
                                           {"compile", {{"loss", "categorical_crossentropy"}}},
                                           {"data", {{"csv", path("train.csv")}}}}
                                         .dump();
  r = soma_cli("train " + path("two.json") + " -o " + path("two.soma"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("one input and one output; this one has 2 and 1"), std::string::npos) << r.output;
}

TEST_F(Cli, TrainsOnAnImageDirectory) {
  // Keras' layout: one directory per class. "bright" images are light, "dark" ones dark, both noisy.
  set_seed(9);
  for (const char* cls : {"bright", "dark"}) {
    std::filesystem::create_directories(path(std::string("pictures/") + cls));
    for (int i = 0; i < 12; ++i) {
      Tensor img = Tensor::empty({8, 8, 1}, DType::uint8);
      for (int64_t k = 0; k < 64; ++k) {
        const float base = std::string(cls) == "bright" ? 180.0f : 60.0f;
        img.data<uint8_t>()[k] = static_cast<uint8_t>(base + random::uniform(-50.0f, 50.0f));
      }
      data::save_image(path("pictures/" + std::string(cls) + "/" + std::to_string(i) + ".png"), img);
    }
  }
  std::ofstream(path("images.json")) << R"({
    "model": {"layers": [
      {"class_name": "Flatten", "config": {"input_shape": [8, 8, 1]}},
      {"class_name": "Dense", "config": {"units": 2, "activation": "softmax"}}]},
    "compile": {"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.05}},
                "loss": "categorical_crossentropy", "metrics": ["accuracy"]},
    "data": {"directory": ")" + path("pictures") +
                                            R"(", "validation_directory": ")" + path("pictures") + R"("},
    "fit": {"batch_size": 8, "epochs": 15}
  })";
  const CliRun r = soma_cli("train " + path("images.json") + " -o " + path("pictures.soma") + " --verbose 0");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("24 images of 2 classes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("test accuracy: 1.0000"), std::string::npos) << r.output;
  const CliRun p = soma_cli("predict " + path("pictures.soma") + " " + path("pictures/dark/0.png"));
  ASSERT_EQ(p.code, 0) << p.output;
  EXPECT_NE(p.output.find("sample 0: class 1"), std::string::npos)
      << "dark is class 1 (sorted names): " << p.output;
}

TEST_F(Cli, TrainStopsWithAMessageOnAHostileImage) {
  // A 54-byte BMP header of width 0 (stb_image once aborted the whole process on it) among good images.
  for (const char* cls : {"a", "b"}) {
    std::filesystem::create_directories(path(std::string("pics/") + cls));
    data::save_image(path("pics/" + std::string(cls) + "/0.png"), Tensor::zeros({8, 8, 1}, DType::uint8));
  }
  std::string bmp = "BM";
  for (uint32_t v : {54u, 0u, 54u, 40u, 0u, 4u}) bmp.append(reinterpret_cast<const char*>(&v), 4);
  bmp += std::string("\x01\x00\x18\x00", 4) + std::string(24, '\0');
  ASSERT_EQ(bmp.size(), 54u);
  std::ofstream(path("pics/b/bad.bmp"), std::ios::binary) << bmp;
  std::ofstream(path("pics.json")) << R"({
    "model": {"layers": [
      {"class_name": "Flatten", "config": {"input_shape": [8, 8, 1]}},
      {"class_name": "Dense", "config": {"units": 2, "activation": "softmax"}}]},
    "compile": {"optimizer": "adam", "loss": "categorical_crossentropy"},
    "data": {"directory": ")" + path("pics") +
                                          R"("},
    "fit": {"batch_size": 2, "epochs": 1}
  })";
  const CliRun r = soma_cli("train " + path("pics.json") + " -o " + path("pics.soma") + " --verbose 0");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(
                "bad.bmp: BMP header gives 0 x 4 pixels; an image needs a width and height of at least 1."),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("pics.soma")));
}

TEST_F(Cli, ErrorsAreMessagesWithExitCodes) {
  CliRun r = soma_cli("summary " + path("missing.soma"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("soma: error: load_model: cannot open"), std::string::npos) << r.output;

  trained_classifier();
  std::string bytes;
  {
    std::ifstream in(path("model.soma"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() / 2] ^= 0x10;
  std::ofstream(path("corrupt.soma"), std::ios::binary) << bytes;
  r = soma_cli("predict " + path("corrupt.soma") + " " + path("train.csv"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("checksum"), std::string::npos) << r.output;

  r = soma_cli("predict " + path("model.soma") + " " + path("train.csv"));
  EXPECT_EQ(r.code, 1) << "train.csv has 7 columns, the model takes 6";
  EXPECT_NE(r.output.find("7 values per sample"), std::string::npos) << r.output;

  r = soma_cli("frobnicate");
  EXPECT_EQ(r.code, 2) << r.output;

  std::ofstream(path("bad.json"))
      << R"({"model": {"layers": []}, "compile": {"loss": "mse"}, "data": {"csv": "x"},
                                        "fit": {"epochz": 3}})";
  r = soma_cli("train " + path("bad.json"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("unknown key \"epochz\""), std::string::npos) << r.output;
}

}  // namespace
}  // namespace soma

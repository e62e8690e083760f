// soma train refuses bad configs and unusable output paths before it trains, with messages that name the
// key or the path; config files that are not regular files are refused without hanging.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/special_files.hpp"

namespace soma {
namespace {

struct TrainRun {
  int code;
  std::string output;
};

// The CLI under `timeout`, so a hang fails the test instead of stalling it.
TrainRun train(const std::string& args) {
  const std::string command = "timeout 60 " + std::string(SOMA_CLI) + " train " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class TrainChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("soma_train_checks_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream csv(path("data.csv"));
    csv << "a,b,label\n";
    for (int i = 0; i < 16; ++i) csv << i % 3 << "," << (i * 7) % 5 << "," << i % 2 << "\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A valid config with `layer` as the first layer's config and `fit` as the fit section.
  std::string config(
      const std::string& fit = R"({"epochs": 1, "batch_size": 4})",
      const std::string& layer = R"({"units": 2, "activation": "softmax", "input_shape": [2]})") {
    const std::string file = path("config_" + std::to_string(count_++) + ".json");
    std::ofstream(file)
        << R"({"model": {"layers": [{"class_name": "Dense", "config": )" + layer +
               R"(}]}, "compile": {"optimizer": "sgd", "loss": "sparse_categorical_crossentropy"},
        "data": {"csv": ")" +
               path("data.csv") + R"("}, "fit": )" + fit + "}";
    return file;
  }
  // Runs train on the config and checks it failed before training with a message holding `parts`.
  void expect_refused(const std::string& args, std::initializer_list<std::string> parts) {
    const TrainRun r = train(args + " --verbose 2");
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_EQ(r.output.find("Epoch"), std::string::npos) << "it trained first:\n" << r.output;
    for (const auto& part : parts)
      EXPECT_NE(r.output.find(part), std::string::npos) << part << " in\n" << r.output;
    for (const char* raw : {"type must be", "json.exception", "bad_alloc", "nan"}) {
      EXPECT_EQ(r.output.find(raw), std::string::npos) << raw << " in\n" << r.output;
    }
  }

  std::filesystem::path dir_;
  int count_ = 0;
};

TEST_F(TrainChecks, TheValidConfigTrains) {
  const TrainRun r = train(config() + " -o " + path("m.soma") + " --verbose 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(path("m.soma")));
}

TEST_F(TrainChecks, OutputPathsAreCheckedBeforeTraining) {
  const std::string c = config();
  expect_refused(c + " -o " + path("missing/m.soma"),
                 {"soma: error: train -o: cannot write " + path("missing/m.soma"), "does not exist"});
  expect_refused(c + " -o /proc/m.soma", {"train -o: cannot write /proc/m.soma", "creating a file in /proc"});
  expect_refused(c + " -o " + dir_.string(), {"train -o: " + dir_.string() + " is a directory"});
  expect_refused(c + " -o " + path("ok.soma") + " --checkpoint " + path("missing/best.soma"),
                 {"train --checkpoint: cannot write", "does not exist"});
  expect_refused(c + " -o " + path("ok.soma") + " --log " + path("data.csv/log.csv"),
                 {"train --log: cannot write", path("data.csv/log.csv")});
  EXPECT_FALSE(std::filesystem::exists(path("ok.soma")));
}

TEST_F(TrainChecks, ConfigFilesMustBeRegularFiles) {
  test::SpecialFiles special;
  for (const std::string& p : {special.directory(), special.fifo(), test::SpecialFiles::device()}) {
    expect_refused(p + " -o " + path("m.soma"), {"soma: error: train: " + p + " is a", "not a regular file"});
  }
  expect_refused(path("nope.json") + " -o " + path("m.soma"), {"train: cannot open", "No such file"});
  std::ofstream(path("broken.json")) << "{\"model\": [1,\n 2";
  expect_refused(path("broken.json") + " -o " + path("m.soma"), {"broken.json is not valid JSON", "line 2"});
}

TEST_F(TrainChecks, FitValuesThatDoNotFitAreRefusedByKey) {
  const std::string o = " -o " + path("m.soma");
  expect_refused(config(R"({"epochs": 4294967297})") + o,
                 {"\"fit.epochs\" must be an integer from 0 to 2147483647, received 4294967297"});
  expect_refused(config(R"({"epochs": -3})") + o, {"\"fit.epochs\"", "received -3"});
  expect_refused(config(R"({"batch_size": 2.5})") + o,
                 {"\"fit.batch_size\" must be an integer", "received 2.5"});
  expect_refused(config(R"({"batch_size": 0})") + o, {"\"fit.batch_size\" must be an integer from 1"});
  expect_refused(config(R"({"batch_size": 18446744073709551615})") + o,
                 {"\"fit.batch_size\"", "received 18446744073709551615"});
  expect_refused(config(R"({"batch_size": "32"})") + o, {"\"fit.batch_size\"", "received \"32\""});
  expect_refused(config(R"({"validation_split": 1.5})") + o, {"\"fit.validation_split\"", "received 1.5"});
  expect_refused(config(R"({"shuffle": 1})") + o, {"\"fit.shuffle\" must be true or false, received 1"});
  expect_refused(config(R"([])") + o, {"\"fit\" must be a JSON object"});
}

TEST_F(TrainChecks, DataAndCompileValuesAreRefusedByKey) {
  const std::string o = " -o " + path("m.soma");
  auto with = [&](const std::string& text) {
    const std::string file = path("custom_" + std::to_string(count_++) + ".json");
    std::ofstream(file) << text;
    return file + o;
  };
  const std::string model =
      R"("model": {"layers": [{"class_name": "Dense", "config": {"units": 2, "input_shape": [2]}}]})";
  expect_refused(with("{" + model + R"(, "compile": {"loss": "mse"}, "data": {"csv": 3}})"),
                 {"\"data.csv\" must be a non-empty string", "received 3"});
  expect_refused(
      with("{" + model + R"(, "compile": {"loss": "mse"}, "data": {"csv": "x", "label_column": 1.0}})"),
      {"\"data.label_column\" must be an integer", "received 1.0"});
  expect_refused(with("{" + model + R"(, "compile": {"loss": 7}, "data": {"csv": "x"}})"),
                 {"\"compile.loss\" must be a name or", "received 7"});
  expect_refused(with("{" + model +
                      R"(, "compile": {"loss": "mse", "metrics": ["accuracy", 2]}, "data": {"csv": "x"}})"),
                 {"\"compile.metrics[1]\" must be a metric name, received 2"});
  expect_refused(
      with(
          "{" + model +
          R"(, "compile": {"loss": "mse", "optimizer": {"class_name": "Adam", "config": {"learning_rate": "fast"}}},
                         "data": {"csv": "x"}})"),
      {"\"compile.optimizer\"", "learning_rate: expected a number", "received \"fast\""});
  expect_refused(
      with("{" + model +
           R"(, "compile": {"loss": "mse", "optimizer": {"class_name": "SGD", "config": {"momentum": 1e300}}},
                         "data": {"csv": "x"}})"),
      {"\"compile.optimizer\"", "argument \"momentum\" is out of the range of float32, received 1e+300"});
  expect_refused(
      with("{" + model + R"(, "compile": {"loss": "mse"}, "data": {"csv": "x", "dataset": "mnist"}})"),
      {"exactly one of"});
}

TEST_F(TrainChecks, LayerArgumentsThatDoNotFitAreRefusedByKey) {
  const std::string o = " -o " + path("m.soma");
  const std::string fit = R"({"epochs": 1})";
  expect_refused(config(fit, R"({"units": 2.5, "input_shape": [2]})") + o,
                 {"\"model\": Dense config: argument \"units\" must be an integer, received 2.5"});
  expect_refused(config(fit, R"({"units": 18446744073709551615, "input_shape": [2]})") + o,
                 {"argument \"units\" is out of range, received 18446744073709551615"});
  expect_refused(config(fit, R"({"units": 2, "input_shape": [2.5]})") + o,
                 {"argument \"input_shape[0]\" must be an integer, received 2.5"});
  expect_refused(config(fit, R"({"units": 2, "activation": 3, "input_shape": [2]})") + o,
                 {"argument \"activation\" must be a string, received number 3"});
  // Huge but representable: the layer, not the allocator, says no.
  expect_refused(
      config(fit, R"({"units": 1099511627776, "input_shape": [2]})") + o,
      {"\"model\"", "kernel would hold 2199023255552 float32 values", "more than this machine's memory"});
  expect_refused(config(fit, R"({"units": -4, "input_shape": [2]})") + o, {"\"model\"", "units"});
}

}  // namespace
}  // namespace soma

// from_config never narrows a number silently: 4294967297 is not an int, 2.5 is not an integer, 1e300 is
// not a float32. Each is a ValueError naming the class and the argument (with its index in a list).
// Configs are JSON text, so the numbers have the types a file's parser gives them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "soma/core/config.hpp"
#include "soma/layers/serialization.hpp"
#include "soma/optimizers/optimizer.hpp"
#include "support/error_matchers.hpp"

namespace soma::layers {
namespace {

using test::expect_contains;
using test::message_of;

std::string error_of(const std::string& class_name, const std::string& config) {
  const Config spec = Config::parse(R"({"class_name": ")" + class_name + R"(", "config": )" + config + "}");
  return message_of<ValueError>([&] { deserialize(spec); });
}

TEST(ConfigNarrowing, IntegersMustBeIntegersThatFit) {
  expect_contains(error_of("Dense", R"({"units": 2.5})"),
                  {"Dense config: argument \"units\" must be an integer, received 2.5"});
  expect_contains(error_of("Dense", R"({"units": 3.0})"), {"\"units\" must be an integer, received 3.0"});
  expect_contains(error_of("Dense", R"({"units": 18446744073709551615})"),
                  {"\"units\" is out of range, received 18446744073709551615"});
  expect_contains(error_of("Conv2D", R"({"filters": 2, "kernel_size": [3, 2.5]})"),
                  {"Conv2D config: argument \"kernel_size[1]\" must be an integer, received 2.5"});
  expect_contains(error_of("Conv2D", R"({"filters": 2, "kernel_size": [3, 18446744073709551615]})"),
                  {"\"kernel_size[1]\" is out of range, received 18446744073709551615"});
  expect_contains(error_of("Dense", R"({"units": 2, "input_shape": [1e30]})"),
                  {"\"input_shape[0]\" must be an integer, received 1e+30"});
  // Found by train_config_fuzzer: 1e300 was converted to int64 before the check (undefined behaviour,
  // reported by clang's UBSan); now floats where integers belong are refused before any conversion.
  expect_contains(error_of("Dense", R"({"units": 1e300})"),
                  {"\"units\" must be an integer, received 1e+300"});
  // Found by train_config_fuzzer: another argument of the wrong type made the check skip them all.
  expect_contains(error_of("Conv1D", R"({"filters": 2, "input_shape": [8, "x"], "kernel_size": [1e300]})"),
                  {"\"kernel_size[0]\" must be an integer, received 1e+300"});
  expect_contains(error_of("Dense", R"({"units": 2, "input_shape": [3, -1e300]})"),
                  {"\"input_shape[1]\" must be an integer, received -1e+300"});
  expect_contains(error_of("Conv2D", R"({"filters": 2, "kernel_size": [1e19]})"),
                  {"\"kernel_size[0]\" must be an integer, received 1e+19"});
}

TEST(ConfigNarrowing, FloatsMustFitFloat32) {
  expect_contains(error_of("Dropout", R"({"rate": 1e300})"),
                  {"Dropout config: argument \"rate\" is out of the range of float32, received 1e+300"});
  expect_contains(error_of("Dense", R"({"units": 2, "kernel_regularizer": {"l2": -1e200}})"),
                  {"argument \"kernel_regularizer.l2\" is out of the range of float32"});
  // What does fit is kept, to float precision.
  const auto layer = deserialize(Config::parse(R"({"class_name": "Dropout", "config": {"rate": 0.1}})"));
  EXPECT_FLOAT_EQ(layer->get_config()["rate"].get<float>(), 0.1f);
}

TEST(ConfigNarrowing, WrongTypesNameTheExpectedType) {
  expect_contains(error_of("Dense", R"({"units": 2, "activation": 3})"),
                  {"argument \"activation\" must be a string, received number 3"});
  expect_contains(error_of("Dense", R"({"units": 2, "use_bias": 1})"),
                  {"argument \"use_bias\" must be true or false, received number 1"});
  expect_contains(error_of("Dense", R"j({"units": 2, "input_shape": "(2,)"})j"),
                  {"argument \"input_shape\" must be a list, received string \"(2,)\""});
  const std::string message = error_of("Dense", R"({"units": ")" + std::string(500, 'x') + "\"}");
  EXPECT_LT(message.size(), 200u) << "the value is quoted short: " << message;
}

TEST(ConfigNarrowing, OptimizersAndSchedulesToo) {
  expect_contains(
      message_of<ValueError>([] {
        optimizers::deserialize(Config::parse(R"({"class_name": "Adam", "config": {"beta_1": 1e39}})"));
      }),
      {"Adam config: argument \"beta_1\" is out of the range of float32, received 1e+39"});
  expect_contains(
      message_of<ValueError>([] {
        optimizers::deserialize(Config::parse(R"({"class_name": "SGD", "config": {"learning_rate":
                        {"class_name": "ExponentialDecay",
                         "config": {"initial_learning_rate": 0.1, "decay_steps": 18446744073709551615}}}})"));
      }),
      {"ExponentialDecay config: argument \"decay_steps\" is out of range, received 18446744073709551615"});
}

}  // namespace
}  // namespace soma::layers

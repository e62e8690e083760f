// save_weights / load_weights: round trip, and every way a file can be wrong gives a clear IOError.
#include "soma/io/weights_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "soma/core/random.hpp"
#include "soma/layers/dense.hpp"
#include "soma/models/sequential.hpp"
#include "support/error_matchers.hpp"

namespace soma {
namespace {

namespace L = layers;
using test::expect_contains;
using test::message_of;

Sequential mlp() {
  Sequential m;
  m.add(L::Dense({.units = 8, .activation = "relu", .input_dim = 5}));
  m.add(L::Dense({.units = 3, .activation = "softmax"}));
  return m;
}

class WeightsFile : public ::testing::Test {
 protected:
  std::string path(const std::string& name) {
    const auto p =
        std::filesystem::temp_directory_path() / ("soma_" + std::to_string(::getpid()) + "_" + name);
    paths_.push_back(p);
    return p.string();
  }
  static std::string read(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  static void write(const std::string& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  }
  void TearDown() override {
    for (const auto& p : paths_) std::filesystem::remove(p);
  }
  std::vector<std::filesystem::path> paths_;
};

TEST_F(WeightsFile, RoundTripPredictsIdentically) {
  set_seed(80);
  Sequential a = mlp();
  const std::string file = path("w.soma");
  a.save_weights(file);
  Sequential b = mlp();  // other random weights
  const Tensor x = Tensor::full({4, 5}, 0.3f);
  b.load_weights(file);
  EXPECT_EQ(a.predict(x).to_vector<float>(), b.predict(x).to_vector<float>());
  const auto named = io::read_weights(file);
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].value.shape(), (Shape{5, 8}));
}

TEST_F(WeightsFile, EveryDamageIsAnIOError) {
  set_seed(81);
  Sequential a = mlp();
  const std::string good = path("good.soma");
  a.save_weights(good);
  const std::string bytes = read(good);
  const std::string bad = path("bad.soma");
  Sequential b = mlp();
  const Tensor x = Tensor::full({2, 5}, 0.3f);
  const std::vector<float> before = b.predict(x).to_vector<float>();
  expect_contains(message_of<IOError>([&] { b.load_weights(path("missing.soma")); }), {"cannot open"});
  write(bad, "PK\x03\x04 a zip file, not weights");
  expect_contains(message_of<IOError>([&] { b.load_weights(bad); }), {bad, "not a soma weights file"});
  std::string v2 = bytes;
  v2[8] = 2;
  write(bad, v2);
  expect_contains(message_of<IOError>([&] { b.load_weights(bad); }), {"version 2", "version 1"});
  // Every truncation and a flipped bit anywhere: IOError, never a crash or a silent load.
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    write(bad, bytes.substr(0, cut));
    (void)message_of<IOError>([&] { b.load_weights(bad); });
  }
  set_seed(82);
  for (int trial = 0; trial < 200; ++trial) {
    std::string flipped = bytes;
    flipped[random::below(flipped.size())] ^= static_cast<char>(1 << random::below(8));
    write(bad, flipped);
    (void)message_of<IOError>([&] { b.load_weights(bad); });
  }
  // The failed loads changed nothing: b predicts as before, and only the good file changes it.
  EXPECT_EQ(b.predict(x).to_vector<float>(), before);
  b.load_weights(good);
  EXPECT_EQ(b.predict(x).to_vector<float>(), a.predict(x).to_vector<float>());
  EXPECT_NE(b.predict(x).to_vector<float>(), before);
}

TEST_F(WeightsFile, AnotherArchitectureIsRefused) {
  Sequential a = mlp();
  const std::string file = path("mlp.soma");
  a.save_weights(file);
  Sequential wide;
  wide.add(L::Dense({.units = 9, .activation = "relu", .input_dim = 5}));
  wide.add(L::Dense({.units = 3}));
  expect_contains(message_of<ShapeError>([&] { wide.load_weights(file); }), {"weight 0", "(5, 9)", "(5, 8)"});
  Sequential unbuilt;
  unbuilt.add(L::Dense({.units = 3}));
  expect_contains(message_of<StateError>([&] { unbuilt.load_weights(file); }), {"built"});
}

}  // namespace
}  // namespace soma

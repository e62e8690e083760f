#include "soma/data/datasets.hpp"

#include <gtest/gtest.h>

#include "support/error_matchers.hpp"
#include "data/idx_files.hpp"

namespace soma::test {
namespace {

// A tiny MNIST-shaped dataset: n_train / n_test images of 4x4 pixels, the train set gzipped and the
// test set raw, as the two real sources ship them.
struct FakeMnist {
  TempDir dir;
  std::vector<uint8_t> train_labels{3, 1, 4, 1, 5};
  std::vector<uint8_t> test_labels{9, 2, 6};

  FakeMnist() {
    write_gz(dir.file("train-images-idx3-ubyte.gz"), idx_bytes({5, 4, 4}, std::string(5 * 16, '\x80')));
    write_gz(dir.file("train-labels-idx1-ubyte.gz"), idx_bytes({5}, bytes_of(train_labels)));
    write_raw(dir.file("t10k-images-idx3-ubyte"), idx_bytes({3, 4, 4}, std::string(3 * 16, '\x10')));
    write_raw(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({3}, bytes_of(test_labels)));
  }
  std::string dir_name() const { return dir.path().string(); }
};

std::vector<int64_t> widen(const std::vector<uint8_t>& v) {
  return {v.begin(), v.end()};
}

TEST(Datasets, LoadsFromExplicitDirectory) {
  FakeMnist fake;
  auto [train, test] = datasets::mnist::load(fake.dir_name());
  EXPECT_EQ(train.images.shape(), (Shape{5, 4, 4}));
  EXPECT_EQ(train.images.dtype(), DType::uint8);
  EXPECT_EQ(train.images.data<uint8_t>()[0], 0x80);
  EXPECT_EQ(train.labels.dtype(), DType::int64);
  EXPECT_EQ(train.labels.to_vector<int64_t>(), widen(fake.train_labels));
  EXPECT_EQ(test.images.shape(), (Shape{3, 4, 4}));
  EXPECT_EQ(test.labels.to_vector<int64_t>(), widen(fake.test_labels));
}

TEST(Datasets, EnvironmentVariablesChooseTheDirectory) {
  FakeMnist fake;
  {
    ScopedEnv env("SOMA_FASHION_MNIST_DIR", fake.dir_name().c_str());
    EXPECT_EQ(datasets::fashion_mnist::default_dir(), fake.dir_name());
    EXPECT_EQ(datasets::fashion_mnist::load().train.labels.numel(), 5);
  }
  ScopedEnv env("SOMA_MNIST_DIR", fake.dir_name().c_str());
  EXPECT_EQ(datasets::mnist::default_dir(), fake.dir_name());
  EXPECT_EQ(datasets::mnist::load().test.labels.numel(), 3);
}

TEST(Datasets, DefaultDirectories) {
  ScopedEnv no_fashion("SOMA_FASHION_MNIST_DIR", nullptr);
  ScopedEnv no_mnist("SOMA_MNIST_DIR", nullptr);
  EXPECT_EQ(datasets::fashion_mnist::default_dir(), "/usr/share/datasets/fashion-mnist");
  {
    ScopedEnv home("SOMA_DATA_HOME", "/data/home");
    EXPECT_EQ(datasets::mnist::default_dir(), "/data/home/mnist");
  }
  ScopedEnv no_data_home("SOMA_DATA_HOME", nullptr);
  ScopedEnv home("HOME", "/home/someone");
  EXPECT_EQ(datasets::mnist::default_dir(), "/home/someone/.soma/datasets/mnist");
}

TEST(DatasetsErrors, MissingDirectoryExplainsHowToGetTheData) {
  TempDir dir;
  const std::string missing = dir.file("absent");
  expect_contains(message_of<IOError>([&] { datasets::fashion_mnist::load(missing); }),
                  {"Fashion-MNIST", missing, "not found", "dataset-fashion-mnist", "SOMA_FASHION_MNIST_DIR"});
  ScopedEnv env("SOMA_MNIST_DIR", missing.c_str());
  expect_contains(message_of<IOError>([&] { datasets::mnist::load(); }),
                  {"MNIST", missing, "$SOMA_MNIST_DIR", "scripts/fetch_mnist.sh"});
}

TEST(DatasetsErrors, MissingFileIsNamed) {
  FakeMnist fake;
  std::filesystem::remove(fake.dir.file("t10k-labels-idx1-ubyte"));
  expect_contains(message_of<IOError>([&] { datasets::mnist::load(fake.dir_name()); }),
                  {"t10k-labels-idx1-ubyte", fake.dir_name(), "not found", "fetch_mnist.sh"});
}

TEST(DatasetsErrors, LabelCountMustMatchImageCount) {
  FakeMnist fake;
  write_raw(fake.dir.file("t10k-labels-idx1-ubyte"), idx_bytes({2}, "\x01\x02"));
  expect_contains(message_of<IOError>([&] { datasets::mnist::load(fake.dir_name()); }),
                  {fake.dir.file("t10k-images-idx3-ubyte"), "3 images",
                   fake.dir.file("t10k-labels-idx1-ubyte"), "2 labels"});
}

TEST(DatasetsErrors, LabelsMustBeBelowTen) {
  FakeMnist fake;
  write_raw(fake.dir.file("t10k-labels-idx1-ubyte"), idx_bytes({3}, "\x01\x02\x0a"));
  expect_contains(message_of<IOError>([&] { datasets::mnist::load(fake.dir_name()); }),
                  {fake.dir.file("t10k-labels-idx1-ubyte"), "label 10 at index 2", "0..9"});
}

TEST(DatasetsErrors, RanksAreChecked) {
  FakeMnist fake;
  write_raw(fake.dir.file("t10k-images-idx3-ubyte"), idx_bytes({3, 16}, std::string(48, '\0')));
  expect_contains(message_of<IOError>([&] { datasets::mnist::load(fake.dir_name()); }),
                  {fake.dir.file("t10k-images-idx3-ubyte"), "(3, 16)", "(n, rows, cols)"});
  FakeMnist other;
  write_raw(other.dir.file("t10k-labels-idx1-ubyte"), idx_bytes({3, 1}, "\x01\x02\x03"));
  expect_contains(message_of<IOError>([&] { datasets::mnist::load(other.dir_name()); }),
                  {other.dir.file("t10k-labels-idx1-ubyte"), "(3, 1)", "(n,)"});
}

TEST(DatasetsErrors, CorruptFileReportsThePath) {
  FakeMnist fake;
  write_raw(fake.dir.file("t10k-images-idx3-ubyte"), idx_bytes({3, 4, 4}, "short"));
  expect_contains(message_of<IOError>([&] { datasets::mnist::load(fake.dir_name()); }),
                  {fake.dir.file("t10k-images-idx3-ubyte"), "expected 48 bytes of data, found 5"});
}

// The real datasets, where this machine has them.
void expect_real(const datasets::Dataset& d, int64_t first_train_label, int64_t first_test_label) {
  EXPECT_EQ(d.train.images.shape(), (Shape{60000, 28, 28}));
  EXPECT_EQ(d.train.labels.shape(), (Shape{60000}));
  EXPECT_EQ(d.test.images.shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(d.test.labels.shape(), (Shape{10000}));
  EXPECT_EQ(d.train.labels.data<int64_t>()[0], first_train_label);
  EXPECT_EQ(d.test.labels.data<int64_t>()[0], first_test_label);
}

bool has_data(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir + "/train-images-idx3-ubyte", ec) ||
         std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz", ec);
}

TEST(RealDatasets, FashionMnist) {
  const std::string dir = datasets::fashion_mnist::default_dir();
  if (!has_data(dir)) GTEST_SKIP() << "Fashion-MNIST not installed in " << dir;
  expect_real(datasets::fashion_mnist::load(), 9, 9);  // ankle boots both
}

TEST(RealDatasets, Mnist) {
  const std::string dir = datasets::mnist::default_dir();
  if (!has_data(dir)) GTEST_SKIP() << "MNIST not found in " << dir << " (set SOMA_MNIST_DIR)";
  expect_real(datasets::mnist::load(), 5, 7);
}

}  // namespace
}  // namespace soma::test

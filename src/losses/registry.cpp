#include <algorithm>
#include <cctype>

#include "soma/losses/loss.hpp"

namespace soma::losses {

std::unique_ptr<Loss> get(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "mean_squared_error" || n == "mse") return std::make_unique<MeanSquaredError>();
  if (n == "mean_absolute_error" || n == "mae") return std::make_unique<MeanAbsoluteError>();
  if (n == "categorical_crossentropy") return std::make_unique<CategoricalCrossentropy>();
  if (n == "sparse_categorical_crossentropy") return std::make_unique<SparseCategoricalCrossentropy>();
  if (n == "binary_crossentropy") return std::make_unique<BinaryCrossentropy>();
  throw ValueError("losses::get: unknown loss \"" + name +
                   "\"; known losses are mean_squared_error (mse), mean_absolute_error (mae), "
                   "categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy.");
}

}  // namespace soma::losses

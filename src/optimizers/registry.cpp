// optimizers::get: the optimizer a Keras name stands for, with Keras defaults.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "soma/core/error.hpp"
#include "soma/optimizers/adagrad.hpp"
#include "soma/optimizers/adam.hpp"
#include "soma/optimizers/adamw.hpp"
#include "soma/optimizers/nadam.hpp"
#include "soma/optimizers/optimizer.hpp"
#include "soma/optimizers/rmsprop.hpp"
#include "soma/optimizers/sgd.hpp"

namespace soma::optimizers {

std::unique_ptr<Optimizer> get(const std::string& name) {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (key == "sgd") return std::make_unique<SGD>();
  if (key == "rmsprop") return std::make_unique<RMSprop>();
  if (key == "adam") return std::make_unique<Adam>();
  if (key == "adamw") return std::make_unique<AdamW>();
  if (key == "adagrad") return std::make_unique<Adagrad>();
  if (key == "nadam") return std::make_unique<Nadam>();
  throw ValueError(
      fmt::format("optimizers::get: unknown optimizer '{}'. Known names (case-insensitive): 'adagrad', "
                  "'adam', 'adamw', 'nadam', "
                  "'rmsprop', 'sgd'.",
                  name));
}

}  // namespace soma::optimizers

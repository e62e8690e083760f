#pragma once
// Keras model configs, as Keras 2.x, Keras 3 and TensorFlow.js write them, turned into the config soma's
// Sequential::from_config / Model::from_config read (Keras 3's layout under soma's argument names).
// What is translated, and what is refused: docs/interop.md.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "soma/core/config.hpp"

namespace soma::io::keras {

// 2 for Keras 2.x and tfjs-layers files (Keras 2 semantics: hard_sigmoid, GRU reset_after=False by
// default), 3 for Keras 3.
int keras_major(const std::string& keras_version);

struct Translated {
  Config model;                    // {"class_name": "Sequential" | "Functional", "config": {...}}
  std::vector<std::string> notes;  // what was accepted but means nothing for soma (an initializer's seed)
};

// `keras_model` is {"class_name": "Sequential" | "Functional" | "Model", "config": ...}. Throws ValueError
// or NotImplementedError naming the layer (its class and name) and the argument soma cannot honour.
// `tfjs`: the file was written by TensorFlow.js, whose node numbering of nested models differs.
Translated translate_model(const Config& keras_model, int keras_major, bool tfjs = false);

}  // namespace soma::io::keras

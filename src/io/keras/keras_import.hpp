#pragma once
// Models from Keras-family files: what each format reader yields, and the model made from it.
// Formats: docs/interop.md.
#include <optional>
#include <string>
#include <vector>

#include "io/keras/keras_weights.hpp"
#include <nlohmann/json.hpp>

#include "soma/core/config.hpp"
#include "soma/models/saving.hpp"

namespace soma::io::keras {

struct KerasFile {
  std::string format;              // "tfjs", "h5", "keras": for messages
  std::string keras_version;       // as the file says; decides Keras 2 or 3 semantics
  Config model_config;             // {"class_name": "Sequential" | "Functional" | "Model", "config": ...}
  std::optional<Config> training;  // Keras 2 / legacy HDF5 / tfjs training_config
  std::optional<Config> compile;   // Keras 3 .keras compile_config
  std::vector<Variable> variables;
  std::vector<std::string> notes;  // what the reader skipped (optimizer state it cannot use)
};

// A TensorFlow.js layers model: model.json and the weight shards its weightsManifest lists, beside it.
KerasFile read_tfjs(const std::string& path);

// A Keras HDF5 model file (Keras 2 model.save, Keras 3's legacy .h5), from its bytes.
KerasFile read_h5(const std::string& bytes, const std::string& source);

// A Keras 3 .keras zip, from its bytes.
KerasFile read_keras(const std::string& bytes, const std::string& source);

// The model, its weights, and (options.compile) its optimizer, loss and metrics from the training config;
// what cannot be honoured and changes nothing for prediction (an unknown optimizer) is a note.
Model build_model(KerasFile file, const std::string& source, const LoadOptions& options);

// Keras' compile settings as soma's compile config, or nullopt with a note saying why not.
std::optional<Config> translate_training(const Config& training, int keras_major, std::vector<std::string>& notes);

}  // namespace soma::io::keras

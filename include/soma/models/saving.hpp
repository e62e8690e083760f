#pragma once
// keras.models.load_model for files written by Model::save (Sequential or functional).
//   model.save("fashion_mlp.soma");
//   soma::Sequential again = soma::load_model("fashion_mlp.soma");   // or soma::Model for any model
#include <string>
#include <string_view>
#include <vector>

#include "soma/models/sequential.hpp"  // load_model's result converts to a Sequential

namespace soma {

struct LoadOptions {
  // Compile the model with the saved optimizer (and its state), loss and metrics, as Keras' compile=True.
  bool compile = true;
  // Put soma's random generator back where it was at save(), so a resumed fit() shuffles and drops out
  // exactly as the uninterrupted one would have. False keeps the generator as it is.
  bool restore_random_state = true;
  // Keras-family files (.keras, .h5, tfjs model.json): what was accepted but not honoured (an
  // initializer's seed, an optimizer soma lacks) is appended here; with nullptr it goes to stderr.
  std::vector<std::string>* notes = nullptr;
};

// Reads soma's own files and, by their contents, Keras 3 .keras, Keras HDF5 .h5 and TensorFlow.js
// model.json files (docs/interop.md).
// Throws IOError for a file that is missing, not a soma model file, of another format version, truncated
// or corrupted, and for a config or tensors that do not describe a model; nothing is half-loaded.
Model load_model(const std::string& path, LoadOptions options = {});
// The same from the bytes of a model file (`source` names them in errors): soma's, .keras or .h5 (a tfjs
// model.json needs its directory for the shards: use load_model). verify_checksum = false is for fuzzing
// what lies behind soma's checksum.
Model load_model_from_bytes(std::string_view bytes, const std::string& source, LoadOptions options = {},
                                 bool verify_checksum = true);

}  // namespace soma

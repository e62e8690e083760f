#pragma once
// soma models written in Keras' formats (docs/interop.md).
#include <string>

#include "soma/models/model.hpp"

namespace soma::io::keras {

// The bytes of a Keras 3 .keras file holding `model` (built): config.json (with compile_config when
// compiled), metadata.json, model.weights.h5. NotImplementedError for what Keras 3 cannot express.
std::string keras_file_bytes(Model& model);

// `path` (model.json) and its weight shard beside it (<stem>.weights.bin) in TensorFlow.js' layers
// format, a Keras 2 topology. NotImplementedError for layers or settings tfjs would read differently.
void write_tfjs(Model& model, const std::string& path);

}  // namespace soma::io::keras

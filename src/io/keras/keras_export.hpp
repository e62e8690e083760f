#pragma once
// soma models written in Keras' formats (docs/interop.md).
#include <string>

#include "soma/models/model.hpp"

namespace soma::io::keras {

// The bytes of a Keras 3 .keras file holding `model` (built): config.json (with compile_config when
// compiled), metadata.json, model.weights.h5. NotImplementedError for what Keras 3 cannot express.
std::string keras_file_bytes(Model& model);

}  // namespace soma::io::keras

#pragma once
// Config: the JSON value get_config()/from_config() speak, as Keras' config dicts do. Layers, losses,
// optimizers and models describe themselves with it; model files store it (docs/saving.md).
#include <nlohmann/json.hpp>

namespace soma {

using Config = nlohmann::json;

}  // namespace soma

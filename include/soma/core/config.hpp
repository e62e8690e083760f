#pragma once
// Config: the JSON value get_config()/from_config() speak, as Keras' config dicts do. Layers, losses,
// optimizers and models describe themselves with it; model files store it (docs/saving.md).
// Only the declaration here, so the headers that mention Config stay cheap to include; code that builds or
// reads configs includes <nlohmann/json.hpp> (the umbrella <soma/soma.hpp> does).
#include <nlohmann/json_fwd.hpp>

namespace soma {

using Config = nlohmann::json;

}  // namespace soma

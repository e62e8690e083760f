#pragma once
#include <memory>

#include "soma/core/config.hpp"
#include "soma/layers/layer.hpp"

namespace soma::detail {
// A layer from {"class_name", "config"}: a registered layer, or a nested Functional/Sequential model.
std::unique_ptr<layers::Layer> deserialize_layer(const Config& spec);
}  // namespace soma::detail

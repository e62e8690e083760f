#pragma once
// Weight initialisers by Keras name: glorot_uniform (the Dense/Conv default), glorot_normal, he_uniform,
// he_normal, lecun_uniform, lecun_normal, random_uniform, random_normal, truncated_normal, zeros, ones.
#include <string>

#include "soma/core/tensor.hpp"

namespace soma::initializers {

// Fills `t` in place; fans are computed from its shape as Keras does (the last two axes are in/out,
// leading axes are the receptive field). Unknown names throw ValueError.
void initialize(const std::string& name, Tensor& t);
// Throws ValueError for an unknown name without touching any tensor (layers check at construction).
void check_name(const std::string& name);

}  // namespace soma::initializers

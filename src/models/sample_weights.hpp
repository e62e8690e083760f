#pragma once
// Keras' sample_weight and class_weight arguments turned into one loss weight per sample.
#include <cstdint>
#include <map>
#include <string>

#include "soma/core/tensor.hpp"

namespace soma::models {

// `weights` as a float32 tensor of shape (n,) (an (n, 1) tensor is accepted too). Throws ShapeError for
// another shape and ValueError for a negative or non-finite weight, naming `what` and the sample.
Tensor checked_sample_weight(const Tensor& weights, int64_t n, const std::string& who, const char* what);

// Multiplies into `weights` (created as ones when undefined) the class_weight of each sample's class in
// targets y: the argmax of a one-hot row, else the integer label or the rounded 0/1 target. Classes the
// map lacks weigh 1, as in Keras 3. Throws ValueError for a class outside [0, classes), a negative or
// non-finite weight, or targets of rank > 2.
void apply_class_weight(const std::map<int64_t, float>& class_weight, const Tensor& y, int64_t classes,
                        const std::string& who, Tensor& weights);

}  // namespace soma::models

#pragma once
// Data-preparation helpers with the names and semantics of keras.utils.
#include <cstdint>

#include "soma/core/tensor.hpp"

namespace soma::utils {

// One-hot encodes integer class labels (int64, uint8, or float32 holding whole numbers), any shape:
// the result is float32 with a trailing dimension of num_classes. As in Keras, a trailing dimension of
// 1 is replaced rather than extended ((n, 1) -> (n, num_classes)). num_classes = -1 infers max + 1.
// Throws ValueError naming the position and value of a label outside [0, num_classes) or non-integral.
Tensor to_categorical(const Tensor& labels, int64_t num_classes = -1);

// uint8 pixels -> float32 in [0, 1] (divided by 255). Throws ValueError for other dtypes, so images
// are not normalised twice by mistake.
Tensor normalize_pixels(const Tensor& images);

}  // namespace soma::utils

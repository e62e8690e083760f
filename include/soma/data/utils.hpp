#pragma once
// Data-preparation helpers with the names and semantics of keras.utils.
#include <cstdint>
#include <string>
#include <vector>

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

struct PadOptions {
  int64_t maxlen = 0;              // 0: the longest sequence's length
  std::string padding = "pre";     // where the padding goes: "pre" (Keras' default) or "post"
  std::string truncating = "pre";  // which end of a longer sequence is cut: "pre" or "post"
  int64_t value = 0;
};

// keras.utils.pad_sequences: ragged integer sequences -> (n, maxlen) int64. Padding before the text (the
// default) lets a recurrent layer end its reading on the words rather than on padding.
Tensor pad_sequences(const std::vector<std::vector<int64_t>>& sequences, const PadOptions& options = {});

}  // namespace soma::utils

#pragma once
// Copies (or adds) an N-d box of values between two strided tensors: the one loop behind Permute (the
// source strides permuted), ZeroPadding/Cropping (a box at an offset) and RepeatVector (a zero source
// stride). Rows of the innermost axis are split between OpenMP threads; the destination offsets of a
// box must not repeat (no zero destination stride) across groups of `row_group` consecutive rows, which
// stay on one thread: so no two threads write one value, and a sum into one value runs in row order.
#include <cstdint>
#include <vector>

namespace soma::kernels {

struct Box {
  std::vector<int64_t> dims;         // extent of the box per axis
  std::vector<int64_t> src_strides;  // in elements, per axis
  std::vector<int64_t> dst_strides;
  int64_t row_group = 1;
};

// Row-major strides of a contiguous tensor of `dims`.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& dims);

void box_copy(const Box& box, const float* src, float* dst, bool accumulate);

}  // namespace soma::kernels

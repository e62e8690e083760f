#pragma once
// The element-wise part of a linear layer's backward in one pass over its output gradient g (rows x cols,
// row-major), instead of three: the mask of a fused relu (g *= y > 0, in place, when y is non-null), the
// bias gradient (db (=|+=) column sums of g, when db is non-null) and the bfloat16 copy of g the bf16
// matmuls read (when g16 is non-null). Columns are split between threads, so the sums need no reduction.
#include <cstdint>

#include "soma/core/dtype.hpp"

namespace soma::kernels {

void linear_backward_pointwise(float* g, const float* y, int64_t rows, int64_t cols, float* db,
                               bool accumulate_db, bfloat16* g16);

}  // namespace soma::kernels

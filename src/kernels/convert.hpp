#pragma once
// float32 -> bfloat16 for the mixed_bfloat16 matmul operands: round to nearest even, vectorised (the
// scalar bfloat16::from_float is its own reference), on all threads for large arrays.
#include <cstdint>

#include "soma/core/dtype.hpp"

namespace soma::kernels {

void to_bfloat16(const float* src, bfloat16* dst, int64_t n);

}  // namespace soma::kernels

#include "kernels/linear_backward.hpp"

#include "kernels/parallel.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>

namespace soma::kernels {

namespace {
// Below this many elements one thread does it all.
constexpr int64_t kParallelMin = int64_t{1} << 15;

inline uint16_t bf16_bits(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  return static_cast<uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : rounded);
}

void columns(float* __restrict g, const float* __restrict y, int64_t rows, int64_t cols, float* __restrict db,
             bool accumulate_db, uint16_t* __restrict g16, int64_t c0, int64_t c1) {
  if (db && !accumulate_db) std::fill(db + c0, db + c1, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    float* __restrict row = g + r * cols;
    if (y) {
      const float* __restrict yrow = y + r * cols;
#pragma omp simd
      for (int64_t c = c0; c < c1; ++c) row[c] = yrow[c] > 0.0f ? row[c] : 0.0f;
    }
    if (db) {
#pragma omp simd
      for (int64_t c = c0; c < c1; ++c) db[c] += row[c];
    }
    if (g16) {
      uint16_t* __restrict out = g16 + r * cols;
#pragma omp simd
      for (int64_t c = c0; c < c1; ++c) out[c] = bf16_bits(row[c]);
    }
  }
}
}  // namespace

void linear_backward_pointwise(float* g, const float* y, int64_t rows, int64_t cols, float* db,
                               bool accumulate_db, bfloat16* g16) {
  auto* out = reinterpret_cast<uint16_t*>(g16);
  if (rows * cols < kParallelMin || cols < 64) {
    columns(g, y, rows, cols, db, accumulate_db, out, 0, cols);
    return;
  }
#pragma omp parallel
  {
    // Whole cache lines of columns per thread (16 floats), so no two threads write one line of g16 or db.
    const Range r = split_range(cols, omp_get_num_threads(), omp_get_thread_num(), 16);
    columns(g, y, rows, cols, db, accumulate_db, out, r.begin, r.end);
  }
}

}  // namespace soma::kernels

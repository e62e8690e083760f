#include "kernels/convert.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>

#include "kernels/dnnl_context.hpp"
#include "kernels/parallel.hpp"

namespace soma::kernels {

namespace {
void convert_range(const float* __restrict src, uint16_t* __restrict dst, int64_t begin, int64_t end) {
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    const uint32_t u = std::bit_cast<uint32_t>(src[i]);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    const uint32_t nan = (u >> 16) | 0x40u;
    dst[i] = static_cast<uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
  }
}
}  // namespace

void to_bfloat16(const float* src, bfloat16* dst, int64_t n) {
  static_assert(sizeof(bfloat16) == sizeof(uint16_t));
  auto* out = reinterpret_cast<uint16_t*>(dst);
  // Converting is cheap per element, so two threads pay off sooner than for the oneDNN kernels.
  if (n < kSerialElements / 4) {
    convert_range(src, out, 0, n);
    return;
  }
#pragma omp parallel
  {
    // Chunks of whole cache lines, so no two threads write one line.
    const Range r = split_range(n, omp_get_num_threads(), omp_get_thread_num(), 32);
    convert_range(src, out, r.begin, r.end);
  }
}

}  // namespace soma::kernels

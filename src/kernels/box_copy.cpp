#include "kernels/box_copy.hpp"

#include <omp.h>

#include "kernels/dnnl_context.hpp"
#include "kernels/parallel.hpp"

namespace soma::kernels {

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

namespace {

// Rows [begin, end) of the box, a row being one run along the last axis.
void copy_rows(const Box& box, const float* src, float* dst, bool accumulate, int64_t begin, int64_t end) {
  const size_t rank = box.dims.size();
  const int64_t width = box.dims[rank - 1];
  const int64_t ss = box.src_strides[rank - 1], ds = box.dst_strides[rank - 1];
  for (int64_t row = begin; row < end; ++row) {
    int64_t s = 0, d = 0, rest = row;
    for (size_t a = rank - 1; a-- > 0;) {
      const int64_t i = rest % box.dims[a];
      rest /= box.dims[a];
      s += i * box.src_strides[a];
      d += i * box.dst_strides[a];
    }
    const float* in = src + s;
    float* out = dst + d;
    if (ss == 1 && ds == 1) {
      if (accumulate) {
#pragma omp simd
        for (int64_t i = 0; i < width; ++i) out[i] += in[i];
      } else {
#pragma omp simd
        for (int64_t i = 0; i < width; ++i) out[i] = in[i];
      }
    } else if (accumulate) {
      for (int64_t i = 0; i < width; ++i) out[i * ds] += in[i * ss];
    } else {
      for (int64_t i = 0; i < width; ++i) out[i * ds] = in[i * ss];
    }
  }
}

}  // namespace

void box_copy(const Box& box, const float* src, float* dst, bool accumulate) {
  if (box.dims.empty()) {
    *dst = accumulate ? *dst + *src : *src;
    return;
  }
  int64_t total = 1;
  for (int64_t d : box.dims) total *= d;
  if (total == 0) return;
  const int64_t rows = total / box.dims.back();
  if (total < kSerialElements || rows == 1) return copy_rows(box, src, dst, accumulate, 0, rows);
#pragma omp parallel
  {
    const Range r = split_range(rows, omp_get_num_threads(), omp_get_thread_num(), box.row_group);
    copy_rows(box, src, dst, accumulate, r.begin, r.end);
  }
}

}  // namespace soma::kernels

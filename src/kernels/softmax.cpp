#include "kernels/softmax.hpp"

#include <algorithm>
#include <cmath>

namespace soma::kernels {

Softmax::Entry& Softmax::lookup(int64_t rows, int64_t cols, bool backward) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) {
    return e.rows == rows && e.cols == cols && e.backward == backward;
  });
  if (it != cache_.end()) return *it;
  const bool serial = rows * cols < kSerialElements;
  const SerialScope scope(serial);
  const dnnl::memory::desc md({rows, cols}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
  const dnnl::softmax_forward::desc fd(dnnl::prop_kind::forward_training, md, 1);
  const dnnl::softmax_forward::primitive_desc fpd(fd, cpu_engine());
  Entry e{rows, cols, backward, {}};
  if (!backward) {
    e.prim = BoundPrimitive(dnnl::softmax_forward(fpd), serial);
    e.prim.bind(DNNL_ARG_SRC, md);
    e.prim.bind(DNNL_ARG_DST, md);
  } else {
    const dnnl::softmax_backward::desc bd(md, md, 1);
    const dnnl::softmax_backward::primitive_desc bpd(bd, cpu_engine(), fpd);
    e.prim = BoundPrimitive(dnnl::softmax_backward(bpd), serial);
    e.prim.bind(DNNL_ARG_DST, md);
    e.prim.bind(DNNL_ARG_DIFF_DST, md);
    e.prim.bind(DNNL_ARG_DIFF_SRC, md);
  }
  cache_.push_back(std::move(e));
  return cache_.back();
}

void Softmax::forward(int64_t rows, int64_t cols, const float* x, float* y) {
  Entry& e = lookup(rows, cols, false);
  e.prim.set(0, x);
  e.prim.set(1, y);
  e.prim.run();
}

void Softmax::backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx) {
  Entry& e = lookup(rows, cols, true);
  e.prim.set(0, y);
  e.prim.set(1, dy);
  e.prim.set(2, dx);
  e.prim.run();
}

void softmax_reference(int64_t rows, int64_t cols, const float* x, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float mx = *std::max_element(xr, xr + cols);
    double sum = 0.0;
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(static_cast<double>(xr[c]) - mx);
    for (int64_t c = 0; c < cols; ++c)
      yr[c] = static_cast<float>(std::exp(static_cast<double>(xr[c]) - mx) / sum);
  }
}

}  // namespace soma::kernels

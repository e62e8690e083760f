#pragma once
// 2-D convolution on oneDNN, channels-last as Keras: x (N, H, W, C), kernel (KH, KW, C, O) as Keras stores
// it ("hwio"), y (N, OH, OW, O). oneDNN picks its own blocked weight layout (4-8x faster than running on
// hwio directly); the kernel is reordered into it on each forward and the weight gradient back out of it.
// Primitives and reorders are created once per shape.
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

struct ConvSpec {
  int64_t n = 0, h = 0, w = 0, c = 0;      // input
  int64_t o = 0, kh = 0, kw = 0;           // filters
  int64_t sh = 1, sw = 1;                  // strides
  int64_t dh = 1, dw = 1;                  // dilation rates (Keras: 1 = none)
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;  // padding top, left, bottom, right
  bool bias = false, relu = false;
  // mixed_bfloat16: x and dy arrive as bfloat16, the kernel is converted while reordered; products
  // accumulate in float32 and y, dx and dkernel stay float32.
  bool bf16 = false;
  int64_t oh() const { return (h + pt + pb - ((kh - 1) * dh + 1)) / sh + 1; }
  int64_t ow() const { return (w + pl + pr - ((kw - 1) * dw + 1)) / sw + 1; }
  bool operator==(const ConvSpec&) const = default;
};

class Convolution {
 public:
  Convolution();
  ~Convolution();
  Convolution(Convolution&&) noexcept;
  Convolution& operator=(Convolution&&) noexcept;

  // x and dy point to bfloat16 data when spec.bf16; the kernel is always float32 (hwio).
  void forward(const ConvSpec& spec, const void* x, const float* kernel, const float* bias, float* y);
  // dx = conv_transpose(dy, kernel), written (not added).
  void backward_data(const ConvSpec& spec, const void* dy, const float* kernel, float* dx);
  // dkernel (hwio) from x and dy, written (not added). The bias gradient is the caller's (a column sum).
  void backward_weights(const ConvSpec& spec, const void* x, const void* dy, float* dkernel);

 private:
  struct Entry;
  Entry& lookup(const ConvSpec& spec);
  std::vector<Entry> cache_;
};

// Naive oracle for tests: direct loops in double.
void conv2d_reference(const ConvSpec& spec, const float* x, const float* kernel, const float* bias, float* y);

}  // namespace soma::kernels

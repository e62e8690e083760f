#pragma once
// 1-, 2- and 3-D convolutions on oneDNN, channels-last as Keras: x (N, [D,] H, W, C), y (N, [OD,] OH, OW,
// O). A 1-D convolution is a 2-D one of height 1. Kernels arrive in the layout Keras stores them:
//  - convolution: (KD, KH, KW, C / groups, O); a depthwise kernel (KH, KW, C, M) is the grouped kernel
//    (KH, KW, 1, C * M) with groups = C, byte for byte;
//  - transposed convolution (Conv2DTranspose): (KD, KH, KW, O, C).
// oneDNN picks its own blocked weight layout (4-8x faster than running on Keras' directly); the kernel is
// reordered into it on each forward and the weight gradient back out of it. Primitives and reorders are
// created once per shape.
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
  // The depth axis of a 3-D convolution: extent, kernel, stride, dilation, padding front and back. The
  // defaults make a 2-D convolution.
  int64_t d = 1, kd = 1, sd = 1, dd = 1, pf = 0, pk = 0;
  int64_t groups = 1;  // channels split into groups convolved separately; c and o divisible by it
  // The adjoint of a convolution (Conv2DTranspose): the output is (in - 1) * stride + dilated kernel minus
  // the padding, which may be negative after (Keras' output_padding past the kernel's reach).
  bool transposed = false;
  bool bias = false, relu = false;
  // mixed_bfloat16: x and dy arrive as bfloat16, the kernel is converted while reordered; products
  // accumulate in float32 and y, dx and dkernel stay float32.
  bool bf16 = false;

  int64_t od() const { return extent(d, kd, sd, dd, pf + pk); }
  int64_t oh() const { return extent(h, kh, sh, dh, pt + pb); }
  int64_t ow() const { return extent(w, kw, sw, dw, pl + pr); }
  bool volumetric() const { return d != 1 || kd != 1 || pf != 0 || pk != 0; }
  int64_t kernel_numel() const { return kd * kh * kw * (c / groups) * o; }
  bool operator==(const ConvSpec&) const = default;

 private:
  int64_t extent(int64_t in, int64_t k, int64_t s, int64_t dil, int64_t pads) const {
    const int64_t span = (k - 1) * dil + 1;
    return transposed ? (in - 1) * s + span - pads : (in + pads - span) / s + 1;
  }
};

class Convolution {
 public:
  Convolution();
  ~Convolution();
  Convolution(Convolution&&) noexcept;
  Convolution& operator=(Convolution&&) noexcept;

  // x and dy point to bfloat16 data when spec.bf16; the kernel is always float32 in Keras' layout.
  void forward(const ConvSpec& spec, const void* x, const float* kernel, const float* bias, float* y);
  // dx = the adjoint of forward applied to dy, written (not added).
  void backward_data(const ConvSpec& spec, const void* dy, const float* kernel, float* dx);
  // dkernel (Keras' layout) from x and dy, written (not added). The bias gradient is the caller's (a
  // column sum).
  void backward_weights(const ConvSpec& spec, const void* x, const void* dy, float* dkernel);

  struct Entry;  // one shape's primitives (public for the primitive factory in the .cpp only)

 private:
  Entry& lookup(const ConvSpec& spec);
  std::vector<Entry> cache_;
};

// Naive oracle for tests: direct loops in double over every ConvSpec (groups, depth, transposed).
void conv_reference(const ConvSpec& spec, const float* x, const float* kernel, const float* bias, float* y);

}  // namespace soma::kernels

#pragma once
// y = conv2d(x, kernel) (+ bias) (then relu), channels-last: x (N, H, W, C), kernel (KH, KW, C, O) as Keras
// stores it, bias (O), y (N, OH, OW, O). Relu is fused into the convolution when asked.
#include <memory>

#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class Convolution;
}

namespace soma::autograd {

struct Conv2DGeometry {
  int64_t sh = 1, sw = 1;  // strides
  int64_t dh = 1, dw = 1;  // dilation rates
  bool same = false;  // "same" padding (TensorFlow's split: the odd pixel goes bottom/right), else "valid"
};

class Conv2DOp final : public Node {
 public:
  Conv2DOp();
  ~Conv2DOp() override;
  Conv2DOp(Conv2DOp&&) noexcept;
  Conv2DOp& operator=(Conv2DOp&&) noexcept;

  // With bf16 the three convolutions take bfloat16 copies of x and of the output gradient, and the
  // kernel converted while reordered; accumulation, values and gradients stay float32 (mixed_bfloat16).
  Variable& forward(Tape* tape, Variable& x, Variable& kernel, Variable* bias, const Conv2DGeometry& geometry,
                    bool fuse_relu, bool bf16 = false);
  void backward(Tape& tape) override;
  Variable out;

  // Output height or width for an input extent, kernel extent and geometry (Keras' formula).
  static int64_t output_extent(int64_t in, int64_t k, int64_t stride, int64_t dilation, bool same);

 private:
  Variable *x_ = nullptr, *kernel_ = nullptr, *bias_ = nullptr;
  bool relu_ = false;
  std::unique_ptr<kernels::Convolution> conv_;
  // The spec of the latest forward, in the kernel library's terms.
  struct Spec;
  std::unique_ptr<Spec> spec_;
  Tensor scratch_;
  Tensor x16_, g16_;  // bfloat16 operands (bf16 only)
};

}  // namespace soma::autograd

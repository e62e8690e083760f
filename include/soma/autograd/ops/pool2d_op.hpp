#pragma once
// 2-D max or average pooling, channels-last: x (N, H, W, C) -> y (N, OH, OW, C); or channels-first:
// x (N, C, H, W) -> y (N, C, OH, OW).
#include <memory>

#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class Pooling;
}

namespace soma::autograd {

struct Pool2DGeometry {
  int64_t kh = 2, kw = 2;
  int64_t sh = 2, sw = 2;
  bool same = false;  // TensorFlow's "same" padding; else "valid"
  bool max = true;    // else average (over the window's elements inside the input)
  bool channels_first = false;
};

class Pool2DOp final : public Node {
 public:
  Pool2DOp();
  ~Pool2DOp() override;
  Pool2DOp(Pool2DOp&&) noexcept;
  Pool2DOp& operator=(Pool2DOp&&) noexcept;

  Variable& forward(Tape* tape, Variable& x, const Pool2DGeometry& geometry);
  void backward(Tape& tape) override;
  Variable out;

  static int64_t output_extent(int64_t in, int64_t k, int64_t stride, bool same);

 private:
  Variable* x_ = nullptr;
  std::unique_ptr<kernels::Pooling> pool_;
  struct Spec;
  std::unique_ptr<Spec> spec_;
  Tensor scratch_;
};

}  // namespace soma::autograd

#pragma once
// 2-D or 3-D max or average pooling, channels-last: x (N, [D,] H, W, C) -> y (N, [OD,] OH, OW, C); or
// channels-first: x (N, C, [D,] H, W) -> y (N, C, [OD,] OH, OW). The rank of x says which.
#include <memory>

#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class Pooling;
}

namespace soma::autograd {

struct PoolGeometry {
  int64_t kh = 2, kw = 2;
  int64_t sh = 2, sw = 2;
  bool same = false;  // TensorFlow's "same" padding; else "valid"
  bool max = true;    // else average (over the window's elements inside the input)
  bool channels_first = false;
  int64_t kd = 1, sd = 1;  // the depth axis' window and stride (3-D)
};

class PoolOp final : public Node {
 public:
  PoolOp();
  ~PoolOp() override;
  PoolOp(PoolOp&&) noexcept;
  PoolOp& operator=(PoolOp&&) noexcept;

  Variable& forward(Tape* tape, Variable& x, const PoolGeometry& geometry);
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

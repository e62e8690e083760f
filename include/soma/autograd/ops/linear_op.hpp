#pragma once
// out = x · W (+ b) (then relu): the Dense layer's core. x is (..., in), W is (in, out) as Keras stores
// its kernel, b is (out). Relu is fused into the matmul when asked. With `bf16` the three matmuls
// (forward, dW, dx) take bfloat16 copies of their operands and accumulate in float32; values, weights
// and gradients stay float32 (the mixed_bfloat16 policy).
#include <memory>

#include "soma/autograd/tape.hpp"

namespace soma::kernels {
class Matmul;
}

namespace soma::autograd {

class LinearOp final : public Node {
 public:
  LinearOp();
  ~LinearOp() override;
  LinearOp(LinearOp&&) noexcept;
  LinearOp& operator=(LinearOp&&) noexcept;

  // Records on `tape` when it is non-null and some input needs a gradient. W of higher rank is seen as
  // (in_features, rest) (0: its first dimension), so Keras' EinsumDense kernels such as
  // MultiHeadAttention's (dim, heads, key_dim) and (heads, value_dim, dim) need no reshaping.
  Variable& forward(Tape* tape, Variable& x, Variable& w, Variable* b, bool fuse_relu, bool bf16 = false,
                    int64_t in_features = 0);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  Variable* w_ = nullptr;
  Variable* b_ = nullptr;
  bool relu_ = false;
  bool bf16_ = false;
  int64_t k_ = 0, n_ = 0;
  Tensor x16_, w16_, g16_;  // bfloat16 operands (bf16 only)
  std::unique_ptr<kernels::Matmul> forward_, backward_data_, backward_weights_;
};

}  // namespace soma::autograd

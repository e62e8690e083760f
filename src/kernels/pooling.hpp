#pragma once
// 2-D max and average pooling on oneDNN, channels-last: x (N, H, W, C) -> y (N, OH, OW, C), or
// channels-first (N, C, H, W) -> (N, C, OH, OW), which oneDNN takes as it is (nchw). Average
// pooling divides by the number of window elements inside the input (padding excluded), as TensorFlow's
// "same" padding does. Max pooling keeps oneDNN's workspace (the argmax) for backward.
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"
#include "soma/core/tensor.hpp"

namespace soma::kernels {

struct PoolSpec {
  int64_t n = 0, h = 0, w = 0, c = 0;
  int64_t kh = 2, kw = 2, sh = 2, sw = 2;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
  bool max = true;
  bool channels_first = false;
  int64_t oh() const { return (h + pt + pb - kh) / sh + 1; }
  int64_t ow() const { return (w + pl + pr - kw) / sw + 1; }
  bool operator==(const PoolSpec&) const = default;
};

class Pooling {
 public:
  void forward(const PoolSpec& spec, const float* x, float* y);
  // dx from dy, written (not added); uses the workspace of the latest forward of this spec.
  void backward(const PoolSpec& spec, const float* dy, float* dx);

 private:
  struct Entry {
    PoolSpec spec;
    BoundPrimitive fwd, bwd;
    Tensor workspace;
  };
  Entry& lookup(const PoolSpec& spec);
  std::vector<Entry> cache_;
};

void pool2d_reference(const PoolSpec& spec, const float* x, float* y);

}  // namespace soma::kernels

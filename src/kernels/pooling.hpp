#pragma once
// 2-D and 3-D max and average pooling on oneDNN, channels-last: x (N, [D,] H, W, C) -> y (N, [OD,] OH, OW,
// C), or channels-first (N, C, [D,] H, W) -> (N, C, [OD,] OH, OW), which oneDNN takes as it is (nchw). Average
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
  // The depth axis of a 3-D pool: extent, window, stride, padding front and back; the defaults make 2-D.
  int64_t d = 1, kd = 1, sd = 1, pf = 0, pk = 0;
  bool max = true;
  bool channels_first = false;
  int64_t od() const { return (d + pf + pk - kd) / sd + 1; }
  int64_t oh() const { return (h + pt + pb - kh) / sh + 1; }
  int64_t ow() const { return (w + pl + pr - kw) / sw + 1; }
  bool volumetric() const { return d != 1 || kd != 1 || pf != 0 || pk != 0; }
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

void pool_reference(const PoolSpec& spec, const float* x, float* y);

}  // namespace soma::kernels

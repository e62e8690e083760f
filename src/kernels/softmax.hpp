#pragma once
// Softmax and log-softmax over one axis on oneDNN, forward and backward, cached per shape. The tensor is
// seen as (outer, axis, inner) row-major: the last axis is inner = 1, the usual case.
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

struct SoftmaxSpec {
  int64_t outer = 1, axis = 1, inner = 1;
  bool log = false;  // log_softmax
  int64_t numel() const { return outer * axis * inner; }
  bool operator==(const SoftmaxSpec&) const = default;
};

class Softmax {
 public:
  void forward(const SoftmaxSpec& spec, const float* x, float* y);
  // From the forward's output y (softmax or log-softmax alike).
  void backward(const SoftmaxSpec& spec, const float* y, const float* dy, float* dx);
  // Over the last axis of a (rows, cols) matrix.
  void forward(int64_t rows, int64_t cols, const float* x, float* y) {
    forward({rows, cols, 1, false}, x, y);
  }
  void backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx) {
    backward({rows, cols, 1, false}, y, dy, dx);
  }

 private:
  struct Entry {
    SoftmaxSpec spec;
    bool backward;
    BoundPrimitive prim;
  };
  Entry& lookup(const SoftmaxSpec& spec, bool backward);
  std::vector<Entry> cache_;
};

// In double precision, max-shifted.
void softmax_reference(const SoftmaxSpec& spec, const float* x, float* y);
inline void softmax_reference(int64_t rows, int64_t cols, const float* x, float* y) {
  softmax_reference({rows, cols, 1, false}, x, y);
}

}  // namespace soma::kernels

#pragma once
// Row-wise softmax over the last axis on oneDNN, forward and backward, cached per shape.
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

class Softmax {
 public:
  void forward(int64_t rows, int64_t cols, const float* x, float* y);
  void backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx);

 private:
  struct Entry {
    int64_t rows, cols;
    bool backward;
    BoundPrimitive prim;
  };
  Entry& lookup(int64_t rows, int64_t cols, bool backward);
  std::vector<Entry> cache_;
};

void softmax_reference(int64_t rows, int64_t cols, const float* x, float* y);

}  // namespace soma::kernels

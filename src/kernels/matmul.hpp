#pragma once
// C[M,N] = op(A)[M,K] * op(B)[K,N] (+ bias[N]) (then relu) (+ C when accumulating), on oneDNN matmul.
// A and B are float32, or bfloat16 with `bf16` (products accumulate in float32; bias and C stay float32).
// op() is an optional transpose, expressed as strides so nothing is copied. Primitives are created once
// per shape and cached in the object, so a layer's steady-state step creates none.
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

struct MatmulSpec {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  bool bias = false, relu = false, accumulate = false;
  bool bf16 = false;
  bool operator==(const MatmulSpec&) const = default;
};

class Matmul {
 public:
  // a and b point to bfloat16 data when spec.bf16.
  void run(const MatmulSpec& spec, const void* a, const void* b, const float* bias, float* c);

 private:
  struct Entry {
    MatmulSpec spec;
    BoundPrimitive prim;
  };
  Entry& lookup(const MatmulSpec& spec);
  std::vector<Entry> cache_;
};

// Naive oracle for tests.
void matmul_reference(const MatmulSpec& spec, const float* a, const float* b, const float* bias, float* c);

}  // namespace soma::kernels

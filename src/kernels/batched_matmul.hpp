#pragma once
// C[i, j] = alpha * A[i, j] · B[i, j] (+ C) for every (i, j) of a two-level batch, each operand a strided
// view: element (i, j, row, col) of X is X[i * s[0] + j * s[1] + row * s[2] + col * s[3]]. Attention's
// heads live inside the rows of a projection's output ((batch, steps, heads, dim)), so the per-head
// matrices are strided views of it and nothing is transposed or copied: one oneDNN matmul covers every
// batch and head. Primitives are cached per spec, as kernels::Matmul.
#include <array>
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

struct BatchedMatmulSpec {
  int64_t batch = 1, heads = 1;  // the two batch levels
  int64_t m = 0, n = 0, k = 0;
  std::array<int64_t, 4> a{}, b{}, c{};  // strides of A (m x k), B (k x n), C (m x n)
  float alpha = 1.0f;
  bool accumulate = false;
  bool operator==(const BatchedMatmulSpec&) const = default;
};

class BatchedMatmul {
 public:
  void run(const BatchedMatmulSpec& spec, const float* a, const float* b, float* c);

 private:
  struct Entry {
    BatchedMatmulSpec spec;
    BoundPrimitive prim;
  };
  Entry& lookup(const BatchedMatmulSpec& spec);
  std::vector<Entry> cache_;
};

// Naive double-precision oracle for tests.
void batched_matmul_reference(const BatchedMatmulSpec& spec, const float* a, const float* b, float* c);

}  // namespace soma::kernels

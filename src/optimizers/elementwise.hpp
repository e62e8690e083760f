#pragma once
// The per-element update loop every optimizer runs over each parameter.
#include <cstdint>

namespace soma::optimizers::detail {

// Parameters at least this large are updated by all threads; smaller ones by one (fork/join would cost
// more than it saves).
constexpr int64_t kParallelMin = int64_t{1} << 16;

// Calls f(i) for i in [0, n), vectorised. `f` must touch only element i of its arrays. The functor is
// copied into a local first: read through the caller's copy, its captured scalars would be reloaded after
// every store (they might alias the arrays), which keeps GCC from vectorising the loop at all.
template <class F>
inline void elementwise(int64_t n, const F& f) {
  if (n >= kParallelMin) {
#pragma omp parallel
    {
      const F fn = f;
#pragma omp for simd schedule(static)
      for (int64_t i = 0; i < n; ++i) fn(i);
    }
  } else {
    const F fn = f;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) fn(i);
  }
}

}  // namespace soma::optimizers::detail

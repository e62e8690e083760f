#pragma once
// How the hand-written parallel loops split work between OpenMP threads.
#include <algorithm>
#include <cstdint>

namespace soma::kernels {

struct Range {
  int64_t begin, end;
};

// Part `part` of `parts` over [0, n), in chunks whose starts are multiples of `align` (so no two threads
// write one cache line). The chunk is ceil(ceil(n / parts) / align) * align: rounding n / parts down first
// would leave the last n - parts * chunk items to no one (the bug that dropped the last columns of Dense(129)'s
// bias gradient on two threads). The parts cover [0, n) exactly once; trailing parts may be empty.
inline Range split_range(int64_t n, int64_t parts, int64_t part, int64_t align) {
  const int64_t per_part = (n + parts - 1) / parts;
  const int64_t chunk = (per_part + align - 1) / align * align;
  return {std::min(n, part * chunk), std::min(n, (part + 1) * chunk)};
}

}  // namespace soma::kernels

#pragma once
// The block of consecutive axes a normalisation layer reduces over (LayerNormalization,
// UnitNormalization), from Keras' `axis` list: counted over the whole input, batch included, negative
// from the end; the batch axis refused, repeats refused, gaps not implemented.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/core/shape.hpp"

namespace soma::layers::detail {

// {first, last} (inclusive) for a per-sample input shape `in`.
inline std::pair<int64_t, int64_t> axis_block(const std::vector<int64_t>& axis, const Shape& in,
                                              const std::string& who) {
  const int64_t rank = in.rank() + 1;  // with the batch axis
  std::vector<int64_t> axes;
  for (const int64_t a : axis) {
    const int64_t r = a < 0 ? a + rank : a;
    if (r < 1 || r >= rank) {
      throw ShapeError(fmt::format("{}: axis {} is out of range for input of shape {}; expected axes in [{}, -1] or "
                                   "[1, {}], not the batch axis.",
                                   who, a, in.with_batch(-1).str(), 1 - rank, rank - 1));
    }
    axes.push_back(r);
  }
  std::sort(axes.begin(), axes.end());
  for (size_t i = 1; i < axes.size(); ++i) {
    if (axes[i] == axes[i - 1]) throw ValueError(fmt::format("{}: axis {} is given twice.", who, axes[i]));
    if (axes[i] != axes[i - 1] + 1) {
      throw NotImplementedError(
          fmt::format("{}: the normalised axes must be consecutive, received [{}].", who, fmt::join(axis, ", ")));
    }
  }
  return {axes.front(), axes.back()};
}

}  // namespace soma::layers::detail

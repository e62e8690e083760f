#pragma once
// Helpers for the optimizers' per-parameter state ("slots").
#include <fmt/format.h>

#include <span>
#include <vector>

#include "soma/autograd/variable.hpp"
#include "soma/core/error.hpp"
#include "soma/core/tensor.hpp"

namespace soma::optimizers::detail {

// Appends a slot per parameter to `slots`, shaped like it and filled with `value`.
inline void append_slots(std::vector<Tensor>& slots, std::span<autograd::Variable* const> params,
                         float value = 0.0f) {
  for (const autograd::Variable* p : params) {
    slots.emplace_back(p->value.shape());
    if (value != 0.0f) slots.back().fill(value);
  }
}

inline std::vector<Tensor> deep_copy(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(t.clone());
  return out;
}

// The element count of the parameter; a StateError when its gradient or slot has another size (the
// parameter changed shape since its state was made).
inline int64_t checked_size(const char* who, const autograd::Variable& param, size_t index,
                            const Tensor& slot) {
  const int64_t n = param.value.numel();
  if (param.grad.numel() != n || slot.numel() != n)
    throw StateError(fmt::format(
        "{}: parameter '{}' (slot {}) has shape {} and gradient shape {}, but its state was built for {} "
        "elements.",
        who, param.name, index, param.value.shape().str(), param.grad.shape().str(), slot.numel()));
  return n;
}

}  // namespace soma::optimizers::detail

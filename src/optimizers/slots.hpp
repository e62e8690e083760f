#pragma once
// Helpers for the optimizers' per-parameter state ("slots").
#include <fmt/format.h>

#include <span>
#include <vector>

#include "soma/autograd/variable.hpp"
#include "soma/core/error.hpp"
#include "soma/core/tensor.hpp"

namespace soma::optimizers::detail {

// A slot per parameter, shaped like it and filled with `value`.
inline std::vector<Tensor> slots_like(std::span<autograd::Variable* const> params, float value = 0.0f) {
  std::vector<Tensor> out;
  out.reserve(params.size());
  for (const autograd::Variable* p : params) {
    out.emplace_back(p->value.shape());
    if (value != 0.0f) out.back().fill(value);
  }
  return out;
}

inline std::vector<Tensor> deep_copy(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(t.clone());
  return out;
}

// The element count of parameter `index`; a StateError when its gradient or slot has another size,
// which means apply() was given a different parameter list than on its first call.
inline int64_t checked_size(const char* who, const autograd::Variable& param, size_t index,
                            const Tensor& slot) {
  const int64_t n = param.value.numel();
  if (param.grad.numel() != n || slot.numel() != n)
    throw StateError(fmt::format(
        "{}: parameter {} ('{}') has shape {} and gradient shape {}, but its state was built for {} "
        "elements. Hint: apply() must receive the same parameters, in the same order, on every call.",
        who, index, param.name, param.value.shape().str(), param.grad.shape().str(), slot.numel()));
  return n;
}

}  // namespace soma::optimizers::detail

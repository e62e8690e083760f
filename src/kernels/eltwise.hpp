#pragma once
// Element-wise activations forward and backward: oneDNN eltwise primitives (cached per kind, alpha and
// size) where oneDNN 2.6 has the function, vectorised loops otherwise, and the scalar reference versions.
// Softmax and log_softmax are row-wise and live in softmax.hpp.
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"
#include "soma/activations.hpp"

namespace soma::kernels {

// Whether backward needs the activation's output (true) or its input (false): the output where oneDNN
// has a dst-based backward (relu, sigmoid, tanh, elu with alpha >= 0, relu6, exponential; softmax).
bool backward_uses_output(const activations::Activation& act);
// The same for a kind with its default (non-negative) parameter.
inline bool backward_uses_output(activations::Kind kind) {
  return backward_uses_output(activations::Activation{kind, 0.0f, ""});
}

class Eltwise {
 public:
  void forward(const activations::Activation& act, int64_t n, const float* x, float* y);
  // `saved` is the output or the input of forward, as backward_uses_output says.
  void backward(const activations::Activation& act, int64_t n, const float* saved, const float* dy,
                float* dx);

 private:
  struct Entry {
    activations::Kind kind;
    float alpha;
    int64_t n;
    bool backward;
    BoundPrimitive prim;
  };
  Entry& lookup(const activations::Activation& act, int64_t n, bool backward);
  std::vector<Entry> cache_;
};

float activation_reference(activations::Kind kind, float alpha, float x);
float activation_derivative_reference(activations::Kind kind, float alpha, float x);

}  // namespace soma::kernels

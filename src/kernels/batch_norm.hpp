#pragma once
// Batch normalisation on oneDNN's primitive (forward training and inference, backward), over data viewed
// as (outer, c, inner): statistics per channel c over the outer and inner axes, so any normalised axis of
// any rank maps onto it (channels-last: inner = 1).
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"
#include "soma/core/tensor.hpp"

namespace soma::kernels {

struct BatchNormSpec {
  int64_t outer = 0, c = 0, inner = 1;
  float epsilon = 1e-3f;
  bool scale = true, shift = true;
  // Normalise with the given mean and variance (inference) instead of the batch's (training).
  bool global_stats = false;
  bool operator==(const BatchNormSpec&) const = default;
};

class BatchNorm {
 public:
  // y = (x - mean) / sqrt(var + epsilon) * gamma + beta. Training: mean and var receive the batch's mean
  // and biased variance; global_stats: they are read. gamma/beta are unused (may be null) without
  // scale/shift.
  void forward(const BatchNormSpec& spec, const float* x, const float* gamma, const float* beta, float* mean,
               float* var, float* y);
  // dx from dy with the mean and var forward used; dgamma/dbeta are written (not added) when scale/shift.
  void backward(const BatchNormSpec& spec, const float* x, const float* dy, const float* gamma,
                const float* mean, const float* var, float* dx, float* dgamma, float* dbeta);

 private:
  struct Entry {
    BatchNormSpec spec;
    BoundPrimitive fwd, bwd;
  };
  Entry& lookup(const BatchNormSpec& spec);
  void constants(int64_t c);
  std::vector<Entry> cache_;
  Tensor ones_, zeros_, discard_;  // gamma/beta stand-ins (c) and unused dgamma/dbeta outputs (2c)
};

// The naive version, in double, that the tests compare with.
void batch_norm_reference(const BatchNormSpec& spec, const float* x, const float* gamma, const float* beta,
                          float* mean, float* var, float* y);
void batch_norm_backward_reference(const BatchNormSpec& spec, const float* x, const float* dy,
                                   const float* gamma, const float* mean, const float* var, float* dx,
                                   float* dgamma, float* dbeta);

}  // namespace soma::kernels

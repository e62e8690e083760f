#pragma once
// Layer normalisation over the middle axis of an (outer, reduced, inner) view of a tensor: every
// (outer, inner) pair is normalised over its `reduced` values, and gamma/beta are indexed by the reduced
// position (Keras' LayerNormalization over a contiguous block of axes; inner == 1 when the block is at the
// end, the common case). With rms_scaling the output is x * gamma / sqrt(var + epsilon), Keras 3's
// formula (the variance still subtracts the mean). Rows are split between OpenMP threads; gamma and beta
// gradients are split by reduced position instead, so each is summed in one fixed order whatever the
// thread count.
#include <cstdint>

namespace soma::kernels {

struct LayerNormDims {
  int64_t outer = 1, reduced = 1, inner = 1;
  float epsilon = 1e-3f;
  bool rms_scaling = false;
};

// y and the per-(outer, inner) mean and 1/sqrt(var + epsilon), each outer * inner long. gamma and beta
// may be null (scale = false, center = false).
void layer_norm_forward(const LayerNormDims& d, const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* inv);

// dx (= or += with accumulate_dx) from dy and the saved statistics; dgamma and dbeta (may be null) are
// written, not accumulated.
void layer_norm_backward(const LayerNormDims& d, const float* x, const float* gamma, const float* mean,
                         const float* inv, const float* dy, float* dx, bool accumulate_dx, float* dgamma,
                         float* dbeta);

// Naive double-precision oracle of the forward for tests.
void layer_norm_reference(const LayerNormDims& d, const float* x, const float* gamma, const float* beta, float* y);

}  // namespace soma::kernels

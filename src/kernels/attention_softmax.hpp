#pragma once
// The softmax of attention scores over the keys, with Keras' mask: scores (batch, heads, queries, keys)
// row-major, mask (batch, queries, keys) of bytes, 1 to attend and 0 not, shared by the heads. A masked
// score counts as -1e9 (Keras' Softmax layer), so it gets probability 0 unless its whole row is masked,
// which then becomes uniform; masked scores get no gradient (Keras uses `where`). Rows are independent
// and split between threads, so every thread count gives the same bits.
#include <cstdint>

namespace soma::kernels {

struct AttentionDims {
  int64_t batch = 1, heads = 1, queries = 1, keys = 1;
  int64_t rows() const { return batch * heads * queries; }
  int64_t numel() const { return rows() * keys; }
};

// In place: scores -> probabilities. mask may be null (attend everywhere).
void masked_softmax_forward(const AttentionDims& d, float* scores, const uint8_t* mask);
// ds = p * (dp - sum(p * dp)) over each row, 0 where masked. ds may alias dp.
void masked_softmax_backward(const AttentionDims& d, const float* p, const float* dp, float* ds, const uint8_t* mask);

// Naive double-precision oracle of the forward for tests (-1e9 added where masked, then softmax).
void masked_softmax_reference(const AttentionDims& d, const float* scores, const uint8_t* mask, float* p);

}  // namespace soma::kernels

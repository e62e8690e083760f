// The attention kernels: the strided batched matmul against its naive double oracle for every view
// MultiHeadAttention uses (heads inside rows, transposed, accumulating, scaled), and the masked softmax
// over odd sizes above the parallel threshold on 1-4 threads: against the double reference, the same bits
// on every thread count, masked rows uniform, and the backward against finite differences of the forward.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels/attention_softmax.hpp"
#include "kernels/batched_matmul.hpp"
#include "soma/core/random.hpp"

namespace soma::kernels {
namespace {

std::vector<float> noise(size_t n, float scale = 1.0f) {
  std::vector<float> v(n);
  for (auto& x : v) x = random::uniform(-scale, scale);
  return v;
}

TEST(BatchedMatmul, StridedHeadViewsMatchTheReference) {
  set_seed(3);
  const int64_t b = 3, h = 2, t = 5, s = 7, d = 3;
  // (batch, T, heads * d) and (batch, S, heads * d) as per-head matrices, as AttentionOp sees them.
  const std::array<int64_t, 4> q_view{t * h * d, d, h * d, 1}, k_transposed{s * h * d, d, 1, h * d},
      scores{h * t * s, t * s, s, 1}, scores_transposed{h * t * s, t * s, 1, s}, v_view{s * h * d, d, h * d, 1};
  const auto q = noise(static_cast<size_t>(b * t * h * d)), k = noise(static_cast<size_t>(b * s * h * d));
  for (bool acc : {false, true}) {
    for (float alpha : {1.0f, 0.37f}) {
      SCOPED_TRACE(testing::Message() << "accumulate " << acc << " alpha " << alpha);
      BatchedMatmul mm;
      const BatchedMatmulSpec qk{.batch = b, .heads = h, .m = t, .n = s, .k = d, .a = q_view, .b = k_transposed,
                                 .c = scores, .alpha = alpha, .accumulate = acc};
      std::vector<float> got = noise(static_cast<size_t>(b * h * t * s)), want = got;
      mm.run(qk, q.data(), k.data(), got.data());
      batched_matmul_reference(qk, q.data(), k.data(), want.data());
      for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5f) << i;
      // scoresᵀ · q into the value's layout: the dk/dv products of the backward.
      const BatchedMatmulSpec back{.batch = b, .heads = h, .m = s, .n = d, .k = t, .a = scores_transposed,
                                   .b = q_view, .c = v_view, .alpha = alpha, .accumulate = acc};
      std::vector<float> got2 = noise(static_cast<size_t>(b * s * h * d)), want2 = got2;
      mm.run(back, got.data(), q.data(), got2.data());
      batched_matmul_reference(back, got.data(), q.data(), want2.data());
      for (size_t i = 0; i < got2.size(); ++i) ASSERT_NEAR(got2[i], want2[i], 1e-4f) << i;
    }
  }
}

struct Softmaxed {
  std::vector<float> p, ds;
};

Softmaxed run(const AttentionDims& d, const std::vector<float>& x, const std::vector<uint8_t>* mask,
              const std::vector<float>& dp, int threads) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  Softmaxed r{x, std::vector<float>(x.size())};
  masked_softmax_forward(d, r.p.data(), mask ? mask->data() : nullptr);
  masked_softmax_backward(d, r.p.data(), dp.data(), r.ds.data(), mask ? mask->data() : nullptr);
  omp_set_num_threads(saved);
  return r;
}

TEST(MaskedSoftmax, ParallelRowsMatchTheReferenceOnEveryThreadCount) {
  set_seed(5);
  // 3 * 3 * 67 * 223 = 134,469 scores: above kSerialElements, odd everywhere.
  const AttentionDims d{.batch = 3, .heads = 3, .queries = 67, .keys = 223};
  const auto x = noise(static_cast<size_t>(d.numel()), 4.0f), dp = noise(static_cast<size_t>(d.numel()));
  std::vector<uint8_t> mask(static_cast<size_t>(d.batch * d.queries * d.keys));
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = random::uniform(0.0f, 1.0f) < 0.7f ? 1 : 0;
  for (int64_t j = 0; j < d.keys; ++j) mask[static_cast<size_t>((1 * d.queries + 4) * d.keys + j)] = 0;  // one row masked
  const std::vector<uint8_t>* masks[] = {nullptr, &mask};
  for (const std::vector<uint8_t>* m : masks) {
    SCOPED_TRACE(m ? "masked" : "unmasked");
    std::vector<float> want(x.size());
    masked_softmax_reference(d, x.data(), m ? m->data() : nullptr, want.data());
    const Softmaxed one = run(d, x, m, dp, 1);
    for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(one.p[i], want[i], 2e-6f) << i;
    for (int threads : {2, 3, 4}) {
      const Softmaxed many = run(d, x, m, dp, threads);
      ASSERT_EQ(many.p, one.p) << threads << " threads";
      ASSERT_EQ(many.ds, one.ds) << threads << " threads";
    }
    if (m) {
      // The masked row (batch 1, query 4, every head) is uniform and gets no gradient.
      for (int64_t head = 0; head < d.heads; ++head) {
        const size_t row = static_cast<size_t>(((1 * d.heads + head) * d.queries + 4) * d.keys);
        for (int64_t j = 0; j < d.keys; ++j) {
          EXPECT_FLOAT_EQ(one.p[row + static_cast<size_t>(j)], 1.0f / static_cast<float>(d.keys));
          EXPECT_EQ(one.ds[row + static_cast<size_t>(j)], 0.0f);
        }
      }
    }
  }
}

TEST(MaskedSoftmax, BackwardIsTheDerivativeOfTheForward) {
  set_seed(8);
  const AttentionDims d{.batch = 2, .heads = 2, .queries = 3, .keys = 5};
  const auto x = noise(static_cast<size_t>(d.numel()), 2.0f), dp = noise(static_cast<size_t>(d.numel()));
  std::vector<uint8_t> mask(static_cast<size_t>(d.batch * d.queries * d.keys), 1);
  mask[2] = mask[7] = mask[8] = 0;
  const Softmaxed r = run(d, x, &mask, dp, 1);
  auto loss = [&](const std::vector<float>& in) {
    std::vector<float> pf(in.size());
    masked_softmax_reference(d, in.data(), mask.data(), pf.data());
    double l = 0;
    for (size_t i = 0; i < in.size(); ++i) l += static_cast<double>(pf[i]) * dp[i];
    return l;
  };
  for (size_t i = 0; i < x.size(); ++i) {
    std::vector<float> up = x, down = x;
    up[i] += 1e-2f, down[i] -= 1e-2f;
    const double numeric = (loss(up) - loss(down)) / 2e-2;
    EXPECT_NEAR(r.ds[i], numeric, 2e-3) << i;
  }
}

}  // namespace
}  // namespace soma::kernels

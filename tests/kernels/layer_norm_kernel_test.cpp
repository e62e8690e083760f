// The layer-norm kernel's parallel paths (rows split between threads, gamma/beta gradients split by
// position) over odd sizes above the parallel threshold and 1-4 threads: the forward against the naive
// double reference, the backward against a naive double backward written from the formula, and every
// thread count giving the same bits (each row, and each gamma/beta position, is summed in one order).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels/dnnl_context.hpp"
#include "kernels/layer_norm.hpp"
#include "support/gradcheck.hpp"

namespace soma::kernels {
namespace {

struct Grads {
  std::vector<float> y, dx, dgamma, dbeta;
};

// d/dx of sum(dy * y) by the chain rule, in double, one (outer, inner) at a time.
void naive_backward(const LayerNormDims& d, const float* x, const float* gamma, const float* dy, std::vector<double>& dx) {
  const int64_t n = d.reduced, in = d.inner;
  dx.assign(static_cast<size_t>(d.outer * n * in), 0.0);
  for (int64_t o = 0; o < d.outer; ++o)
    for (int64_t i = 0; i < in; ++i) {
      auto idx = [&](int64_t r) { return static_cast<size_t>((o * n + r) * in + i); };
      double m = 0, v = 0;
      for (int64_t r = 0; r < n; ++r) m += x[idx(r)];
      m /= static_cast<double>(n);
      for (int64_t r = 0; r < n; ++r) v += (x[idx(r)] - m) * (x[idx(r)] - m);
      v /= static_cast<double>(n);
      const double iv = 1.0 / std::sqrt(v + d.epsilon);
      // y_r = (x_r - s m) iv g_r; dy_r/dx_j = g_r (delta_rj - s / n) iv + (x_r - s m) g_r div/dx_j,
      // div/dx_j = -iv^3 (x_j - m) / n, with s = 0 for rms_scaling.
      const double s = d.rms_scaling ? 0.0 : 1.0;
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t r = 0; r < n; ++r) {
          const double g = gamma[r] * dy[idx(r)];
          const double dyr = g * (((r == j) ? 1.0 : 0.0) - s / static_cast<double>(n)) * iv -
                             (x[idx(r)] - s * m) * g * iv * iv * iv * (x[idx(j)] - m) / static_cast<double>(n);
          sum += dyr;
        }
        dx[idx(j)] = sum;
      }
    }
}

Grads run(const LayerNormDims& d, const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& dy, int threads) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  const size_t n = static_cast<size_t>(x.numel()), stats = static_cast<size_t>(d.outer * d.inner);
  Grads g{std::vector<float>(n), std::vector<float>(n), std::vector<float>(static_cast<size_t>(d.reduced)),
          std::vector<float>(static_cast<size_t>(d.reduced))};
  std::vector<float> mean(stats), inv(stats);
  layer_norm_forward(d, x.f32(), gamma.f32(), beta.f32(), g.y.data(), mean.data(), inv.data());
  layer_norm_backward(d, x.f32(), gamma.f32(), mean.data(), inv.data(), dy.f32(), g.dx.data(), false, g.dgamma.data(),
                      g.dbeta.data());
  omp_set_num_threads(saved);
  return g;
}

TEST(LayerNormKernel, ParallelPathsMatchTheReferenceOnEveryThreadCount) {
  for (const LayerNormDims base : {LayerNormDims{.outer = 1031, .reduced = 129, .inner = 1},
                                   LayerNormDims{.outer = 67, .reduced = 37, .inner = 61},
                                   LayerNormDims{.outer = 3, .reduced = 44101, .inner = 1}}) {
    for (const bool rms : {false, true}) {
      LayerNormDims d = base;
      d.rms_scaling = rms;
      SCOPED_TRACE(::testing::Message() << d.outer << "x" << d.reduced << "x" << d.inner << (rms ? " rms" : ""));
      ASSERT_GE(d.outer * d.reduced * d.inner, kSerialElements) << "must take the parallel path";
      const Tensor x = testing::random_tensor({d.outer, d.reduced, d.inner}, -2.0f, 3.0f);
      const Tensor dy = testing::random_tensor({d.outer, d.reduced, d.inner});
      const Tensor gamma = testing::random_tensor({d.reduced}, 0.5f, 1.5f);
      const Tensor beta = rms ? Tensor::zeros({d.reduced}) : testing::random_tensor({d.reduced});
      const Grads one = run(d, x, gamma, beta, dy, 1);
      std::vector<float> want(one.y.size());
      layer_norm_reference(d, x.f32(), gamma.f32(), beta.f32(), want.data());
      float worst = 0;
      for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(one.y[i] - want[i]));
      EXPECT_LT(worst, 2e-5f);
      if (d.reduced < 1000) {  // the naive backward is quadratic in the reduced size
        std::vector<double> dx;
        naive_backward(d, x.f32(), gamma.f32(), dy.f32(), dx);
        double worst_dx = 0;
        for (size_t i = 0; i < dx.size(); ++i) worst_dx = std::max(worst_dx, std::fabs(one.dx[i] - dx[i]));
        EXPECT_LT(worst_dx, 1e-4);
      }
      // dbeta is the plain sum of dy over every (outer, inner).
      for (int64_t r = 0; r < d.reduced; r += 7) {
        double s = 0;
        for (int64_t o = 0; o < d.outer; ++o)
          for (int64_t i = 0; i < d.inner; ++i) s += dy.f32()[(o * d.reduced + r) * d.inner + i];
        ASSERT_NEAR(one.dbeta[static_cast<size_t>(r)], s, 1e-3 * (1 + std::fabs(s))) << "position " << r;
      }
      for (const int threads : {2, 3, 4}) {
        const Grads t = run(d, x, gamma, beta, dy, threads);
        EXPECT_EQ(t.y, one.y) << threads << " threads";
        EXPECT_EQ(t.dx, one.dx) << threads << " threads";
        EXPECT_EQ(t.dgamma, one.dgamma) << threads << " threads";
        EXPECT_EQ(t.dbeta, one.dbeta) << threads << " threads";
      }
    }
  }
}

}  // namespace
}  // namespace soma::kernels

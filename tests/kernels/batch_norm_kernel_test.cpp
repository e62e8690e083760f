// oneDNN's batch normalisation against the naive double-precision reference, over odd shapes (channels-last
// and strided layouts), with and without scale/shift, training and inference, and 1-4 threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "kernels/batch_norm.hpp"
#include "support/gradcheck.hpp"

namespace soma::kernels {
namespace {

using soma::testing::random_tensor;

void expect_near(const float* got, const float* want, int64_t n, float tol, const std::string& what) {
  for (int64_t i = 0; i < n; ++i)
    ASSERT_NEAR(got[i], want[i], tol * (1.0f + std::fabs(want[i]))) << what << " element " << i;
}

TEST(BatchNormKernel, MatchesReference) {
  set_seed(12);
  struct Dims {
    int64_t outer, c, inner;
  };
  const Dims shapes[] = {{2, 1, 1}, {37, 13, 1}, {5, 3, 7}, {64, 129, 1}, {3, 17, 31}, {1031, 5, 1}, {2, 64, 1025}};
  const int previous = omp_get_max_threads();
  for (int threads = 1; threads <= 4; ++threads) {
    omp_set_num_threads(threads);
    for (const auto d : shapes) {
      for (const bool global : {false, true}) {
        for (const bool affine : {false, true}) {
          const BatchNormSpec s{.outer = d.outer, .c = d.c, .inner = d.inner, .epsilon = 1e-3f,
                                .scale = affine, .shift = affine, .global_stats = global};
          const std::string what = "threads " + std::to_string(threads) + " (" + std::to_string(d.outer) + ", " +
                                   std::to_string(d.c) + ", " + std::to_string(d.inner) + ")" +
                                   (global ? " global" : " batch") + (affine ? " affine" : "");
          const int64_t n = d.outer * d.c * d.inner;
          const Tensor x = random_tensor({n}, -2.0f, 3.0f), dy = random_tensor({n});
          const Tensor gamma = random_tensor({d.c}, 0.5f, 1.5f), beta = random_tensor({d.c});
          Tensor mean = random_tensor({d.c}), var = random_tensor({d.c}, 0.5f, 2.0f);
          Tensor ref_mean = mean.clone(), ref_var = var.clone();
          Tensor y = Tensor::empty({n}), ref_y = Tensor::empty({n});
          BatchNorm bn;
          bn.forward(s, x.f32(), gamma.f32(), beta.f32(), mean.f32(), var.f32(), y.f32());
          batch_norm_reference(s, x.f32(), gamma.f32(), beta.f32(), ref_mean.f32(), ref_var.f32(), ref_y.f32());
          expect_near(mean.f32(), ref_mean.f32(), d.c, 1e-5f, what + " mean");
          expect_near(var.f32(), ref_var.f32(), d.c, 1e-4f, what + " variance");
          expect_near(y.f32(), ref_y.f32(), n, 1e-4f, what + " y");

          Tensor dx = Tensor::empty({n}), ref_dx = Tensor::empty({n});
          Tensor dg = Tensor::empty({d.c}), db = Tensor::empty({d.c}), ref_dg = Tensor::empty({d.c}),
                 ref_db = Tensor::empty({d.c});
          bn.backward(s, x.f32(), dy.f32(), gamma.f32(), mean.f32(), var.f32(), dx.f32(), dg.f32(), db.f32());
          batch_norm_backward_reference(s, x.f32(), dy.f32(), gamma.f32(), ref_mean.f32(), ref_var.f32(),
                                        ref_dx.f32(), ref_dg.f32(), ref_db.f32());
          expect_near(dx.f32(), ref_dx.f32(), n, 2e-4f, what + " dx");
          if (affine) {
            const float tol = 1e-5f * static_cast<float>(d.outer * d.inner);  // sums over many elements
            expect_near(dg.f32(), ref_dg.f32(), d.c, tol, what + " dgamma");
            expect_near(db.f32(), ref_db.f32(), d.c, tol, what + " dbeta");
          }
        }
      }
    }
  }
  omp_set_num_threads(previous);
}

}  // namespace
}  // namespace soma::kernels

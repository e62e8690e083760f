// Dense's gradients do not depend on the thread count: the fused backward splits columns between threads,
// and a width that is not a multiple of the split once left the last unit's bias gradient uninitialised
// (Dense(129) at batch 512 on two threads: 6.90 instead of 512).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <utility>

#include "soma/layers/dense.hpp"
#include "support/gradcheck.hpp"

namespace soma {
namespace {

struct Grads {
  Tensor out, dx, dkernel, dbias;
};

Grads run_dense(int64_t units, int64_t batch, const char* activation, const char* dtype, int threads) {
  const int previous = omp_get_max_threads();
  omp_set_num_threads(threads);
  set_seed(41);
  layers::Dense d({.units = units, .activation = activation, .dtype = dtype});
  d.build(Shape{37});
  const Tensor x0 = testing::random_tensor({batch, 37});
  autograd::Variable x(x0.clone(), true);
  autograd::Tape tape;
  autograd::Variable& y = d(&tape, x, true);
  Tensor seed = Tensor::empty(y.value.shape());
  seed.fill(1.0f);
  tape.backward(y, seed);
  Grads g{y.value.clone(), x.grad.clone(), d.kernel().grad.clone(), d.bias()->grad.clone()};
  omp_set_num_threads(previous);
  return g;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.f32(), b.f32(), static_cast<size_t>(a.numel()) * 4) == 0;
}

TEST(DenseThreads, GradientsBitExactAcrossThreadCountsAtSplitWidths) {
  for (const int64_t units : {65, 97, 129, 257, 130, 64}) {
    for (const char* dtype : {"float32", "mixed_bfloat16"}) {
      const Grads one = run_dense(units, 512, "relu", dtype, 1);
      if (units == 129) {
        // All-ones output gradient through relu: the bias gradient counts the active rows of each unit.
        for (int64_t u = 0; u < units; ++u) {
          float active = 0;
          for (int64_t r = 0; r < 512; ++r) active += one.out.f32()[r * units + u] > 0.0f ? 1.0f : 0.0f;
          ASSERT_EQ(one.dbias.f32()[u], active) << "unit " << u;
        }
      }
      for (int threads = 2; threads <= 4; ++threads) {
        const Grads many = run_dense(units, 512, "relu", dtype, threads);
        const std::string where = "units " + std::to_string(units) + " " + dtype + " threads " +
                                  std::to_string(threads);
        EXPECT_TRUE(same_bits(one.out, many.out)) << where;
        EXPECT_TRUE(same_bits(one.dbias, many.dbias)) << where;
        // The matmuls are oneDNN's, whose reduction order may follow the thread count: close, not bit-exact.
        for (const auto& [a, b] : {std::pair{&one.dkernel, &many.dkernel}, std::pair{&one.dx, &many.dx}}) {
          ASSERT_EQ(a->numel(), b->numel());
          for (int64_t i = 0; i < a->numel(); ++i)
            ASSERT_NEAR(a->f32()[i], b->f32()[i], 1e-3f * (1.0f + std::fabs(a->f32()[i]))) << where;
        }
      }
    }
  }
}

// With a linear activation every row contributes 1 to every unit's bias gradient.
TEST(DenseThreads, Dense129BiasGradientIsTheBatchSize) {
  for (int threads = 1; threads <= 4; ++threads) {
    const Grads g = run_dense(129, 512, "linear", "float32", threads);
    for (int64_t u = 0; u < 129; ++u) ASSERT_EQ(g.dbias.f32()[u], 512.0f) << "unit " << u << " threads " << threads;
  }
}

}  // namespace
}  // namespace soma

// GFLOP/s of the kernels behind the seed workloads, at their shapes. Run: build/bench/bench/bench_kernels
#include <benchmark/benchmark.h>

#include <vector>

#include "kernels/eltwise.hpp"
#include "kernels/matmul.hpp"
#include "kernels/softmax.hpp"
#include "soma/core/random.hpp"

namespace {
using soma::kernels::MatmulSpec;

std::vector<float> random_buffer(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = soma::random::uniform(-1.0f, 1.0f);
  return v;
}

// args: m, n, k, trans_a, trans_b, fused bias+relu
void BM_Matmul(benchmark::State& state) {
  const MatmulSpec spec{.m = state.range(0),
                        .n = state.range(1),
                        .k = state.range(2),
                        .trans_a = state.range(3) != 0,
                        .trans_b = state.range(4) != 0,
                        .bias = state.range(5) != 0,
                        .relu = state.range(5) != 0};
  auto a = random_buffer(spec.m * spec.k), b = random_buffer(spec.k * spec.n), bias = random_buffer(spec.n),
       c = random_buffer(spec.m * spec.n);
  soma::kernels::Matmul mm;
  for (auto _ : state) {
    mm.run(spec, a.data(), b.data(), bias.data(), c.data());
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(spec.m * spec.n * spec.k),
                         benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
// The mlp workload (batch 128): forward of each layer, then dW = x^T g and dx = g W^T.
BENCHMARK(BM_Matmul)
    ->ArgNames({"m", "n", "k", "tA", "tB", "relu"})
    ->Args({128, 512, 784, 0, 0, 1})
    ->Args({128, 512, 512, 0, 0, 1})
    ->Args({128, 10, 512, 0, 0, 0})
    ->Args({784, 512, 128, 1, 0, 0})
    ->Args({512, 512, 128, 1, 0, 0})
    ->Args({128, 512, 512, 0, 1, 0})
    // the small workload (batch 32)
    ->Args({32, 32, 784, 0, 0, 1})
    ->Args({784, 32, 32, 1, 0, 0})
    // inference at batch 1000
    ->Args({1000, 512, 784, 0, 0, 1})
    ->Args({1000, 512, 512, 0, 0, 1});

void BM_Relu(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = random_buffer(n), y = random_buffer(n);
  soma::kernels::Eltwise e;
  const auto relu = soma::activations::get("relu");
  for (auto _ : state) e.forward(relu, n, x.data(), y.data());
  state.SetBytesProcessed(state.iterations() * n * 8);
}
BENCHMARK(BM_Relu)->Arg(128 * 512);

void BM_SoftmaxForward(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  auto x = random_buffer(rows * cols), y = random_buffer(rows * cols);
  soma::kernels::Softmax s;
  for (auto _ : state) s.forward(rows, cols, x.data(), y.data());
  state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_SoftmaxForward)->Args({128, 10});
}  // namespace

BENCHMARK_MAIN();

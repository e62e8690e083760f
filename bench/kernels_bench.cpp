// GFLOP/s of the kernels behind the seed workloads, at their shapes. Run: build/bench/bench/bench_kernels
#include <benchmark/benchmark.h>

#include <vector>

#include "kernels/convert.hpp"
#include "kernels/eltwise.hpp"
#include "kernels/matmul.hpp"
#include "kernels/softmax.hpp"
#include "soma/core/random.hpp"
#include "soma/optimizers/rmsprop.hpp"

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
// The mlp workload's parameters: one optimizer step over all of them (bytes: read p, g, state; write p,
// state).
void BM_RMSpropStep(benchmark::State& state) {
  std::vector<soma::autograd::Variable> params;
  for (const soma::Shape& s : {soma::Shape{784, 512}, soma::Shape{512}, soma::Shape{512, 512},
                               soma::Shape{512}, soma::Shape{512, 10}, soma::Shape{10}}) {
    soma::autograd::Variable v(soma::Tensor::full(s, 0.1f), true);
    v.grad = soma::Tensor::full(s, 0.01f);
    params.push_back(std::move(v));
  }
  std::vector<soma::autograd::Variable*> list;
  for (auto& p : params) list.push_back(&p);
  soma::optimizers::RMSprop opt;
  int64_t n = 0;
  for (auto* p : list) n += p->value.numel();
  for (auto _ : state) opt.apply(list);
  state.SetBytesProcessed(state.iterations() * n * 20);
}
BENCHMARK(BM_RMSpropStep);

void BM_ToBfloat16(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = random_buffer(n);
  std::vector<soma::bfloat16> y(static_cast<size_t>(n));
  for (auto _ : state) soma::kernels::to_bfloat16(x.data(), y.data(), n);
  state.SetBytesProcessed(state.iterations() * n * 6);
}
BENCHMARK(BM_ToBfloat16)->Arg(128 * 512)->Arg(784 * 512);
}  // namespace

BENCHMARK_MAIN();

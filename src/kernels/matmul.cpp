#include "kernels/matmul.hpp"

#include <algorithm>

namespace soma::kernels {

namespace {
using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;

dnnl::memory::desc strided(int64_t rows, int64_t cols, bool transposed, dt type = dt::f32) {
  // A transposed operand of logical shape rows x cols is stored cols x rows, row-major.
  return transposed ? dnnl::memory::desc(dims{rows, cols}, type, dims{1, rows})
                    : dnnl::memory::desc(dims{rows, cols}, type, dims{cols, 1});
}
}  // namespace

Matmul::Entry& Matmul::lookup(const MatmulSpec& s) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) { return e.spec == s; });
  if (it != cache_.end()) return *it;
  const auto creating = lock_primitive_creation();

  const bool serial = s.m * s.n * s.k < kSerialMacs;
  const SerialScope scope(serial);
  const dt operand = s.bf16 ? dt::bf16 : dt::f32;
  const auto a_md = strided(s.m, s.k, s.trans_a, operand);
  const auto b_md = strided(s.k, s.n, s.trans_b, operand);
  const auto c_md = strided(s.m, s.n, false);
  const auto bias_md =
      s.bias ? dnnl::memory::desc(dims{1, s.n}, dt::f32, dims{s.n, 1}) : dnnl::memory::desc();
  dnnl::post_ops ops;
  if (s.accumulate) ops.append_sum(1.0f);
  if (s.relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const dnnl::matmul::desc desc(a_md, b_md, bias_md, c_md);
  const dnnl::matmul::primitive_desc pd(desc, attr, cpu_engine());

  Entry e{s, BoundPrimitive(dnnl::matmul(pd), serial)};
  e.prim.bind(DNNL_ARG_SRC, a_md);
  e.prim.bind(DNNL_ARG_WEIGHTS, b_md);
  e.prim.bind(DNNL_ARG_DST, c_md);
  if (s.bias) e.prim.bind(DNNL_ARG_BIAS, bias_md);
  cache_.push_back(std::move(e));
  return cache_.back();
}

void Matmul::run(const MatmulSpec& spec, const void* a, const void* b, const float* bias, float* c) {
  Entry& e = lookup(spec);
  e.prim.set(0, a);
  e.prim.set(1, b);
  e.prim.set(2, c);
  if (spec.bias) e.prim.set(3, bias);
  e.prim.run();
}

void matmul_reference(const MatmulSpec& s, const float* a, const float* b, const float* bias, float* c) {
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < s.k; ++p) {
        const float av = s.trans_a ? a[p * s.m + i] : a[i * s.k + p];
        const float bv = s.trans_b ? b[j * s.k + p] : b[p * s.n + j];
        acc += static_cast<double>(av) * bv;
      }
      if (s.accumulate) acc += c[i * s.n + j];  // sum post-op comes before relu in our chain
      if (s.bias) acc += bias[j];
      if (s.relu && acc < 0) acc = 0;
      c[i * s.n + j] = static_cast<float>(acc);
    }
  }
}

}  // namespace soma::kernels

#include "kernels/batched_matmul.hpp"

#include <algorithm>

namespace soma::kernels {

namespace {
using dims = dnnl::memory::dims;

dnnl::memory::desc view(const BatchedMatmulSpec& s, int64_t rows, int64_t cols, const std::array<int64_t, 4>& st) {
  return dnnl::memory::desc(dims{s.batch, s.heads, rows, cols}, dnnl::memory::data_type::f32,
                            dims{st[0], st[1], st[2], st[3]});
}
}  // namespace

BatchedMatmul::Entry& BatchedMatmul::lookup(const BatchedMatmulSpec& s) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) { return e.spec == s; });
  if (it != cache_.end()) return *it;
  const auto creating = lock_primitive_creation();
  const bool serial = s.batch * s.heads * s.m * s.n * s.k < kSerialMacs;
  const SerialScope scope(serial);
  const auto a_md = view(s, s.m, s.k, s.a), b_md = view(s, s.k, s.n, s.b), c_md = view(s, s.m, s.n, s.c);
  dnnl::primitive_attr attr;
  if (s.alpha != 1.0f) attr.set_output_scales(0, {s.alpha});
  if (s.accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.0f);
    attr.set_post_ops(ops);
  }
  const dnnl::matmul::desc desc(a_md, b_md, c_md);
  const dnnl::matmul::primitive_desc pd(desc, attr, cpu_engine());
  Entry e{s, BoundPrimitive(dnnl::matmul(pd), serial)};
  e.prim.bind(DNNL_ARG_SRC, a_md);
  e.prim.bind(DNNL_ARG_WEIGHTS, b_md);
  e.prim.bind(DNNL_ARG_DST, c_md);
  cache_.push_back(std::move(e));
  return cache_.back();
}

void BatchedMatmul::run(const BatchedMatmulSpec& spec, const float* a, const float* b, float* c) {
  Entry& e = lookup(spec);
  e.prim.set(0, a);
  e.prim.set(1, b);
  e.prim.set(2, c);
  e.prim.run();
}

void batched_matmul_reference(const BatchedMatmulSpec& s, const float* a, const float* b, float* c) {
  auto at = [](const std::array<int64_t, 4>& st, int64_t i, int64_t j, int64_t r, int64_t q) {
    return i * st[0] + j * st[1] + r * st[2] + q * st[3];
  };
  for (int64_t i = 0; i < s.batch; ++i)
    for (int64_t j = 0; j < s.heads; ++j)
      for (int64_t r = 0; r < s.m; ++r)
        for (int64_t q = 0; q < s.n; ++q) {
          double acc = 0.0;
          for (int64_t p = 0; p < s.k; ++p)
            acc += static_cast<double>(a[at(s.a, i, j, r, p)]) * b[at(s.b, i, j, p, q)];
          float& out = c[at(s.c, i, j, r, q)];
          out = static_cast<float>(s.alpha * acc + (s.accumulate ? out : 0.0));
        }
}

}  // namespace soma::kernels

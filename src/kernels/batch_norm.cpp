#include "kernels/batch_norm.hpp"

#include <algorithm>
#include <cmath>

namespace soma::kernels {

namespace {
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// 4-D descriptors of the same memory: oneDNN 2.6 runs a 2-D (nc) or 3-D batch norm on its reference
// implementation ("ncsp_bnorm"), measured 20 ms per call on a (128 * 28 * 28, 32) batch, and a 4-D nhwc or
// nchw one on its JIT kernels.
dnnl::memory::desc data_desc(const BatchNormSpec& s) {
  if (s.inner == 1) return {{s.outer, s.c, 1, 1}, dt::f32, tag::nhwc};
  return {{s.outer, s.c, s.inner, 1}, dt::f32, tag::nchw};
}

// Argument indices of the bound primitives, in bind order.
enum Fwd : size_t { f_src, f_dst, f_scale, f_shift, f_mean, f_var };
enum Bwd : size_t { b_src, b_diff_dst, b_scale, b_shift, b_mean, b_var, b_diff_src, b_diff_scale, b_diff_shift };
}  // namespace

BatchNorm::Entry& BatchNorm::lookup(const BatchNormSpec& s) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) { return e.spec == s; });
  if (it != cache_.end()) return *it;
  const auto creating = lock_primitive_creation();
  const bool serial = s.outer * s.c * s.inner < kSerialElements;
  const SerialScope scope(serial);
  const dnnl::memory::desc data = data_desc(s);
  const dnnl::memory::desc channel({s.c}, dt::f32, tag::a);
  // Scale and shift always take part (ones and zeros stand in for absent ones) so that one binding order
  // serves every spec; the cost is two multiply-adds per element on a memory-bound kernel.
  auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  if (s.global_stats) flags = flags | dnnl::normalization_flags::use_global_stats;
  const dnnl::batch_normalization_forward::desc fd(dnnl::prop_kind::forward_training, data, s.epsilon, flags);
  const dnnl::batch_normalization_forward::primitive_desc fpd(fd, cpu_engine());
  const dnnl::batch_normalization_backward::desc bd(dnnl::prop_kind::backward, data, data, s.epsilon, flags);
  const dnnl::batch_normalization_backward::primitive_desc bpd(bd, cpu_engine(), fpd);
  Entry e;
  e.spec = s;
  e.fwd = BoundPrimitive(dnnl::batch_normalization_forward(fpd), serial);
  e.fwd.bind(DNNL_ARG_SRC, data);
  e.fwd.bind(DNNL_ARG_DST, data);
  e.fwd.bind(DNNL_ARG_SCALE, channel);
  e.fwd.bind(DNNL_ARG_SHIFT, channel);
  e.fwd.bind(DNNL_ARG_MEAN, channel);
  e.fwd.bind(DNNL_ARG_VARIANCE, channel);
  e.bwd = BoundPrimitive(dnnl::batch_normalization_backward(bpd), serial);
  e.bwd.bind(DNNL_ARG_SRC, data);
  e.bwd.bind(DNNL_ARG_DIFF_DST, data);
  e.bwd.bind(DNNL_ARG_SCALE, channel);
  e.bwd.bind(DNNL_ARG_SHIFT, channel);  // oneDNN asks for it with use_shift; the gradients do not read it
  e.bwd.bind(DNNL_ARG_MEAN, channel);
  e.bwd.bind(DNNL_ARG_VARIANCE, channel);
  e.bwd.bind(DNNL_ARG_DIFF_SRC, data);
  e.bwd.bind(DNNL_ARG_DIFF_SCALE, channel);
  e.bwd.bind(DNNL_ARG_DIFF_SHIFT, channel);
  cache_.push_back(std::move(e));
  return cache_.back();
}

void BatchNorm::constants(int64_t c) {
  if (ones_.defined() && ones_.numel() == c) return;
  ones_.resize(Shape{c});
  ones_.fill(1.0f);
  zeros_.resize(Shape{c});
  zeros_.fill(0.0f);
  discard_.resize(Shape{2 * c});
}

void BatchNorm::forward(const BatchNormSpec& s, const float* x, const float* gamma, const float* beta,
                        float* mean, float* var, float* y) {
  Entry& e = lookup(s);
  constants(s.c);
  e.fwd.set(f_src, x);
  e.fwd.set(f_dst, y);
  e.fwd.set(f_scale, s.scale ? gamma : ones_.f32());
  e.fwd.set(f_shift, s.shift ? beta : zeros_.f32());
  e.fwd.set(f_mean, mean);
  e.fwd.set(f_var, var);
  e.fwd.run();
}

void BatchNorm::backward(const BatchNormSpec& s, const float* x, const float* dy, const float* gamma,
                         const float* mean, const float* var, float* dx, float* dgamma, float* dbeta) {
  Entry& e = lookup(s);
  constants(s.c);
  e.bwd.set(b_src, x);
  e.bwd.set(b_diff_dst, dy);
  e.bwd.set(b_scale, s.scale ? gamma : ones_.f32());
  e.bwd.set(b_shift, zeros_.f32());
  e.bwd.set(b_mean, mean);
  e.bwd.set(b_var, var);
  e.bwd.set(b_diff_src, dx);
  e.bwd.set(b_diff_scale, s.scale && dgamma ? dgamma : discard_.f32());
  e.bwd.set(b_diff_shift, s.shift && dbeta ? dbeta : discard_.f32() + s.c);
  e.bwd.run();
}

void batch_norm_reference(const BatchNormSpec& s, const float* x, const float* gamma, const float* beta,
                          float* mean, float* var, float* y) {
  const double count = static_cast<double>(s.outer * s.inner);
  auto at = [&](int64_t o, int64_t ch, int64_t i) { return (o * s.c + ch) * s.inner + i; };
  for (int64_t ch = 0; ch < s.c; ++ch) {
    double m = mean[ch], v = var[ch];
    if (!s.global_stats) {
      double sum = 0.0, sq = 0.0;
      for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t i = 0; i < s.inner; ++i) sum += x[at(o, ch, i)];
      m = sum / count;
      for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t i = 0; i < s.inner; ++i) sq += (x[at(o, ch, i)] - m) * (x[at(o, ch, i)] - m);
      v = sq / count;
      mean[ch] = static_cast<float>(m);
      var[ch] = static_cast<float>(v);
    }
    const double inv = 1.0 / std::sqrt(v + s.epsilon), g = s.scale ? gamma[ch] : 1.0, b = s.shift ? beta[ch] : 0.0;
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t i = 0; i < s.inner; ++i) y[at(o, ch, i)] = static_cast<float>((x[at(o, ch, i)] - m) * inv * g + b);
  }
}

void batch_norm_backward_reference(const BatchNormSpec& s, const float* x, const float* dy, const float* gamma,
                                   const float* mean, const float* var, float* dx, float* dgamma, float* dbeta) {
  const double count = static_cast<double>(s.outer * s.inner);
  auto at = [&](int64_t o, int64_t ch, int64_t i) { return (o * s.c + ch) * s.inner + i; };
  for (int64_t ch = 0; ch < s.c; ++ch) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(var[ch]) + s.epsilon), g = s.scale ? gamma[ch] : 1.0;
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t k = at(o, ch, i);
        sum_dy += dy[k];
        sum_dy_xhat += dy[k] * (x[k] - mean[ch]) * inv;
      }
    if (dgamma) dgamma[ch] = static_cast<float>(sum_dy_xhat);
    if (dbeta) dbeta[ch] = static_cast<float>(sum_dy);
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t k = at(o, ch, i);
        const double xhat = (x[k] - mean[ch]) * inv;
        dx[k] = static_cast<float>(s.global_stats ? g * inv * dy[k]
                                                  : g * inv / count * (count * dy[k] - sum_dy - xhat * sum_dy_xhat));
      }
  }
}

}  // namespace soma::kernels

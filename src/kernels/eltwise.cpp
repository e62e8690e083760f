#include "kernels/eltwise.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/fast_math.hpp"

namespace soma::kernels {

using activations::Kind;

namespace {
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;

struct Algo {
  dnnl::algorithm alg;
  float alpha, beta;
  bool supported;
};

// The oneDNN algorithm computing `act` (forward and backward alike), with its alpha and beta. The others
// run the vectorised loops below: oneDNN 2.6 has no selu, softsign or hardsigmoid (hardsigmoid came in
// 3.0).
Algo algo_for(const activations::Activation& act) {
  using a = dnnl::algorithm;
  switch (act.kind) {
    case Kind::relu:
      return {a::eltwise_relu_use_dst_for_bwd, 0.0f, 0.0f, true};
    case Kind::leaky_relu:
      // The dst-based backward needs a non-negative slope to tell the two sides apart from y alone.
      if (act.alpha >= 0.0f) return {a::eltwise_relu_use_dst_for_bwd, act.alpha, 0.0f, true};
      return {a::eltwise_relu, act.alpha, 0.0f, true};
    case Kind::sigmoid:
      return {a::eltwise_logistic_use_dst_for_bwd, 0.0f, 0.0f, true};
    case Kind::tanh:
      return {a::eltwise_tanh_use_dst_for_bwd, 0.0f, 0.0f, true};
    case Kind::elu:
      // Likewise: y + alpha is the derivative only while alpha >= 0.
      if (act.alpha >= 0.0f) return {a::eltwise_elu_use_dst_for_bwd, act.alpha, 0.0f, true};
      return {a::eltwise_elu, act.alpha, 0.0f, true};
    case Kind::gelu:
      return {a::eltwise_gelu_erf, 0.0f, 0.0f, true};
    case Kind::swish:  // x * sigmoid(alpha x) in oneDNN; Keras' swish has alpha 1
      return {a::eltwise_swish, 1.0f, 0.0f, true};
    case Kind::softplus:
      return {a::eltwise_soft_relu, 0.0f, 0.0f, true};
    case Kind::hard_silu:
      return {a::eltwise_hardswish, 0.0f, 0.0f, true};
    case Kind::relu6:
      return {a::eltwise_clip_v2_use_dst_for_bwd, 0.0f, 6.0f, true};
    case Kind::mish:
      return {a::eltwise_mish, 0.0f, 0.0f, true};
    case Kind::exponential:
      return {a::eltwise_exp_use_dst_for_bwd, 0.0f, 0.0f, true};
    default:
      break;
  }
  return {a::undef, 0.0f, 0.0f, false};
}

bool uses_dst(dnnl::algorithm alg) {
  using a = dnnl::algorithm;
  return alg == a::eltwise_relu_use_dst_for_bwd || alg == a::eltwise_logistic_use_dst_for_bwd ||
         alg == a::eltwise_tanh_use_dst_for_bwd || alg == a::eltwise_elu_use_dst_for_bwd ||
         alg == a::eltwise_clip_v2_use_dst_for_bwd || alg == a::eltwise_exp_use_dst_for_bwd;
}

// The loops for what oneDNN lacks. Parallel over threads past the size where that pays (OpenMP's static
// schedule splits any n, remainder included); each loop body is branch-free so GCC vectorises it (no
// std::min/max on a literal: the reference to a temporary keeps `omp simd` from vectorising).
void loop_forward(const activations::Activation& act, int64_t n, const float* __restrict x,
                  float* __restrict y) {
  const bool parallel = n >= kSerialElements;
  const float alpha = act.alpha;
  switch (act.kind) {
    case Kind::selu:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (int64_t i = 0; i < n; ++i) {
        const float neg = kSeluScale * kSeluAlpha * (fast_exp(x[i] < 0.0f ? x[i] : 0.0f) - 1.0f);
        y[i] = x[i] > 0.0f ? kSeluScale * x[i] : neg;
      }
      break;
    case Kind::softsign:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::fabs(x[i]));
      break;
    case Kind::hard_sigmoid:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (int64_t i = 0; i < n; ++i) {
        const float z = alpha * x[i] + 0.5f;
        y[i] = z < 0.0f ? 0.0f : (z > 1.0f ? 1.0f : z);
      }
      break;
    default:
      for (int64_t i = 0; i < n; ++i) y[i] = activation_reference(act.kind, alpha, x[i]);
      break;
  }
}

void loop_backward(const activations::Activation& act, int64_t n, const float* __restrict x,
                   const float* __restrict dy, float* __restrict dx) {
  const bool parallel = n >= kSerialElements;
  const float alpha = act.alpha;
  switch (act.kind) {
    case Kind::selu:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (int64_t i = 0; i < n; ++i) {
        const float neg = kSeluScale * kSeluAlpha * fast_exp(x[i] < 0.0f ? x[i] : 0.0f);
        dx[i] = dy[i] * (x[i] > 0.0f ? kSeluScale : neg);
      }
      break;
    case Kind::softsign:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (int64_t i = 0; i < n; ++i) {
        const float d = 1.0f + std::fabs(x[i]);
        dx[i] = dy[i] / (d * d);
      }
      break;
    case Kind::hard_sigmoid:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (int64_t i = 0; i < n; ++i) {
        const float z = alpha * x[i] + 0.5f;
        dx[i] = z > 0.0f && z < 1.0f ? dy[i] * alpha : 0.0f;
      }
      break;
    default:
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * activation_derivative_reference(act.kind, alpha, x[i]);
      break;
  }
}
}  // namespace

bool backward_uses_output(const activations::Activation& act) {
  if (act.kind == Kind::softmax || act.kind == Kind::log_softmax) return true;
  const Algo al = algo_for(act);
  return al.supported && uses_dst(al.alg);
}

Eltwise::Entry& Eltwise::lookup(const activations::Activation& act, int64_t n, bool backward) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) {
    return e.kind == act.kind && e.alpha == act.alpha && e.n == n && e.backward == backward;
  });
  if (it != cache_.end()) return *it;
  const auto creating = lock_primitive_creation();
  const bool serial = n < kSerialElements;
  const SerialScope scope(serial);
  const Algo al = algo_for(act);
  const dnnl::memory::desc md({n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
  const dnnl::eltwise_forward::desc fd(dnnl::prop_kind::forward_training, al.alg, md, al.alpha, al.beta);
  const dnnl::eltwise_forward::primitive_desc fpd(fd, cpu_engine());
  Entry e{act.kind, act.alpha, n, backward, {}};
  if (!backward) {
    e.prim = BoundPrimitive(dnnl::eltwise_forward(fpd), serial);
    e.prim.bind(DNNL_ARG_SRC, md);
    e.prim.bind(DNNL_ARG_DST, md);
  } else {
    const dnnl::eltwise_backward::desc bd(al.alg, md, md, al.alpha, al.beta);
    const dnnl::eltwise_backward::primitive_desc bpd(bd, cpu_engine(), fpd);
    e.prim = BoundPrimitive(dnnl::eltwise_backward(bpd), serial);
    e.prim.bind(uses_dst(al.alg) ? DNNL_ARG_DST : DNNL_ARG_SRC, md);
    e.prim.bind(DNNL_ARG_DIFF_DST, md);
    e.prim.bind(DNNL_ARG_DIFF_SRC, md);
  }
  cache_.push_back(std::move(e));
  return cache_.back();
}

void Eltwise::forward(const activations::Activation& act, int64_t n, const float* x, float* y) {
  assert(act.kind != Kind::softmax && act.kind != Kind::log_softmax);
  if (act.kind == Kind::linear) {
    std::copy(x, x + n, y);
    return;
  }
  if (!algo_for(act).supported) {
    loop_forward(act, n, x, y);
    return;
  }
  Entry& e = lookup(act, n, false);
  e.prim.set(0, x);
  e.prim.set(1, y);
  e.prim.run();
}

void Eltwise::backward(const activations::Activation& act, int64_t n, const float* saved, const float* dy,
                       float* dx) {
  assert(act.kind != Kind::softmax && act.kind != Kind::log_softmax);
  if (act.kind == Kind::linear) {
    std::copy(dy, dy + n, dx);
    return;
  }
  if (!algo_for(act).supported) {
    loop_backward(act, n, saved, dy, dx);
    return;
  }
  Entry& e = lookup(act, n, true);
  e.prim.set(0, saved);
  e.prim.set(1, dy);
  e.prim.set(2, dx);
  e.prim.run();
}

float activation_reference(Kind kind, float alpha, float x) {
  switch (kind) {
    case Kind::linear:
      return x;
    case Kind::relu:
      return x > 0 ? x : 0.0f;
    case Kind::leaky_relu:
      return x > 0 ? x : alpha * x;
    case Kind::sigmoid:
      return 1.0f / (1.0f + std::exp(-x));
    case Kind::tanh:
      return std::tanh(x);
    case Kind::elu:
      return x > 0 ? x : alpha * std::expm1(x);
    case Kind::gelu:
      return 0.5f * x * (1.0f + std::erf(x / std::sqrt(2.0f)));
    case Kind::swish:
      return x / (1.0f + std::exp(-x));
    case Kind::softplus:
      return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case Kind::selu:
      return kSeluScale * (x > 0 ? x : kSeluAlpha * std::expm1(x));
    case Kind::hard_sigmoid:
      return std::clamp(alpha * x + 0.5f, 0.0f, 1.0f);
    case Kind::softsign:
      return x / (1.0f + std::fabs(x));
    case Kind::hard_silu:
      return x * std::clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f;
    case Kind::relu6:
      return std::clamp(x, 0.0f, 6.0f);
    case Kind::mish: {
      const float sp = x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
      return x * std::tanh(sp);
    }
    case Kind::exponential:
      return std::exp(x);
    case Kind::softmax:
    case Kind::log_softmax:
      break;
  }
  assert(false && "softmax is not element-wise");
  return 0.0f;
}

float activation_derivative_reference(Kind kind, float alpha, float x) {
  const float s = 1.0f / (1.0f + std::exp(-x));
  switch (kind) {
    case Kind::linear:
      return 1.0f;
    case Kind::relu:
      return x > 0 ? 1.0f : 0.0f;
    case Kind::leaky_relu:
      return x > 0 ? 1.0f : alpha;
    case Kind::sigmoid:
      return s * (1.0f - s);
    case Kind::tanh: {
      const float t = std::tanh(x);
      return 1.0f - t * t;
    }
    case Kind::elu:
      return x > 0 ? 1.0f : alpha * std::exp(x);
    case Kind::gelu: {
      constexpr float kInvSqrt2Pi = 0.3989422804014327f;
      return 0.5f * (1.0f + std::erf(x / std::sqrt(2.0f))) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
    }
    case Kind::swish:
      return s + x * s * (1.0f - s);
    case Kind::softplus:
      return s;
    case Kind::selu:
      return kSeluScale * (x > 0 ? 1.0f : kSeluAlpha * std::exp(x));
    case Kind::hard_sigmoid: {
      const float z = alpha * x + 0.5f;
      return z > 0.0f && z < 1.0f ? alpha : 0.0f;
    }
    case Kind::softsign: {
      const float d = 1.0f + std::fabs(x);
      return 1.0f / (d * d);
    }
    case Kind::hard_silu:
      return x <= -3.0f ? 0.0f : x >= 3.0f ? 1.0f : (2.0f * x + 3.0f) / 6.0f;
    case Kind::relu6:
      return x > 0.0f && x < 6.0f ? 1.0f : 0.0f;
    case Kind::mish: {
      const float sp = x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
      const float t = std::tanh(sp);
      return t + x * (1.0f - t * t) * s;
    }
    case Kind::exponential:
      return std::exp(x);
    case Kind::softmax:
    case Kind::log_softmax:
      break;
  }
  assert(false && "softmax is not element-wise");
  return 0.0f;
}

}  // namespace soma::kernels

#include "kernels/eltwise.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace soma::kernels {

using activations::Kind;

namespace {
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;

struct Algo {
  dnnl::algorithm fwd, bwd;
  bool supported;
};

Algo algo_for(Kind kind) {
  using a = dnnl::algorithm;
  switch (kind) {
    case Kind::relu:
    case Kind::leaky_relu:
      return {a::eltwise_relu_use_dst_for_bwd, a::eltwise_relu_use_dst_for_bwd, true};
    case Kind::sigmoid:
      return {a::eltwise_logistic_use_dst_for_bwd, a::eltwise_logistic_use_dst_for_bwd, true};
    case Kind::tanh:
      return {a::eltwise_tanh_use_dst_for_bwd, a::eltwise_tanh_use_dst_for_bwd, true};
    case Kind::elu:
      return {a::eltwise_elu_use_dst_for_bwd, a::eltwise_elu_use_dst_for_bwd, true};
    case Kind::gelu:
      return {a::eltwise_gelu_erf, a::eltwise_gelu_erf, true};
    case Kind::swish:
      return {a::eltwise_swish, a::eltwise_swish, true};
    case Kind::softplus:
      return {a::eltwise_soft_relu, a::eltwise_soft_relu, true};
    default:  // computed by the reference loops below
      break;
  }
  return {a::undef, a::undef, false};
}

// Swish is x * sigmoid(alpha * x) in oneDNN; Keras' swish has alpha 1.
float dnnl_alpha(const activations::Activation& act) {
  return act.kind == Kind::swish ? 1.0f : act.alpha;
}
}  // namespace

bool backward_uses_output(Kind kind) {
  switch (kind) {
    case Kind::relu:
    case Kind::leaky_relu:
    case Kind::sigmoid:
    case Kind::tanh:
    case Kind::elu:
    case Kind::softmax:
      return true;
    default:
      return false;
  }
}

Eltwise::Entry& Eltwise::lookup(const activations::Activation& act, int64_t n, bool backward) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) {
    return e.kind == act.kind && e.n == n && e.backward == backward;
  });
  if (it != cache_.end()) return *it;
  const bool serial = n < kSerialElements;
  const SerialScope scope(serial);
  const Algo al = algo_for(act.kind);
  const dnnl::memory::desc md({n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
  const dnnl::eltwise_forward::desc fd(dnnl::prop_kind::forward_training, al.fwd, md, dnnl_alpha(act), 0.0f);
  const dnnl::eltwise_forward::primitive_desc fpd(fd, cpu_engine());
  Entry e{act.kind, n, backward, {}};
  if (!backward) {
    e.prim = BoundPrimitive(dnnl::eltwise_forward(fpd), serial);
    e.prim.bind(DNNL_ARG_SRC, md);
    e.prim.bind(DNNL_ARG_DST, md);
  } else {
    const dnnl::eltwise_backward::desc bd(al.bwd, md, md, dnnl_alpha(act), 0.0f);
    const dnnl::eltwise_backward::primitive_desc bpd(bd, cpu_engine(), fpd);
    e.prim = BoundPrimitive(dnnl::eltwise_backward(bpd), serial);
    e.prim.bind(backward_uses_output(act.kind) ? DNNL_ARG_DST : DNNL_ARG_SRC, md);
    e.prim.bind(DNNL_ARG_DIFF_DST, md);
    e.prim.bind(DNNL_ARG_DIFF_SRC, md);
  }
  cache_.push_back(std::move(e));
  return cache_.back();
}

void Eltwise::forward(const activations::Activation& act, int64_t n, const float* x, float* y) {
  assert(act.kind != Kind::softmax);
  if (!algo_for(act.kind).supported) {
    for (int64_t i = 0; i < n; ++i) y[i] = activation_reference(act.kind, act.alpha, x[i]);
    return;
  }
  Entry& e = lookup(act, n, false);
  e.prim.set(0, x);
  e.prim.set(1, y);
  e.prim.run();
}

void Eltwise::backward(const activations::Activation& act, int64_t n, const float* saved, const float* dy,
                       float* dx) {
  assert(act.kind != Kind::softmax);
  if (!algo_for(act.kind).supported) {
    for (int64_t i = 0; i < n; ++i)
      dx[i] = dy[i] * activation_derivative_reference(act.kind, act.alpha, saved[i]);
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

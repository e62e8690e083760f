#include "kernels/convolution.hpp"

#include <algorithm>

#include "soma/core/tensor.hpp"

namespace soma::kernels {

namespace {
using dims = dnnl::memory::dims;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// A reorder between two layouts of the same weights, bound like the primitives.
BoundPrimitive make_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to) {
  BoundPrimitive r(dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), to)));
  r.bind(DNNL_ARG_FROM, from);
  r.bind(DNNL_ARG_TO, to);
  return r;
}

// (N, [D,] H, W, C) data with oneDNN's logical (N, C, [D,] H, W) dimensions.
dnnl::memory::desc data_desc(const ConvSpec& s, int64_t channels, int64_t d, int64_t h, int64_t w, dt type) {
  if (s.volumetric()) return dnnl::memory::desc({s.n, channels, d, h, w}, type, tag::ndhwc);
  return dnnl::memory::desc({s.n, channels, h, w}, type, tag::nhwc);
}

// Keras' kernel layout described by strides over oneDNN's logical weight dimensions: ([G,] O, I, [KD,] KH,
// KW) for a convolution, (O, I, [KD,] KH, KW) for a transposed one, whose Keras kernel is (.., O, C).
dnnl::memory::desc keras_weights(const ConvSpec& s, dt type) {
  const int64_t g = s.groups, cg = s.c / g, og = s.o / g;
  // Elements between consecutive kernel positions: one (in, out) matrix.
  const int64_t tap = s.transposed ? s.o * s.c : cg * s.o;
  dims shape, strides;
  if (s.transposed) {
    shape = {s.o, s.c};
    strides = {s.c, 1};
  } else if (g > 1) {
    shape = {g, og, cg};
    strides = {og, 1, s.o};
  } else {
    shape = {s.o, s.c};
    strides = {1, s.o};
  }
  if (s.volumetric()) {
    shape.push_back(s.kd);
    strides.push_back(s.kh * s.kw * tap);
  }
  shape.insert(shape.end(), {s.kh, s.kw});
  strides.insert(strides.end(), {s.kw * tap, tap});
  return dnnl::memory::desc(shape, type, strides);
}

dnnl::memory::desc any_weights(const ConvSpec& s, dt type) {
  const dnnl::memory::desc k = keras_weights(s, type);
  return dnnl::memory::desc(k.dims(), type, tag::any);
}
}  // namespace

struct Convolution::Entry {
  ConvSpec spec;
  BoundPrimitive fwd, bwd_data, bwd_weights;
  BoundPrimitive to_fwd_weights, to_bwd_weights, from_diff_weights;
  bool fwd_reorder = false, bwd_reorder = false, diff_reorder = false;
  Tensor fwd_weights, bwd_weights_buf, diff_weights;  // blocked copies, reused
};

Convolution::Convolution() = default;
Convolution::~Convolution() = default;
Convolution::Convolution(Convolution&&) noexcept = default;
Convolution& Convolution::operator=(Convolution&&) noexcept = default;

namespace {
// The three primitives of a convolution or of a transposed one (oneDNN's deconvolution), which share
// their descriptors' signatures.
template <class Fwd, class BwdData, class BwdWeights>
void create(const ConvSpec& s, dnnl::algorithm algo, bool serial, Convolution::Entry& e);
}  // namespace

Convolution::Entry& Convolution::lookup(const ConvSpec& s) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) { return e.spec == s; });
  if (it != cache_.end()) return *it;
  const auto creating = lock_primitive_creation();
  const int64_t taps = s.kd * s.kh * s.kw;
  const int64_t macs = s.transposed ? s.n * s.d * s.h * s.w * s.c * s.o * taps
                                    : s.n * s.od() * s.oh() * s.ow() * s.o * (s.c / s.groups) * taps;
  const bool serial = macs < kSerialMacs;
  const SerialScope scope(serial);
  Entry e;
  e.spec = s;
  if (s.transposed) {
    create<dnnl::deconvolution_forward, dnnl::deconvolution_backward_data, dnnl::deconvolution_backward_weights>(
        s, dnnl::algorithm::deconvolution_direct, serial, e);
  } else {
    create<dnnl::convolution_forward, dnnl::convolution_backward_data, dnnl::convolution_backward_weights>(
        s, dnnl::algorithm::convolution_direct, serial, e);
  }
  cache_.push_back(std::move(e));
  return cache_.back();
}

namespace {
template <class Fwd, class BwdData, class BwdWeights>
void create(const ConvSpec& s, dnnl::algorithm algo, bool serial, Convolution::Entry& e) {
  const dt operand = s.bf16 ? dt::bf16 : dt::f32;
  const auto src = data_desc(s, s.c, s.d, s.h, s.w, operand);
  const auto diff_src = data_desc(s, s.c, s.d, s.h, s.w, dt::f32);
  const auto dst = data_desc(s, s.o, s.od(), s.oh(), s.ow(), dt::f32);
  const auto diff_dst = data_desc(s, s.o, s.od(), s.oh(), s.ow(), operand);
  const auto user_w = keras_weights(s, dt::f32);
  const auto any_w = any_weights(s, operand);
  const auto any_diff_w = any_weights(s, dt::f32);
  const dnnl::memory::desc bias = s.bias ? dnnl::memory::desc({s.o}, dt::f32, tag::a) : dnnl::memory::desc();
  dims strides{s.sh, s.sw}, dilates{s.dh - 1, s.dw - 1}, pad_l{s.pt, s.pl}, pad_r{s.pb, s.pr};
  if (s.volumetric()) {
    strides.insert(strides.begin(), s.sd);
    dilates.insert(dilates.begin(), s.dd - 1);
    pad_l.insert(pad_l.begin(), s.pf);
    pad_r.insert(pad_r.begin(), s.pk);
  }

  dnnl::post_ops ops;
  if (s.relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const typename Fwd::desc fd(dnnl::prop_kind::forward_training, algo, src, any_w, bias, dst, strides, dilates,
                              pad_l, pad_r);
  const typename Fwd::primitive_desc fpd(fd, attr, cpu_engine());
  const typename BwdData::desc bd(algo, diff_src, any_w, diff_dst, strides, dilates, pad_l, pad_r);
  const typename BwdData::primitive_desc bpd(bd, cpu_engine(), fpd);
  const typename BwdWeights::desc wd(algo, src, any_diff_w, diff_dst, strides, dilates, pad_l, pad_r);
  const typename BwdWeights::primitive_desc wpd(wd, cpu_engine(), fpd);

  e.fwd = BoundPrimitive(Fwd(fpd), serial);
  e.fwd.bind(DNNL_ARG_SRC, src);
  e.fwd.bind(DNNL_ARG_WEIGHTS, fpd.weights_desc());
  e.fwd.bind(DNNL_ARG_DST, dst);
  if (s.bias) e.fwd.bind(DNNL_ARG_BIAS, bias);
  e.bwd_data = BoundPrimitive(BwdData(bpd), serial);
  e.bwd_data.bind(DNNL_ARG_DIFF_DST, diff_dst);
  e.bwd_data.bind(DNNL_ARG_WEIGHTS, bpd.weights_desc());
  e.bwd_data.bind(DNNL_ARG_DIFF_SRC, diff_src);
  e.bwd_weights = BoundPrimitive(BwdWeights(wpd), serial);
  e.bwd_weights.bind(DNNL_ARG_SRC, src);
  e.bwd_weights.bind(DNNL_ARG_DIFF_DST, diff_dst);
  e.bwd_weights.bind(DNNL_ARG_DIFF_WEIGHTS, wpd.diff_weights_desc());

  const auto buffer = [](const dnnl::memory::desc& md) {
    return Tensor::empty(Shape{static_cast<int64_t>(md.get_size())}, DType::uint8);
  };
  if ((e.fwd_reorder = fpd.weights_desc() != user_w)) {
    e.to_fwd_weights = make_reorder(user_w, fpd.weights_desc());
    e.fwd_weights = buffer(fpd.weights_desc());
  }
  if ((e.bwd_reorder = bpd.weights_desc() != user_w)) {
    e.to_bwd_weights = make_reorder(user_w, bpd.weights_desc());
    e.bwd_weights_buf = buffer(bpd.weights_desc());
  }
  if ((e.diff_reorder = wpd.diff_weights_desc() != user_w)) {
    e.from_diff_weights = make_reorder(wpd.diff_weights_desc(), user_w);
    e.diff_weights = buffer(wpd.diff_weights_desc());
  }
}
}  // namespace

void Convolution::forward(const ConvSpec& spec, const void* x, const float* kernel, const float* bias,
                          float* y) {
  Entry& e = lookup(spec);
  const void* w = kernel;
  if (e.fwd_reorder) {
    e.to_fwd_weights.set(0, kernel);
    e.to_fwd_weights.set(1, e.fwd_weights.data<uint8_t>());
    e.to_fwd_weights.run();
    w = e.fwd_weights.data<uint8_t>();
  }
  e.fwd.set(0, x);
  e.fwd.set(1, w);
  e.fwd.set(2, y);
  if (spec.bias) e.fwd.set(3, bias);
  e.fwd.run();
}

void Convolution::backward_data(const ConvSpec& spec, const void* dy, const float* kernel, float* dx) {
  Entry& e = lookup(spec);
  const void* w = kernel;
  if (e.bwd_reorder) {
    e.to_bwd_weights.set(0, kernel);
    e.to_bwd_weights.set(1, e.bwd_weights_buf.data<uint8_t>());
    e.to_bwd_weights.run();
    w = e.bwd_weights_buf.data<uint8_t>();
  }
  e.bwd_data.set(0, dy);
  e.bwd_data.set(1, w);
  e.bwd_data.set(2, dx);
  e.bwd_data.run();
}

void Convolution::backward_weights(const ConvSpec& spec, const void* x, const void* dy, float* dkernel) {
  Entry& e = lookup(spec);
  e.bwd_weights.set(0, x);
  e.bwd_weights.set(1, dy);
  e.bwd_weights.set(2, e.diff_reorder ? static_cast<void*>(e.diff_weights.data<uint8_t>()) : dkernel);
  e.bwd_weights.run();
  if (e.diff_reorder) {
    e.from_diff_weights.set(0, e.diff_weights.data<uint8_t>());
    e.from_diff_weights.set(1, dkernel);
    e.from_diff_weights.run();
  }
}

// Scatters each input position through each kernel tap into the output it reaches: the definition of a
// transposed convolution, and, gathered the other way round, of a convolution.
void conv_reference(const ConvSpec& s, const float* x, const float* kernel, const float* bias, float* y) {
  const int64_t od = s.od(), oh = s.oh(), ow = s.ow();
  const int64_t cg = s.c / s.groups, og = s.o / s.groups;
  std::vector<double> acc(static_cast<size_t>(s.n * od * oh * ow * s.o));
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t p = 0; p < od * oh * ow; ++p)
      for (int64_t o = 0; o < s.o; ++o) acc[(n * od * oh * ow + p) * s.o + o] = s.bias ? bias[o] : 0.0;
  // (z, i, j) indexes the convolution's output, (zz, r, q) its input; transposed swaps the roles of x, y.
  const int64_t id = s.transposed ? s.d : od, ih = s.transposed ? s.h : oh, iw = s.transposed ? s.w : ow;
  const int64_t xd = s.transposed ? od : s.d, xh = s.transposed ? oh : s.h, xw = s.transposed ? ow : s.w;
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t z = 0; z < id; ++z)
      for (int64_t i = 0; i < ih; ++i)
        for (int64_t j = 0; j < iw; ++j)
          for (int64_t a = 0; a < s.kd; ++a)
            for (int64_t b = 0; b < s.kh; ++b)
              for (int64_t e = 0; e < s.kw; ++e) {
                const int64_t zz = z * s.sd + a * s.dd - s.pf, r = i * s.sh + b * s.dh - s.pt,
                              q = j * s.sw + e * s.dw - s.pl;
                if (zz < 0 || zz >= xd || r < 0 || r >= xh || q < 0 || q >= xw) continue;
                const int64_t tap = (a * s.kh + b) * s.kw + e;
                const int64_t near = ((n * id + z) * ih + i) * iw + j, far = ((n * xd + zz) * xh + r) * xw + q;
                if (s.transposed) {
                  for (int64_t o = 0; o < s.o; ++o)
                    for (int64_t c = 0; c < s.c; ++c)
                      acc[far * s.o + o] += static_cast<double>(x[near * s.c + c]) * kernel[(tap * s.o + o) * s.c + c];
                } else {
                  for (int64_t o = 0; o < s.o; ++o) {
                    const int64_t g = o / og;
                    for (int64_t ci = 0; ci < cg; ++ci)
                      acc[near * s.o + o] +=
                          static_cast<double>(x[far * s.c + g * cg + ci]) * kernel[(tap * cg + ci) * s.o + o];
                  }
                }
              }
  for (size_t i = 0; i < acc.size(); ++i) {
    const double v = s.relu && acc[i] < 0 ? 0.0 : acc[i];
    y[i] = static_cast<float>(v);
  }
}

}  // namespace soma::kernels

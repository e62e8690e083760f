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

Convolution::Entry& Convolution::lookup(const ConvSpec& s) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) { return e.spec == s; });
  if (it != cache_.end()) return *it;
  const auto creating = lock_primitive_creation();

  const int64_t macs = s.n * s.oh() * s.ow() * s.o * s.c * s.kh * s.kw;
  const bool serial = macs < kSerialMacs;
  const SerialScope scope(serial);
  const dt operand = s.bf16 ? dt::bf16 : dt::f32;
  const dnnl::memory::desc src({s.n, s.c, s.h, s.w}, operand, tag::nhwc);
  const dnnl::memory::desc diff_src({s.n, s.c, s.h, s.w}, dt::f32, tag::nhwc);
  const dnnl::memory::desc dst({s.n, s.o, s.oh(), s.ow()}, dt::f32, tag::nhwc);
  const dnnl::memory::desc diff_dst({s.n, s.o, s.oh(), s.ow()}, operand, tag::nhwc);
  const dnnl::memory::desc user_w({s.o, s.c, s.kh, s.kw}, dt::f32, tag::hwio);
  const dnnl::memory::desc any_w({s.o, s.c, s.kh, s.kw}, operand, tag::any);
  const dnnl::memory::desc any_diff_w({s.o, s.c, s.kh, s.kw}, dt::f32, tag::any);
  const dnnl::memory::desc bias = s.bias ? dnnl::memory::desc({s.o}, dt::f32, tag::a) : dnnl::memory::desc();
  const dims strides{s.sh, s.sw}, dilates{s.dh - 1, s.dw - 1}, pad_l{s.pt, s.pl}, pad_r{s.pb, s.pr};

  dnnl::post_ops ops;
  if (s.relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training,
                                           dnnl::algorithm::convolution_direct, src, any_w, bias, dst,
                                           strides, dilates, pad_l, pad_r);
  const dnnl::convolution_forward::primitive_desc fpd(fd, attr, cpu_engine());
  const dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct, diff_src, any_w,
                                                 diff_dst, strides, dilates, pad_l, pad_r);
  const dnnl::convolution_backward_data::primitive_desc bpd(bd, cpu_engine(), fpd);
  const dnnl::convolution_backward_weights::desc wd(dnnl::algorithm::convolution_direct, src, any_diff_w,
                                                    diff_dst, strides, dilates, pad_l, pad_r);
  const dnnl::convolution_backward_weights::primitive_desc wpd(wd, cpu_engine(), fpd);

  Entry e;
  e.spec = s;
  e.fwd = BoundPrimitive(dnnl::convolution_forward(fpd), serial);
  e.fwd.bind(DNNL_ARG_SRC, src);
  e.fwd.bind(DNNL_ARG_WEIGHTS, fpd.weights_desc());
  e.fwd.bind(DNNL_ARG_DST, dst);
  if (s.bias) e.fwd.bind(DNNL_ARG_BIAS, bias);
  e.bwd_data = BoundPrimitive(dnnl::convolution_backward_data(bpd), serial);
  e.bwd_data.bind(DNNL_ARG_DIFF_DST, diff_dst);
  e.bwd_data.bind(DNNL_ARG_WEIGHTS, bpd.weights_desc());
  e.bwd_data.bind(DNNL_ARG_DIFF_SRC, diff_src);
  e.bwd_weights = BoundPrimitive(dnnl::convolution_backward_weights(wpd), serial);
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
  cache_.push_back(std::move(e));
  return cache_.back();
}

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

void conv2d_reference(const ConvSpec& s, const float* x, const float* kernel, const float* bias, float* y) {
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t i = 0; i < s.oh(); ++i)
      for (int64_t j = 0; j < s.ow(); ++j)
        for (int64_t o = 0; o < s.o; ++o) {
          double acc = s.bias ? bias[o] : 0.0;
          for (int64_t a = 0; a < s.kh; ++a)
            for (int64_t b = 0; b < s.kw; ++b) {
              const int64_t r = i * s.sh + a * s.dh - s.pt, c = j * s.sw + b * s.dw - s.pl;
              if (r < 0 || r >= s.h || c < 0 || c >= s.w) continue;
              for (int64_t ch = 0; ch < s.c; ++ch) {
                acc += static_cast<double>(x[((n * s.h + r) * s.w + c) * s.c + ch]) *
                       kernel[((a * s.kw + b) * s.c + ch) * s.o + o];
              }
            }
          if (s.relu && acc < 0) acc = 0;
          y[((n * s.oh() + i) * s.ow() + j) * s.o + o] = static_cast<float>(acc);
        }
}

}  // namespace soma::kernels

#include "kernels/pooling.hpp"

#include <algorithm>
#include <limits>

namespace soma::kernels {

namespace {
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
}  // namespace

Pooling::Entry& Pooling::lookup(const PoolSpec& s) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) { return e.spec == s; });
  if (it != cache_.end()) return *it;
  const auto creating = lock_primitive_creation();
  const bool serial = s.n * s.od() * s.oh() * s.ow() * s.c * s.kd * s.kh * s.kw < kSerialElements;
  const SerialScope scope(serial);
  const bool v = s.volumetric();
  const tag layout = v ? (s.channels_first ? tag::ncdhw : tag::ndhwc) : (s.channels_first ? tag::nchw : tag::nhwc);
  const dnnl::memory::desc src(v ? dnnl::memory::dims{s.n, s.c, s.d, s.h, s.w} : dnnl::memory::dims{s.n, s.c, s.h, s.w},
                               dt::f32, layout);
  const dnnl::memory::desc dst(v ? dnnl::memory::dims{s.n, s.c, s.od(), s.oh(), s.ow()}
                                 : dnnl::memory::dims{s.n, s.c, s.oh(), s.ow()},
                               dt::f32, layout);
  const auto algo = s.max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  dnnl::memory::dims strides{s.sh, s.sw}, kernel{s.kh, s.kw}, pad_l{s.pt, s.pl}, pad_r{s.pb, s.pr};
  if (v) {
    strides.insert(strides.begin(), s.sd);
    kernel.insert(kernel.begin(), s.kd);
    pad_l.insert(pad_l.begin(), s.pf);
    pad_r.insert(pad_r.begin(), s.pk);
  }
  const dnnl::pooling_forward::desc fd(dnnl::prop_kind::forward_training, algo, src, dst, strides, kernel,
                                       pad_l, pad_r);
  const dnnl::pooling_forward::primitive_desc fpd(fd, cpu_engine());
  const dnnl::pooling_backward::desc bd(algo, src, dst, strides, kernel, pad_l, pad_r);
  const dnnl::pooling_backward::primitive_desc bpd(bd, cpu_engine(), fpd);

  Entry e;
  e.spec = s;
  e.fwd = BoundPrimitive(dnnl::pooling_forward(fpd), serial);
  e.fwd.bind(DNNL_ARG_SRC, src);
  e.fwd.bind(DNNL_ARG_DST, dst);
  e.bwd = BoundPrimitive(dnnl::pooling_backward(bpd), serial);
  e.bwd.bind(DNNL_ARG_DIFF_DST, dst);
  e.bwd.bind(DNNL_ARG_DIFF_SRC, src);
  if (s.max) {
    const auto ws = fpd.workspace_desc();
    e.workspace = Tensor::empty(Shape{static_cast<int64_t>(ws.get_size())}, DType::uint8);
    e.fwd.bind(DNNL_ARG_WORKSPACE, ws);
    e.bwd.bind(DNNL_ARG_WORKSPACE, ws);
  }
  cache_.push_back(std::move(e));
  return cache_.back();
}

void Pooling::forward(const PoolSpec& spec, const float* x, float* y) {
  Entry& e = lookup(spec);
  e.fwd.set(0, x);
  e.fwd.set(1, y);
  if (spec.max) e.fwd.set(2, e.workspace.data<uint8_t>());
  e.fwd.run();
}

void Pooling::backward(const PoolSpec& spec, const float* dy, float* dx) {
  Entry& e = lookup(spec);
  e.bwd.set(0, dy);
  e.bwd.set(1, dx);
  if (spec.max) e.bwd.set(2, e.workspace.data<uint8_t>());
  e.bwd.run();
}

void pool_reference(const PoolSpec& s, const float* x, float* y) {
  const int64_t od = s.od(), oh = s.oh(), ow = s.ow();
  // Element (n, ch, z, r, q) of x in its layout; the output's alike with its extents.
  const auto at = [&](int64_t n, int64_t ch, int64_t z, int64_t r, int64_t q, int64_t D, int64_t H, int64_t W) {
    return s.channels_first ? (((n * s.c + ch) * D + z) * H + r) * W + q : (((n * D + z) * H + r) * W + q) * s.c + ch;
  };
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t z = 0; z < od; ++z)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j)
          for (int64_t ch = 0; ch < s.c; ++ch) {
            double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
            int64_t count = 0;
            for (int64_t e = 0; e < s.kd; ++e)
              for (int64_t a = 0; a < s.kh; ++a)
                for (int64_t b = 0; b < s.kw; ++b) {
                  const int64_t zz = z * s.sd + e - s.pf, r = i * s.sh + a - s.pt, c = j * s.sw + b - s.pl;
                  if (zz < 0 || zz >= s.d || r < 0 || r >= s.h || c < 0 || c >= s.w) continue;
                  const double v = x[at(n, ch, zz, r, c, s.d, s.h, s.w)];
                  best = std::max(best, v);
                  sum += v;
                  ++count;
                }
            y[at(n, ch, z, i, j, od, oh, ow)] = static_cast<float>(s.max ? best : sum / count);
          }
}

}  // namespace soma::kernels

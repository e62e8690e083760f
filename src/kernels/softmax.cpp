#include "kernels/softmax.hpp"

#include <algorithm>
#include <cmath>

namespace soma::kernels {

Softmax::Entry& Softmax::lookup(const SoftmaxSpec& s, bool backward) {
  auto it = std::find_if(cache_.begin(), cache_.end(),
                         [&](const Entry& e) { return e.spec == s && e.backward == backward; });
  if (it != cache_.end()) return *it;
  const auto creating = lock_primitive_creation();
  const bool serial = s.numel() < kSerialElements;
  const SerialScope scope(serial);
  const dnnl::memory::desc md({s.outer, s.axis, s.inner}, dnnl::memory::data_type::f32,
                              dnnl::memory::format_tag::abc);
  Entry e{s, backward, {}};
  const auto prop = dnnl::prop_kind::forward_training;
  if (!s.log) {
    const dnnl::softmax_forward::primitive_desc fpd({prop, md, 1}, cpu_engine());
    if (!backward) {
      e.prim = BoundPrimitive(dnnl::softmax_forward(fpd), serial);
    } else {
      const dnnl::softmax_backward::primitive_desc bpd({md, md, 1}, cpu_engine(), fpd);
      e.prim = BoundPrimitive(dnnl::softmax_backward(bpd), serial);
    }
  } else {
    const dnnl::logsoftmax_forward::primitive_desc fpd({prop, md, 1}, cpu_engine());
    if (!backward) {
      e.prim = BoundPrimitive(dnnl::logsoftmax_forward(fpd), serial);
    } else {
      const dnnl::logsoftmax_backward::primitive_desc bpd({md, md, 1}, cpu_engine(), fpd);
      e.prim = BoundPrimitive(dnnl::logsoftmax_backward(bpd), serial);
    }
  }
  if (!backward) {
    e.prim.bind(DNNL_ARG_SRC, md);
    e.prim.bind(DNNL_ARG_DST, md);
  } else {
    e.prim.bind(DNNL_ARG_DST, md);
    e.prim.bind(DNNL_ARG_DIFF_DST, md);
    e.prim.bind(DNNL_ARG_DIFF_SRC, md);
  }
  cache_.push_back(std::move(e));
  return cache_.back();
}

void Softmax::forward(const SoftmaxSpec& spec, const float* x, float* y) {
  Entry& e = lookup(spec, false);
  e.prim.set(0, x);
  e.prim.set(1, y);
  e.prim.run();
}

void Softmax::backward(const SoftmaxSpec& spec, const float* y, const float* dy, float* dx) {
  Entry& e = lookup(spec, true);
  e.prim.set(0, y);
  e.prim.set(1, dy);
  e.prim.set(2, dx);
  e.prim.run();
}

void softmax_reference(const SoftmaxSpec& s, const float* x, float* y) {
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t in = 0; in < s.inner; ++in) {
      const float* xr = x + o * s.axis * s.inner + in;
      float* yr = y + o * s.axis * s.inner + in;
      double mx = xr[0];
      for (int64_t c = 1; c < s.axis; ++c) mx = std::max(mx, static_cast<double>(xr[c * s.inner]));
      double sum = 0.0;
      for (int64_t c = 0; c < s.axis; ++c) sum += std::exp(xr[c * s.inner] - mx);
      for (int64_t c = 0; c < s.axis; ++c) {
        const double z = xr[c * s.inner] - mx;
        yr[c * s.inner] = static_cast<float>(s.log ? z - std::log(sum) : std::exp(z) / sum);
      }
    }
}

}  // namespace soma::kernels

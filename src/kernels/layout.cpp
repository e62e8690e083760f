#include "kernels/layout.hpp"

#include <algorithm>

namespace soma::kernels {

void LayoutReorder::run(const LayoutSpec& s, const float* src, float* dst) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const Entry& e) { return e.spec == s; });
  if (it == cache_.end()) {
    const auto creating = lock_primitive_creation();
    const bool serial = s.n * s.c * s.h * s.w < kSerialElements;
    const SerialScope scope(serial);
    using tag = dnnl::memory::format_tag;
    const dnnl::memory::dims dims{s.n, s.c, s.h, s.w};
    const dnnl::memory::desc nchw(dims, dnnl::memory::data_type::f32, tag::nchw);
    const dnnl::memory::desc nhwc(dims, dnnl::memory::data_type::f32, tag::nhwc);
    const auto& from = s.to_channels_last ? nchw : nhwc;
    const auto& to = s.to_channels_last ? nhwc : nchw;
    Entry e{s,
            BoundPrimitive(dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), to)),
                           serial)};
    e.prim.bind(DNNL_ARG_FROM, from);
    e.prim.bind(DNNL_ARG_TO, to);
    cache_.push_back(std::move(e));
    it = cache_.end() - 1;
  }
  it->prim.set(0, src);
  it->prim.set(1, dst);
  it->prim.run();
}

}  // namespace soma::kernels

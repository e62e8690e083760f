#include "kernels/dnnl_context.hpp"

#include <omp.h>

namespace soma::kernels {

dnnl::engine& cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream s(cpu_engine());
  return s;
}

std::unique_lock<std::recursive_mutex> lock_primitive_creation() {
  static std::recursive_mutex m;
  return std::unique_lock<std::recursive_mutex>(m);
}

size_t BoundPrimitive::bind(int arg, const dnnl::memory::desc& md) {
  mems_.emplace_back(md, cpu_engine(), nullptr);
  args_.push_back({arg, nullptr});
  // memory handles are stable once created; refresh all pointers because emplace_back may move them.
  for (size_t i = 0; i < mems_.size(); ++i) args_[i].memory = mems_[i].get();
  return mems_.size() - 1;
}

SerialScope::SerialScope(bool serial) {
  if (serial) {
    previous_ = omp_get_max_threads();
    omp_set_num_threads(1);
  }
}

SerialScope::~SerialScope() {
  if (previous_ > 0) omp_set_num_threads(previous_);
}

void BoundPrimitive::run() {
  const SerialScope scope(serial_);
  dnnl::error::wrap_c_api(
      dnnl_primitive_execute(prim_.get(), cpu_stream().get(), static_cast<int>(args_.size()), args_.data()),
      "could not execute a primitive");
}

}  // namespace soma::kernels

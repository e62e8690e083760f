#pragma once
// The process-wide oneDNN engine and stream, and executing a primitive without heap allocation.
#include <dnnl.hpp>
#include <vector>

namespace soma::kernels {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

// A primitive with its memory objects bound once; run() only swaps data pointers. The C API call avoids
// the per-call argument map the C++ wrapper builds.
class BoundPrimitive {
 public:
  BoundPrimitive() = default;
  explicit BoundPrimitive(dnnl::primitive p) : prim_(std::move(p)) {}
  // Registers an argument and returns its index for set().
  size_t bind(int arg, const dnnl::memory::desc& md);
  void set(size_t index, const void* data) { mems_[index].set_data_handle(const_cast<void*>(data)); }
  void run();

 private:
  dnnl::primitive prim_;
  std::vector<dnnl::memory> mems_;
  std::vector<dnnl_exec_arg_t> args_;
};

}  // namespace soma::kernels

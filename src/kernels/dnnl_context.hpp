#pragma once
// The process-wide oneDNN engine and stream, and executing a primitive without heap allocation.
#include <dnnl.hpp>
#include <mutex>
#include <vector>

namespace soma::kernels {

dnnl::engine& cpu_engine();
// One stream per thread: threads executing primitives at once (concurrent predict calls) share none.
dnnl::stream& cpu_stream();

// Held while a kernel creates its primitives (on a kernel cache miss, once per shape). oneDNN's
// process-wide primitive cache is thread-safe, but its synchronisation is invisible to ThreadSanitizer
// (libdnnl is not instrumented); creating under one lock orders it for the checker and costs nothing in
// the steady state, where every kernel finds its primitive in its own cache. Recursive: a creation may
// need another kernel's primitive.
std::unique_lock<std::recursive_mutex> lock_primitive_creation();

// Work below these sizes runs on the calling thread alone. Waking the second core costs tens of
// microseconds on a virtual machine (measured: the 784-32-10 workload trains 3.7x faster serial than with
// two threads once the host has descheduled the idle vCPU), more than such a kernel takes by itself.
constexpr int64_t kSerialMacs = int64_t{1} << 22;      // matmul: m * n * k
constexpr int64_t kSerialElements = int64_t{1} << 17;  // element-wise and row-wise kernels

// Limits the OpenMP threads of the calling thread while it lives (oneDNN plans its threads when a
// primitive is created and forks when it runs, so both happen inside one). `serial` false: no change.
class SerialScope {
 public:
  explicit SerialScope(bool serial);
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  int previous_ = 0;
};

// A primitive with its memory objects bound once; run() only swaps data pointers. The C API call avoids
// the per-call argument map the C++ wrapper builds. A serial primitive is created and run on one thread.
class BoundPrimitive {
 public:
  BoundPrimitive() = default;
  explicit BoundPrimitive(dnnl::primitive p, bool serial = false) : prim_(std::move(p)), serial_(serial) {}
  // Registers an argument and returns its index for set().
  size_t bind(int arg, const dnnl::memory::desc& md);
  void set(size_t index, const void* data) { mems_[index].set_data_handle(const_cast<void*>(data)); }
  void run();

 private:
  dnnl::primitive prim_;
  bool serial_ = false;
  std::vector<dnnl::memory> mems_;
  std::vector<dnnl_exec_arg_t> args_;
};

}  // namespace soma::kernels

// Replaces the allocation functions of every test binary to count heap allocations while a test asks
// (see allocation_counter.hpp). Its own file, so the compiler never inlines the replaced operators into
// callers (GCC would then flag new/free pairs as mismatched).
//
// Counted: operator new, and, outside sanitizer builds (whose runtime owns them), malloc, calloc, realloc,
// aligned_alloc and posix_memalign, which Tensor storage and oneDNN use. Allocations made while oneDNN's
// dnnl_primitive_execute runs are counted apart: oneDNN 2.6 builds a hash map of the arguments on every
// execution, which its public API offers no way around.
#include "support/allocation_counter.hpp"

#include <dlfcn.h>
#include <dnnl.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace soma::testing {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};
std::atomic<long> g_onednn_allocations{0};
std::atomic<int> g_inside_onednn{0};
}  // namespace soma::testing

namespace {
void count() {
  using namespace soma::testing;
  if (!g_count_allocations.load(std::memory_order_relaxed)) return;
  (g_inside_onednn.load(std::memory_order_relaxed) > 0 ? g_onednn_allocations : g_allocations)
      .fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SOMA_RAW_MALLOC std::malloc
#else
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);

void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t align, size_t n) {
  count();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) {
  count();
  *out = __libc_memalign(align, n);
  return *out ? 0 : 12;  // ENOMEM
}
}
#define SOMA_RAW_MALLOC __libc_malloc
#endif

// Marks the time spent inside oneDNN's execute so its own allocations are counted apart.
extern "C" dnnl_status_t dnnl_primitive_execute(const_dnnl_primitive_t primitive, dnnl_stream_t stream,
                                                int nargs, const dnnl_exec_arg_t* args) {
  using Execute = dnnl_status_t (*)(const_dnnl_primitive_t, dnnl_stream_t, int, const dnnl_exec_arg_t*);
  static const auto real = reinterpret_cast<Execute>(dlsym(RTLD_NEXT, "dnnl_primitive_execute"));
  soma::testing::g_inside_onednn.fetch_add(1);
  const dnnl_status_t status = real(primitive, stream, nargs, args);
  soma::testing::g_inside_onednn.fetch_sub(1);
  return status;
}

void* operator new(std::size_t n) {
  count();
  if (void* p = SOMA_RAW_MALLOC(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

#pragma once
// Counting heap allocations in a stretch of code: every test binary links support/allocation_counter.cpp,
// whose replacement allocation functions count while asked to (see there for what is counted).
#include <atomic>

namespace soma::testing {

extern std::atomic<bool> g_count_allocations;
extern std::atomic<long> g_allocations;         // by soma (and the standard library on its behalf)
extern std::atomic<long> g_onednn_allocations;  // inside oneDNN's dnnl_primitive_execute

struct AllocationCount {
  long soma = 0;
  long onednn = 0;
};

// The heap allocations fn makes.
template <class F>
AllocationCount count_allocations(F&& fn) {
  g_allocations = 0;
  g_onednn_allocations = 0;
  g_count_allocations = true;
  fn();
  g_count_allocations = false;
  return {g_allocations.load(), g_onednn_allocations.load()};
}

// Whether malloc and friends are counted too (not under AddressSanitizer or ThreadSanitizer, whose
// runtimes own them).
constexpr bool kCountsMalloc =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    false;
#else
    true;
#endif

}  // namespace soma::testing

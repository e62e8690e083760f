// Replaces the global operator new/delete of the test_optimizers binary to count allocations while a test
// asks for it (see SteadyStateUpdateDoesNotAllocate). Its own file, so that the compiler never inlines the
// replaced operators into callers (GCC would then flag new/free pairs as mismatched).
#include <atomic>
#include <cstdlib>
#include <new>

namespace soma::testing {
std::atomic<bool> g_count_allocations{false};
std::atomic<long> g_allocations{0};
}  // namespace soma::testing

void* operator new(std::size_t n) {
  if (soma::testing::g_count_allocations.load(std::memory_order_relaxed))
    soma::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
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

#include "kernels/denormals.hpp"

#include <immintrin.h>

#include <mutex>

namespace soma::kernels {

namespace {
void set_this_thread() {
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
}
}  // namespace

void flush_denormals() {
  set_this_thread();  // a few cycles; callers may come from any thread
  static std::once_flag workers;
  std::call_once(workers, [] {
  // The OpenMP pool persists, so each worker keeps the mode once set.
#pragma omp parallel
    set_this_thread();
  });
}

}  // namespace soma::kernels

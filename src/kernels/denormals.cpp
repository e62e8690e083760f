#include "kernels/denormals.hpp"

#include <immintrin.h>

#include <mutex>

namespace soma::kernels {

namespace {
constexpr unsigned kFlushBits = _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON;

void set_this_thread() {
  _mm_setcsr(_mm_getcsr() | kFlushBits);
}
}  // namespace

DenormalsOff::DenormalsOff() : saved_(_mm_getcsr() & kFlushBits) {
  static std::once_flag workers;
  std::call_once(workers, [] {
  // The OpenMP pool persists, so each worker keeps the mode once set. The calling thread takes part in
  // the region too; its mode is put back below like every other call's.
#pragma omp parallel
    set_this_thread();
  });
  set_this_thread();  // a few cycles; callers may come from any thread
}

DenormalsOff::~DenormalsOff() {
  _mm_setcsr((_mm_getcsr() & ~kFlushBits) | saved_);
}

}  // namespace soma::kernels

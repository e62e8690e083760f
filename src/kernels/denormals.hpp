#pragma once
// Flush-to-zero and denormals-are-zero while soma computes, as TensorFlow runs its kernels. Without it,
// momentum velocities of weights that see only zero inputs (MNIST's border pixels) decay into denormal
// floats, and every operation on them costs ~100 cycles: the 784-32-10 workload spent a third of its time
// in SGD's update loop for that reason alone.
namespace soma::kernels {

// Sets FTZ/DAZ on the calling thread for its lifetime and gives the caller its own mode back on
// destruction: the library must not change its caller's floating-point environment. soma's OpenMP
// workers get the mode once and keep it (they only ever run soma's kernels).
class DenormalsOff {
 public:
  DenormalsOff();
  ~DenormalsOff();
  DenormalsOff(const DenormalsOff&) = delete;
  DenormalsOff& operator=(const DenormalsOff&) = delete;

 private:
  unsigned saved_;
};

}  // namespace soma::kernels

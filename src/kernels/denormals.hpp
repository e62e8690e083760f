#pragma once
// Flush-to-zero and denormals-are-zero for the calling thread and OpenMP's workers, as TensorFlow runs
// its kernels. Without it, momentum velocities of weights that see only zero inputs (MNIST's border pixels)
// decay into denormal floats, and every operation on them costs ~100 cycles: the 784-32-10 workload spent
// a third of its time in SGD's update loop for that reason alone.
namespace soma::kernels {

void flush_denormals();

}  // namespace soma::kernels

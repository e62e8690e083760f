#pragma once
// keras.mixed_precision: the dtype policy layers are created with.
//   soma::mixed_precision::set_global_policy("mixed_bfloat16");   // layers created from now on
//   L::Dense({.units = 10, .dtype = "float32"})                     // or per layer
// "mixed_bfloat16" runs the matmuls of Dense layers with bfloat16 operands and float32 accumulation
// (the CPU's AVX-512 BF16 instructions do twice the float32 work per cycle). Weights, the optimizer, the
// activations between layers, softmax and the losses stay float32, so only the products lose precision.
// See docs/performance.md for what it buys and what it costs in accuracy.
#include <string>

namespace soma::mixed_precision {

enum class Policy { float32, mixed_bfloat16 };

// By Keras name: "float32" or "mixed_bfloat16". "mixed_float16" throws NotImplementedError (no CPU runs
// float16 matmuls fast); other names throw ValueError.
Policy parse(const std::string& name);
const char* name(Policy policy);

void set_global_policy(const std::string& name);
Policy global_policy();

}  // namespace soma::mixed_precision

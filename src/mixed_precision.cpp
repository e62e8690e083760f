#include "soma/mixed_precision.hpp"

#include <atomic>

#include "soma/core/error.hpp"

namespace soma::mixed_precision {

namespace {
std::atomic<Policy> g_policy{Policy::float32};
}

Policy parse(const std::string& n) {
  if (n == "float32") return Policy::float32;
  if (n == "mixed_bfloat16") return Policy::mixed_bfloat16;
  if (n == "mixed_float16" || n == "float16") {
    throw NotImplementedError("mixed_precision: \"" + n +
                              "\" is not supported on the CPU; use \"mixed_bfloat16\".");
  }
  throw ValueError("mixed_precision: unknown policy \"" + n +
                   "\"; known policies are float32, mixed_bfloat16.");
}

const char* name(Policy policy) {
  return policy == Policy::mixed_bfloat16 ? "mixed_bfloat16" : "float32";
}

void set_global_policy(const std::string& n) {
  g_policy = parse(n);
}

Policy global_policy() {
  return g_policy;
}

}  // namespace soma::mixed_precision

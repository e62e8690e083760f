#pragma once
// keras.initializers. By name: glorot_uniform (the Dense/Conv default), glorot_normal, he_uniform,
// he_normal, lecun_uniform, lecun_normal, orthogonal, variance_scaling, random_uniform, random_normal, truncated_normal,
// constant, zeros, ones; or with arguments:
//   L::Dense({.units = 4, .kernel_initializer = soma::initializers::Constant(0.5f)})
//   L::Dense({.units = 4, .kernel_initializer = soma::initializers::RandomNormal({.stddev = 0.1f})})
#include <string>
#include <utility>

#include "soma/core/tensor.hpp"

namespace soma::initializers {

// An initializer as data, so option structs stay copyable and it can be written to a model file: `name`
// is the Keras identifier, the numbers are the Keras arguments; those a kind does not use keep their
// defaults and are ignored (constant reads value; random_normal and truncated_normal mean and stddev;
// random_uniform minval and maxval; orthogonal gain; variance_scaling scale, mode and distribution).
struct Initializer {
  std::string name;
  float value = 0.0f;
  float mean = 0.0f;
  float stddev = 0.05f;
  float minval = -0.05f;
  float maxval = 0.05f;
  float gain = 1.0f;
  // variance_scaling: Keras' VarianceScaling (what Keras 2 files write for glorot_uniform and friends).
  float scale = 1.0f;
  std::string mode = "fan_in";                     // fan_in, fan_out, fan_avg
  std::string distribution = "truncated_normal";  // truncated_normal, untruncated_normal, uniform

  Initializer() = default;
  // By name with Keras' defaults, so `.kernel_initializer = "he_normal"` reads as in Keras.
  Initializer(const char* identifier) : name(identifier) {}             // NOLINT(google-explicit-constructor)
  Initializer(std::string identifier) : name(std::move(identifier)) {}  // NOLINT(google-explicit-constructor)
};

struct RandomNormalOptions {
  float mean = 0.0f;
  float stddev = 0.05f;
};
struct RandomUniformOptions {
  float minval = -0.05f;
  float maxval = 0.05f;
};
struct OrthogonalOptions {
  float gain = 1.0f;
};
struct VarianceScalingOptions {
  float scale = 1.0f;
  std::string mode = "fan_in";
  std::string distribution = "truncated_normal";
};

// Keras' initializer classes, with Keras' defaults; bad arguments throw ValueError.
Initializer Constant(float value = 0.0f);
Initializer Zeros();
Initializer Ones();
Initializer RandomNormal(RandomNormalOptions options = {});
Initializer RandomUniform(RandomUniformOptions options = {});
// A normal redrawn beyond two standard deviations from the mean.
Initializer TruncatedNormal(RandomNormalOptions options = {});
Initializer Orthogonal(OrthogonalOptions options = {});
Initializer GlorotUniform();
Initializer GlorotNormal();
Initializer HeUniform();
Initializer HeNormal();
Initializer LecunUniform();
Initializer LecunNormal();
// scale / fan, drawn uniform or (truncated) normal; distribution "normal" means truncated_normal, as in Keras.
Initializer VarianceScaling(VarianceScalingOptions options = {});

// Fills `t` in place; fans are computed from its shape as Keras does (the last two axes are in/out,
// leading axes are the receptive field). Unknown names and bad arguments throw ValueError.
void initialize(const Initializer& init, Tensor& t);
// Throws ValueError for an unknown name or bad arguments without touching any tensor (layers check at
// construction).
void check_name(const Initializer& init);

}  // namespace soma::initializers

#include "soma/layers/initializers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "soma/core/random.hpp"

namespace soma::initializers {

namespace {
// Floats in messages as the user wrote them: 0.1, not 0.100000.
std::string number(float v) {
  return fmt::format("{}", v);
}

struct Fans {
  double in, out;
};
Fans fans_of(const Shape& s) {
  if (s.rank() == 0) return {1, 1};
  if (s.rank() == 1) return {static_cast<double>(s[0]), static_cast<double>(s[0])};
  double receptive = 1;
  for (int i = 0; i < s.rank() - 2; ++i) receptive *= static_cast<double>(s[i]);
  return {static_cast<double>(s[-2]) * receptive, static_cast<double>(s[-1]) * receptive};
}

// Keras' variance scaling; truncated normals are widened by this constant so the variance is right.
constexpr double kTruncatedStddev = 0.87962566103423978;

template <class Fn>
void fill_with(Tensor& t, Fn fn) {
  float* p = t.f32();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = fn();
}

void variance_scaling(Tensor& t, double scale, double fan, bool uniform, bool truncated = true) {
  const double variance = scale / std::max(1.0, fan);
  if (uniform) {
    const auto limit = static_cast<float>(std::sqrt(3.0 * variance));
    fill_with(t, [&] { return random::uniform(-limit, limit); });
  } else if (!truncated) {
    const auto stddev = static_cast<float>(std::sqrt(variance));
    fill_with(t, [&] { return random::normal(0.0f, stddev); });
  } else {
    const auto stddev = static_cast<float>(std::sqrt(variance) / kTruncatedStddev);
    fill_with(t, [&] { return random::truncated_normal(0.0f, stddev); });
  }
}

// Keras' Orthogonal: gain times a normal matrix of (prod(shape[:-1]), shape[-1]) orthonormalised; rows when
// there are fewer rows than columns. Modified Gram-Schmidt in double, which for these sizes is as good as QR.
void orthogonal(Tensor& t, float gain) {
  const int64_t cols = t.rank() ? t.dim(-1) : 1, rows = t.numel() / std::max<int64_t>(cols, 1);
  const bool by_rows = rows < cols;  // orthonormalise the shorter side's vectors
  const int64_t count = by_rows ? rows : cols, length = by_rows ? cols : rows;
  std::vector<double> v(static_cast<size_t>(count * length));
  for (auto& x : v) x = random::normal(0.0f, 1.0f);
  for (int64_t a = 0; a < count; ++a) {
    double* va = v.data() + a * length;
    for (int64_t b = 0; b < a; ++b) {
      const double* vb = v.data() + b * length;
      double dot = 0;
      for (int64_t k = 0; k < length; ++k) dot += va[k] * vb[k];
      for (int64_t k = 0; k < length; ++k) va[k] -= dot * vb[k];
    }
    double norm = 0;
    for (int64_t k = 0; k < length; ++k) norm += va[k] * va[k];
    norm = std::sqrt(norm);
    for (int64_t k = 0; k < length; ++k) va[k] /= norm;
  }
  float* p = t.f32();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      p[r * cols + c] = gain * static_cast<float>(by_rows ? v[r * length + c] : v[c * length + r]);
}

constexpr const char* kNames =
    "glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, orthogonal, "
    "random_uniform, random_normal, truncated_normal, constant, zeros, ones";

Initializer checked(Initializer init) {
  check_name(init);
  return init;
}
}  // namespace

void check_name(const Initializer& init) {
  static const char* known[] = {"glorot_uniform",   "glorot_normal", "he_uniform",     "he_normal",
                                "lecun_uniform",    "lecun_normal",  "random_uniform", "random_normal",
                                "truncated_normal", "constant",      "zeros",          "ones",
                                "orthogonal",       "variance_scaling"};
  const std::string& name = init.name;
  if (std::none_of(std::begin(known), std::end(known), [&](const char* k) { return name == k; })) {
    throw ValueError("initializers: unknown initializer \"" + name + "\"; known initializers are " + kNames +
                     ".");
  }
  if ((name == "random_normal" || name == "truncated_normal") && !(init.stddev >= 0.0f)) {
    throw ValueError("initializers: " + name + " stddev must be >= 0, received " + number(init.stddev) + ".");
  }
  if (name == "variance_scaling") {
    if (!(init.scale > 0.0f))
      throw ValueError("initializers: variance_scaling scale must be > 0, received " + number(init.scale) + ".");
    if (init.mode != "fan_in" && init.mode != "fan_out" && init.mode != "fan_avg") {
      throw ValueError("initializers: variance_scaling mode must be fan_in, fan_out or fan_avg, received \"" +
                       init.mode + "\".");
    }
    if (init.distribution != "truncated_normal" && init.distribution != "untruncated_normal" &&
        init.distribution != "uniform" && init.distribution != "normal") {
      throw ValueError(
          "initializers: variance_scaling distribution must be truncated_normal, untruncated_normal or uniform, "
          "received \"" + init.distribution + "\".");
    }
  }
  if (name == "random_uniform" && !(init.minval <= init.maxval)) {
    throw ValueError("initializers: random_uniform needs minval <= maxval, received minval " +
                     number(init.minval) + " and maxval " + number(init.maxval) + ".");
  }
}

void initialize(const Initializer& init, Tensor& t) {
  check_name(init);
  const std::string& name = init.name;
  const Fans f = fans_of(t.shape());
  if (name == "glorot_uniform") return variance_scaling(t, 1.0, (f.in + f.out) / 2, true);
  if (name == "glorot_normal") return variance_scaling(t, 1.0, (f.in + f.out) / 2, false);
  if (name == "he_uniform") return variance_scaling(t, 2.0, f.in, true);
  if (name == "he_normal") return variance_scaling(t, 2.0, f.in, false);
  if (name == "lecun_uniform") return variance_scaling(t, 1.0, f.in, true);
  if (name == "lecun_normal") return variance_scaling(t, 1.0, f.in, false);
  if (name == "variance_scaling") {
    const double fan = init.mode == "fan_in" ? f.in : init.mode == "fan_out" ? f.out : (f.in + f.out) / 2;
    return variance_scaling(t, init.scale, fan, init.distribution == "uniform",
                            init.distribution != "untruncated_normal");
  }
  const float a = init.minval, b = init.maxval, mean = init.mean, sd = init.stddev;
  if (name == "random_uniform") return fill_with(t, [&] { return random::uniform(a, b); });
  if (name == "random_normal") return fill_with(t, [&] { return random::normal(mean, sd); });
  if (name == "truncated_normal") return fill_with(t, [&] { return random::truncated_normal(mean, sd); });
  if (name == "orthogonal") return orthogonal(t, init.gain);
  t.fill(name == "ones" ? 1.0f : name == "constant" ? init.value : 0.0f);
}

Initializer VarianceScaling(VarianceScalingOptions options) {
  Initializer i("variance_scaling");
  i.scale = options.scale;
  i.mode = options.mode;
  i.distribution = options.distribution == "normal" ? "truncated_normal" : options.distribution;
  return checked(i);
}

Initializer Constant(float value) {
  Initializer i("constant");
  i.value = value;
  return i;
}
Initializer Zeros() {
  return "zeros";
}
Initializer Ones() {
  return "ones";
}
Initializer RandomNormal(RandomNormalOptions o) {
  Initializer i("random_normal");
  i.mean = o.mean;
  i.stddev = o.stddev;
  return checked(i);
}
Initializer RandomUniform(RandomUniformOptions o) {
  Initializer i("random_uniform");
  i.minval = o.minval;
  i.maxval = o.maxval;
  return checked(i);
}
Initializer TruncatedNormal(RandomNormalOptions o) {
  Initializer i("truncated_normal");
  i.mean = o.mean;
  i.stddev = o.stddev;
  return checked(i);
}
Initializer Orthogonal(OrthogonalOptions o) {
  Initializer i("orthogonal");
  i.gain = o.gain;
  return i;
}
Initializer GlorotUniform() {
  return "glorot_uniform";
}
Initializer GlorotNormal() {
  return "glorot_normal";
}
Initializer HeUniform() {
  return "he_uniform";
}
Initializer HeNormal() {
  return "he_normal";
}
Initializer LecunUniform() {
  return "lecun_uniform";
}
Initializer LecunNormal() {
  return "lecun_normal";
}

}  // namespace soma::initializers

#include "soma/layers/initializers.hpp"

#include <cmath>

#include "soma/core/random.hpp"

namespace soma::initializers {

namespace {
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

void variance_scaling(Tensor& t, double scale, double fan, bool uniform) {
  const double variance = scale / std::max(1.0, fan);
  if (uniform) {
    const auto limit = static_cast<float>(std::sqrt(3.0 * variance));
    fill_with(t, [&] { return random::uniform(-limit, limit); });
  } else {
    const auto stddev = static_cast<float>(std::sqrt(variance) / kTruncatedStddev);
    fill_with(t, [&] { return random::truncated_normal(0.0f, stddev); });
  }
}

constexpr const char* kNames =
    "glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, random_uniform, "
    "random_normal, truncated_normal, zeros, ones";
}  // namespace

void check_name(const std::string& name) {
  static const char* known[] = {
      "glorot_uniform", "glorot_normal", "he_uniform",       "he_normal", "lecun_uniform", "lecun_normal",
      "random_uniform", "random_normal", "truncated_normal", "zeros",     "ones"};
  for (const char* k : known)
    if (name == k) return;
  throw ValueError("initializers: unknown initializer \"" + name + "\"; known initializers are " + kNames +
                   ".");
}

void initialize(const std::string& name, Tensor& t) {
  check_name(name);
  const Fans f = fans_of(t.shape());
  if (name == "glorot_uniform") return variance_scaling(t, 1.0, (f.in + f.out) / 2, true);
  if (name == "glorot_normal") return variance_scaling(t, 1.0, (f.in + f.out) / 2, false);
  if (name == "he_uniform") return variance_scaling(t, 2.0, f.in, true);
  if (name == "he_normal") return variance_scaling(t, 2.0, f.in, false);
  if (name == "lecun_uniform") return variance_scaling(t, 1.0, f.in, true);
  if (name == "lecun_normal") return variance_scaling(t, 1.0, f.in, false);
  // Keras' RandomUniform/RandomNormal/TruncatedNormal defaults.
  if (name == "random_uniform") return fill_with(t, [] { return random::uniform(-0.05f, 0.05f); });
  if (name == "random_normal") return fill_with(t, [] { return random::normal(0.0f, 0.05f); });
  if (name == "truncated_normal") return fill_with(t, [] { return random::truncated_normal(0.0f, 0.05f); });
  t.fill(name == "ones" ? 1.0f : 0.0f);
}

}  // namespace soma::initializers

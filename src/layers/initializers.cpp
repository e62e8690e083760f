#include "soma/layers/initializers.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

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

// Keras' Orthogonal (gain 1): a normal matrix of (prod(shape[:-1]), shape[-1]) orthonormalised; rows when
// there are fewer rows than columns. Modified Gram-Schmidt in double, which for these sizes is as good as QR.
void orthogonal(Tensor& t) {
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
      p[r * cols + c] = static_cast<float>(by_rows ? v[r * length + c] : v[c * length + r]);
}

constexpr const char* kNames =
    "glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, orthogonal, "
    "random_uniform, random_normal, truncated_normal, zeros, ones";
}  // namespace

void check_name(const std::string& name) {
  static const char* known[] = {"glorot_uniform",   "glorot_normal", "he_uniform",     "he_normal",
                                "lecun_uniform",    "lecun_normal",  "random_uniform", "random_normal",
                                "truncated_normal", "zeros",         "ones",           "orthogonal"};
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
  if (name == "orthogonal") return orthogonal(t);
  t.fill(name == "ones" ? 1.0f : 0.0f);
}

}  // namespace soma::initializers

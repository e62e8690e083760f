#pragma once
// exp, sigmoid and tanh written so that GCC vectorises loops over them (std::exp and std::tanh stay scalar
// calls without -ffast-math): the recurrent cells evaluate five of them per unit and step, and as scalar
// calls they took most of an LSTM's time. Accuracy: a few float ulps (tests/kernels/fast_math_test.cpp
// checks against std:: over the whole useful range).
#include <bit>
#include <cstdint>

namespace soma::kernels {

// e^x for x in [-87, 88]; clamped outside (so sigmoid saturates cleanly instead of producing inf/NaN).
inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  // x = n ln2 + r with |r| <= ln2 / 2; e^r by a degree-6 polynomial; 2^n through the exponent bits.
  // Adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits: no float->int conversion or
  // floor call, which would keep GCC from vectorising.
  constexpr float kShift = 12582912.0f;
  const float shifted = x * 1.44269504088896341f + kShift;
  const float n = shifted - kShift;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t ni = std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kShift);
  return p * std::bit_cast<float>(static_cast<uint32_t>(ni + 127) << 23);
}

inline float fast_sigmoid(float x) {
  return 1.0f / (1.0f + fast_exp(-x));
}

// tanh(x) = sign(x) (1 - e^(-2|x|)) / (1 + e^(-2|x|)); near 0, where that cancels, its Taylor series.
inline float fast_tanh(float x) {
  const float a = x < 0.0f ? -x : x;
  const float e = fast_exp(-2.0f * a);
  const float big = (1.0f - e) / (1.0f + e);
  const float x2 = a * a;
  const float small = a * (1.0f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * -0.0539682540f)));
  const float t = a < 0.0625f ? small : big;
  return x < 0.0f ? -t : t;
}

}  // namespace soma::kernels

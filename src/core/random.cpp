#include "soma/core/random.hpp"

#include <cmath>
#include <numbers>
#include <sstream>
#include <utility>

#include "soma/core/error.hpp"

namespace soma {

namespace {
std::mt19937_64& global_engine() {
  static std::mt19937_64 e(1337);
  return e;
}
}  // namespace

void set_seed(uint64_t seed) {
  global_engine().seed(seed);
}

namespace random {

std::mt19937_64& engine() {
  return global_engine();
}

double uniform01() {
  return static_cast<double>(engine()() >> 11) * 0x1.0p-53;
}

float uniform(float low, float high) {
  return low + static_cast<float>(uniform01()) * (high - low);
}

float normal(float mean, float stddev) {
  // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
  const double u1 = 1.0 - uniform01();
  const double u2 = uniform01();
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  return mean + stddev * static_cast<float>(z);
}

float truncated_normal(float mean, float stddev) {
  for (;;) {
    const float v = normal(0.0f, 1.0f);
    if (std::fabs(v) <= 2.0f) return mean + stddev * v;
  }
}

uint64_t below(uint64_t n) {
  if (n == 0) throw ValueError("random::below: the bound must be positive, received 0.");
  // Rejection sampling avoids modulo bias.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do v = engine()();
  while (v >= limit);
  return v % n;
}

void shuffle(std::span<int64_t> values) {
  for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[below(i)]);
}

std::string state() {
  std::ostringstream out;
  out << engine();
  return out.str();
}

void set_state(const std::string& text) {
  std::istringstream in(text);
  std::mt19937_64 restored;
  in >> restored;
  if (in.fail() || !(in >> std::ws).eof()) {
    throw ValueError("random::set_state: the text is not a saved generator state.");
  }
  engine() = restored;
}

}  // namespace random
}  // namespace soma

#pragma once
// One seeded generator for the whole library: set_seed(n) makes initialisation, shuffling and dropout
// reproducible. The distributions are our own so results do not depend on the standard library.
#include <cstdint>
#include <random>
#include <span>

namespace soma {

void set_seed(uint64_t seed);

namespace random {

std::mt19937_64& engine();
// Uniform in [0, 1).
double uniform01();
float uniform(float low, float high);
float normal(float mean, float stddev);
// Normal, redrawn while more than two standard deviations from the mean (Keras truncated_normal).
float truncated_normal(float mean, float stddev);
// Uniform integer in [0, n).
uint64_t below(uint64_t n);
void shuffle(std::span<int64_t> values);

}  // namespace random
}  // namespace soma

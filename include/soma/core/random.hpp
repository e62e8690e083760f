#pragma once
// One seeded generator for the whole library: set_seed(n) makes initialisation, shuffling and dropout
// reproducible. The distributions are our own so results do not depend on the standard library.
#include <cstdint>
#include <random>
#include <span>
#include <string>

namespace soma {

void set_seed(uint64_t seed);

namespace random {

std::mt19937_64& engine();
// The generator's whole state as text, and back: model files keep it so that a resumed training draws
// the same shuffles and dropout masks as an uninterrupted one. set_state throws ValueError for text that
// is not such a state, leaving the generator as it was.
std::string state();
void set_state(const std::string& text);
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

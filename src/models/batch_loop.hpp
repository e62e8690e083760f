#pragma once
// Walking a data set in batches, shared by fit, evaluate and predict.
#include <cstdint>
#include <string>

#include "soma/core/error.hpp"

namespace soma::models {

inline void check_batch_size(int64_t batch_size, const std::string& who) {
  if (batch_size <= 0) {
    throw ValueError(who + ": batch_size must be a positive integer, received " + std::to_string(batch_size) +
                     ".");
  }
}

inline int64_t batch_count(int64_t n, int64_t batch_size) {
  return (n + batch_size - 1) / batch_size;
}

// Calls fn(begin, end) for consecutive batches of [0, n); the last one may be smaller.
template <class Fn>
void for_each_batch(int64_t n, int64_t batch_size, Fn&& fn) {
  for (int64_t begin = 0; begin < n; begin += batch_size) fn(begin, std::min(n, begin + batch_size));
}

}  // namespace soma::models

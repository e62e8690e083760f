#pragma once
// Walking a data set in batches, shared by fit, evaluate and predict.
#include <algorithm>
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

// Written so that no sum can overflow, whatever batch_size (up to INT64_MAX) the caller passed.
inline int64_t batch_count(int64_t n, int64_t batch_size) {
  return n / batch_size + (n % batch_size != 0);
}

// Calls fn(begin, end) for consecutive batches of [0, n); the last one may be smaller.
template <class Fn>
void for_each_batch(int64_t n, int64_t batch_size, Fn&& fn) {
  for (int64_t begin = 0; begin < n;) {
    const int64_t end = begin + std::min(batch_size, n - begin);
    fn(begin, end);
    begin = end;
  }
}

}  // namespace soma::models

#pragma once
// Keras' "an integer or a tuple of 2 integers" arguments (kernel_size, strides, pool_size, dilation_rate)
// and the padding name, checked with messages that name the layer.
#include <array>
#include <string>
#include <vector>

#include "soma/core/error.hpp"

namespace soma::layers::detail {

// {k} -> {k, k}; {a, b} -> {a, b}. Every entry must be >= 1.
inline std::array<int64_t, 2> pair_arg(const std::vector<int64_t>& v, const std::string& who,
                                       const char* arg) {
  if (v.empty() || v.size() > 2) {
    throw ValueError(who + ": " + arg + " must have 1 or 2 entries, received " + std::to_string(v.size()) +
                     ".");
  }
  for (int64_t x : v) {
    if (x < 1)
      throw ValueError(who + ": " + arg + " entries must be positive integers, received " +
                       std::to_string(x) + ".");
  }
  return {v[0], v.size() == 2 ? v[1] : v[0]};
}

// One entry (1-D layers).
inline int64_t single_arg(const std::vector<int64_t>& v, const std::string& who, const char* arg) {
  if (v.size() != 1)
    throw ValueError(who + ": " + arg + " must have 1 entry, received " + std::to_string(v.size()) + ".");
  if (v[0] < 1)
    throw ValueError(who + ": " + arg + " must be a positive integer, received " + std::to_string(v[0]) +
                     ".");
  return v[0];
}

// "valid" -> false, "same" -> true.
inline bool same_padding(const std::string& padding, const std::string& who) {
  if (padding == "valid") return false;
  if (padding == "same") return true;
  if (padding == "causal")
    throw ValueError(who + ": padding \"causal\" is for 1-D convolutions only; use \"valid\" or \"same\".");
  throw ValueError(who + ": padding must be \"valid\" or \"same\", received \"" + padding + "\".");
}

// "channels_last" -> false, "channels_first" -> true.
inline bool channels_first(const std::string& data_format, const std::string& who) {
  if (data_format == "channels_last") return false;
  if (data_format == "channels_first") return true;
  throw ValueError(who + ": data_format must be \"channels_last\" or \"channels_first\", received \"" +
                   data_format + "\".");
}

}  // namespace soma::layers::detail

#pragma once
// soma's configs may keep a one-element list where an N-d layer means the same number on every axis
// (Conv2DTranspose's default dilation_rate [1]) and an empty list for "none" (output_padding []); Keras
// and tfjs want N numbers and null. Both exporters write them so.
#include <nlohmann/json.hpp>

#include <string>

#include "soma/core/config.hpp"

namespace soma::io::keras {

inline int spatial_rank(const std::string& cls) {
  for (int n : {1, 2, 3}) {
    if (cls.ends_with(std::to_string(n) + "D") || cls.ends_with(std::to_string(n) + "DTranspose")) return n;
  }
  return 0;
}

inline void expand_tuples(const std::string& cls, Config& c) {
  const int n = spatial_rank(cls);
  if (n == 0) return;
  for (const char* key : {"kernel_size", "strides", "dilation_rate", "pool_size", "size", "output_padding"}) {
    if (!c.contains(key) || !c[key].is_array()) continue;
    if (c[key].empty()) {
      c[key] = nullptr;
    } else if (c[key].size() == 1 && n > 1) {
      const Config v = c[key][0];
      c[key] = Config::array();
      for (int i = 0; i < n; ++i) c[key].push_back(v);
    }
  }
}

}  // namespace soma::io::keras

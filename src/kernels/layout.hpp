#pragma once
// Channels-first <-> channels-last copies of a 4-D tensor, (N, C, H, W) <-> (N, H, W, C), on oneDNN's
// reorder (cached per shape and direction).
#include <cstdint>
#include <vector>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

struct LayoutSpec {
  int64_t n = 0, c = 0, h = 0, w = 0;
  bool to_channels_last = true;  // nchw -> nhwc; false: nhwc -> nchw
  bool operator==(const LayoutSpec&) const = default;
};

class LayoutReorder {
 public:
  void run(const LayoutSpec& spec, const float* src, float* dst);

 private:
  struct Entry {
    LayoutSpec spec;
    BoundPrimitive prim;
  };
  std::vector<Entry> cache_;
};

}  // namespace soma::kernels

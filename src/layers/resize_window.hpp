#pragma once
// The window of an h x w image that Keras resizes to th x tw (keras/src/backend/tensorflow/image.py
// resize, and image_utils.smart_resize): the whole image; the largest centred window of the target's
// aspect ratio (crop); or the smallest canvas of that ratio with the image centred (pad). Sizes are
// computed in float and truncated, as Keras does. Resizing, CenterCrop and RandomCrop use it.
#include <algorithm>
#include <cstdint>

#include "soma/autograd/ops/resize_op.hpp"

namespace soma::layers::detail {

inline autograd::ResizeParams aspect_window(int64_t h, int64_t w, int64_t th, int64_t tw, bool crop, bool pad) {
  auto ratio = [](int64_t a, int64_t b, int64_t c) {
    return static_cast<int64_t>(static_cast<float>(a * b) / static_cast<float>(c));
  };
  autograd::ResizeParams p{.out_height = th, .out_width = tw};
  if (crop) {
    p.rows = std::max<int64_t>(std::min(h, ratio(w, th, tw)), 1);
    p.cols = std::max<int64_t>(std::min(w, ratio(h, tw, th)), 1);
    p.top = (h - p.rows) / 2;
    p.left = (w - p.cols) / 2;
  } else if (pad) {
    p.rows = std::max(h, ratio(w, th, tw));
    p.cols = std::max(w, ratio(h, tw, th));
    p.top = -((p.rows - h) / 2);
    p.left = -((p.cols - w) / 2);
  }
  return p;
}

}  // namespace soma::layers::detail

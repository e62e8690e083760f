#pragma once
// Pictures of what a model holds and sees (docs/visualization.md): many small float images (filters,
// feature maps, saliency maps) tiled into one uint8 picture that data::save_image writes as PNG.
//   Tensor maps = model.layer_outputs(x)[0];                       // (1, 26, 26, 32)
//   data::save_image("maps.png", visualization::tile_images(visualization::channels_first(maps)));
#include <cstdint>

#include "soma/core/tensor.hpp"

namespace soma::visualization {

struct TileOptions {
  int64_t columns = 0;         // 0: about the square root of the count
  int64_t padding = 1;         // pixels between tiles (drawn black)
  int64_t scale = 1;           // each pixel drawn as scale x scale
  bool normalize_each = true;  // stretch each image to 0..255 by its own min and max (else the set's)
};

// float32 (n, h, w) or (n, h, w, c) with c = 1 or 3 -> uint8 (H, W, c). A constant image becomes black.
// Throws ShapeError for other shapes, ValueError for bad options or non-finite values.
Tensor tile_images(const Tensor& images, const TileOptions& options = {});

// (h, w, c) or (1, h, w, c) -> (c, h, w): one image per channel (feature maps); and a Conv2D kernel
// (kh, kw, in, filters) -> (filters * in, kh, kw): one image per filter and input channel.
Tensor channels_first(const Tensor& maps);
Tensor conv_filters(const Tensor& kernel);

}  // namespace soma::visualization

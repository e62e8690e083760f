#include "soma/visualization.hpp"

#include <algorithm>
#include <cmath>

#include "soma/core/error.hpp"

namespace soma::visualization {

Tensor tile_images(const Tensor& images_in, const TileOptions& o) {
  const int rank = images_in.rank();
  if ((rank != 3 && rank != 4) || (rank == 4 && images_in.dim(3) != 1 && images_in.dim(3) != 3) ||
      images_in.numel() == 0) {
    throw ShapeError("tile_images: expected (n, h, w) or (n, h, w, 1 or 3) images, received " +
                     images_in.shape().str() + ".");
  }
  if (o.columns < 0 || o.padding < 0 || o.scale < 1 || o.scale > 64 || o.padding > 64) {
    throw ValueError("tile_images: expected columns >= 0, padding in [0, 64] and scale in [1, 64].");
  }
  const Tensor images =
      images_in.dtype() == DType::float32 ? images_in.clone() : images_in.astype(DType::float32);
  const int64_t n = images.dim(0), h = images.dim(1), w = images.dim(2), c = rank == 4 ? images.dim(3) : 1;
  const int64_t per = h * w * c;
  const float* p = images.f32();
  for (int64_t i = 0; i < images.numel(); ++i) {
    if (!std::isfinite(p[i])) throw ValueError("tile_images: the images hold NaN or infinite values.");
  }
  const int64_t cols =
      o.columns > 0 ? o.columns : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int64_t rows = (n + cols - 1) / cols;
  const int64_t th = h * o.scale, tw = w * o.scale;
  const int64_t height = rows * th + (rows - 1) * o.padding, width = cols * tw + (cols - 1) * o.padding;
  Tensor out = Tensor::zeros({height, width, c}, DType::uint8);
  uint8_t* dst = out.data<uint8_t>();
  const auto [set_lo, set_hi] = std::minmax_element(p, p + images.numel());
  for (int64_t k = 0; k < n; ++k) {
    const float* img = p + k * per;
    float lo = *set_lo, hi = *set_hi;
    if (o.normalize_each) {
      const auto [a, b] = std::minmax_element(img, img + per);
      lo = *a;
      hi = *b;
    }
    const float range = hi - lo;
    const int64_t top = (k / cols) * (th + o.padding), left = (k % cols) * (tw + o.padding);
    for (int64_t y = 0; y < th; ++y) {
      for (int64_t x = 0; x < tw; ++x) {
        for (int64_t ch = 0; ch < c; ++ch) {
          const float v = img[((y / o.scale) * w + x / o.scale) * c + ch];
          const float unit = range > 0.0f ? (v - lo) / range : 0.0f;
          dst[((top + y) * width + left + x) * c + ch] = static_cast<uint8_t>(std::lround(unit * 255.0f));
        }
      }
    }
  }
  return out;
}

Tensor channels_first(const Tensor& maps_in) {
  if (!(maps_in.rank() == 3 || (maps_in.rank() == 4 && maps_in.dim(0) == 1))) {
    throw ShapeError("channels_first: expected (h, w, c) or (1, h, w, c) feature maps, received " +
                     maps_in.shape().str() + ".");
  }
  const Tensor maps = maps_in.astype(DType::float32);
  const int64_t h = maps.dim(-3), w = maps.dim(-2), c = maps.dim(-1);
  Tensor out = Tensor::empty({c, h, w});
  const float* s = maps.f32();
  float* d = out.f32();
  for (int64_t i = 0; i < h * w; ++i)
    for (int64_t ch = 0; ch < c; ++ch) d[ch * h * w + i] = s[i * c + ch];
  return out;
}

Tensor conv_filters(const Tensor& kernel_in) {
  if (kernel_in.rank() != 4) {
    throw ShapeError("conv_filters: expected a Conv2D kernel (kh, kw, in, filters), received " +
                     kernel_in.shape().str() + ".");
  }
  const Tensor kernel = kernel_in.astype(DType::float32);
  const int64_t kh = kernel.dim(0), kw = kernel.dim(1), in = kernel.dim(2), f = kernel.dim(3);
  Tensor out = Tensor::empty({f * in, kh, kw});
  const float* s = kernel.f32();
  float* d = out.f32();
  for (int64_t y = 0; y < kh; ++y)
    for (int64_t x = 0; x < kw; ++x)
      for (int64_t i = 0; i < in; ++i)
        for (int64_t j = 0; j < f; ++j)
          d[((j * in + i) * kh + y) * kw + x] = s[((y * kw + x) * in + i) * f + j];
  return out;
}

}  // namespace soma::visualization

#include "kernels/affine_transform.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

namespace {
// TensorFlow's map_coordinate for each fill mode (image_ops.h), on continuous coordinates.
double map_coordinate(double in, int64_t len, FillMode mode) {
  const double n = static_cast<double>(len);
  switch (mode) {
    case FillMode::reflect:  // (d c b a | a b c d | d c b a)
      if (in < 0) {
        if (len <= 1) return 0;
        const double sz2 = 2 * n;
        in = sz2 * std::trunc(-in / sz2) + in;
        in = in < -n ? in + sz2 : -in - 1;
      } else if (in > n - 1) {
        if (len <= 1) return 0;
        const double sz2 = 2 * n;
        in -= sz2 * std::trunc(in / sz2);
        if (in >= n) in = sz2 - in - 1;
      }
      return std::clamp(in, 0.0, n - 1);
    case FillMode::wrap:  // (a b c d | a b c d | a b c d)
      if (in < 0) {
        if (len <= 1) return 0;
        in += n * (std::trunc(-in / (n - 1)) + 1);
      } else if (in > n - 1) {
        if (len <= 1) return 0;
        in -= n * std::trunc(in / (n - 1));
      }
      return std::clamp(in, 0.0, n - 1);
    case FillMode::nearest:
      return std::clamp(in, 0.0, n - 1);
    case FillMode::constant:
      return in;
  }
  return in;
}

// The input pixels one output pixel reads: up to 4 (offset, weight), and the weight of fill_value.
struct Taps {
  int64_t offset[4];
  double weight[4];
  int count = 0;
  double fill = 0.0;
};

struct Layout {
  int64_t pixel, row, plane;  // element strides of a column, a row, and a channel (channels_first)
};

void add_tap(Taps& t, const AffineSpec& s, const Layout& l, int64_t y, int64_t x, double weight) {
  if (weight == 0.0) return;
  if (y < 0 || y >= s.h || x < 0 || x >= s.w) {
    t.fill += weight;
    return;
  }
  t.offset[t.count] = y * l.row + x * l.pixel;
  t.weight[t.count++] = weight;
}

// Taps of output pixel (ox, oy) under transform t; false when the projection is degenerate (k == 0),
// where TensorFlow writes fill_value.
bool taps_of(const AffineSpec& s, const Layout& l, const float* t, int64_t ox, int64_t oy, Taps& taps) {
  taps = Taps{};
  const double x = static_cast<double>(ox), y = static_cast<double>(oy);
  const double k = t[6] * x + t[7] * y + 1.0;
  if (k == 0.0) return false;
  const double in_x = map_coordinate((t[0] * x + t[1] * y + t[2]) / k, s.w, s.fill_mode);
  const double in_y = map_coordinate((t[3] * x + t[4] * y + t[5]) / k, s.h, s.fill_mode);
  if (s.interpolation == Interpolation::nearest) {
    // Round half up, as tfjs' Math.round; TensorFlow's std::round (half away from zero) differs only at
    // negative halves, which only constant mode leaves unmapped (-0.5 reads pixel 0 here, fill_value there).
    add_tap(taps, s, l, static_cast<int64_t>(std::floor(in_y + 0.5)), static_cast<int64_t>(std::floor(in_x + 0.5)),
            1.0);
    return true;
  }
  const double fy = std::floor(in_y), fx = std::floor(in_x);
  const double wy = in_y - fy, wx = in_x - fx;
  const auto iy = static_cast<int64_t>(fy), ix = static_cast<int64_t>(fx);
  add_tap(taps, s, l, iy, ix, (1 - wy) * (1 - wx));
  add_tap(taps, s, l, iy, ix + 1, (1 - wy) * wx);
  add_tap(taps, s, l, iy + 1, ix, wy * (1 - wx));
  add_tap(taps, s, l, iy + 1, ix + 1, wy * wx);
  return true;
}

Layout layout_of(const AffineSpec& s) {
  return s.channels_first ? Layout{1, s.w, s.h * s.w} : Layout{s.c, s.w * s.c, 1};
}

// Runs body(b) for every image, in parallel when the batch is large enough to pay for the threads.
template <class Body>
void for_each_image(const AffineSpec& s, Body&& body) {
  const bool parallel = s.n > 1 && s.n * s.h * s.w * s.c >= kSerialElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t b = 0; b < s.n; ++b) body(b);
}
}  // namespace

void affine_transform(const AffineSpec& s, const float* x, const float* transforms, float* y) {
  const Layout l = layout_of(s);
  const int64_t per_image = s.h * s.w * s.c;
  for_each_image(s, [&](int64_t b) {
    const float* t = transforms + b * 8;
    const float* xi = x + b * per_image;
    float* yi = y + b * per_image;
    Taps taps;
    for (int64_t oy = 0; oy < s.h; ++oy)
      for (int64_t ox = 0; ox < s.w; ++ox) {
        const int64_t out = oy * l.row + ox * l.pixel;
        if (!taps_of(s, l, t, ox, oy, taps)) {
          for (int64_t ch = 0; ch < s.c; ++ch) yi[out + ch * l.plane] = s.fill_value;
          continue;
        }
        for (int64_t ch = 0; ch < s.c; ++ch) {
          double v = taps.fill * s.fill_value;
          for (int i = 0; i < taps.count; ++i) v += taps.weight[i] * xi[taps.offset[i] + ch * l.plane];
          yi[out + ch * l.plane] = static_cast<float>(v);
        }
      }
  });
}

void affine_transform_backward(const AffineSpec& s, const float* dy, const float* transforms, float* dx) {
  const Layout l = layout_of(s);
  const int64_t per_image = s.h * s.w * s.c;
  for_each_image(s, [&](int64_t b) {
    const float* t = transforms + b * 8;
    const float* gi = dy + b * per_image;
    float* di = dx + b * per_image;
    std::memset(di, 0, static_cast<size_t>(per_image) * sizeof(float));
    Taps taps;
    for (int64_t oy = 0; oy < s.h; ++oy)
      for (int64_t ox = 0; ox < s.w; ++ox) {
        if (!taps_of(s, l, t, ox, oy, taps)) continue;
        const int64_t out = oy * l.row + ox * l.pixel;
        for (int64_t ch = 0; ch < s.c; ++ch) {
          const double g = gi[out + ch * l.plane];
          for (int i = 0; i < taps.count; ++i)
            di[taps.offset[i] + ch * l.plane] += static_cast<float>(taps.weight[i] * g);
        }
      }
  });
}

}  // namespace soma::kernels

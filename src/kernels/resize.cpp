#include "kernels/resize.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/dnnl_context.hpp"

namespace soma::kernels {

namespace {
// Where output index o reads along one axis of `in` window entries starting at input index `start`:
// input indices lo and hi (-1 where the window lies outside the input) and the weight of hi.
struct Tap {
  int64_t lo, hi;
  float lerp;
};

std::vector<Tap> taps(int64_t out, int64_t in, int64_t start, int64_t input_size, bool bilinear) {
  std::vector<Tap> t(static_cast<size_t>(out));
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  auto inside = [&](int64_t i) { return i + start >= 0 && i + start < input_size ? i + start : -1; };
  for (int64_t o = 0; o < out; ++o) {
    if (bilinear) {
      const float src = (static_cast<float>(o) + 0.5f) * scale - 0.5f;
      const float f = std::floor(src);
      const int64_t lo = std::max<int64_t>(static_cast<int64_t>(f), 0);
      const int64_t hi = std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1);
      t[static_cast<size_t>(o)] = {inside(lo), inside(hi), src - f};
    } else {
      const int64_t i = std::clamp<int64_t>(static_cast<int64_t>(std::floor((static_cast<float>(o) + 0.5f) * scale)),
                                            0, in - 1);
      t[static_cast<size_t>(o)] = {inside(i), inside(i), 0.0f};
    }
  }
  return t;
}

struct Geometry {
  std::vector<Tap> ys, xs;
  int64_t pixel, channel, image;  // strides of the input: next pixel, next channel, next sample
  int64_t out_pixel, out_channel, out_image;
};

Geometry geometry(const ResizeSpec& s) {
  const int64_t rows = s.rows > 0 ? s.rows : s.height, cols = s.cols > 0 ? s.cols : s.width;
  Geometry g{taps(s.out_height, rows, s.top, s.height, s.bilinear),
             taps(s.out_width, cols, s.left, s.width, s.bilinear),
             0, 0, s.height * s.width * s.channels, 0, 0, s.out_height * s.out_width * s.channels};
  g.pixel = s.channels_first ? 1 : s.channels;
  g.channel = s.channels_first ? s.height * s.width : 1;
  g.out_pixel = s.channels_first ? 1 : s.channels;
  g.out_channel = s.channels_first ? s.out_height * s.out_width : 1;
  return g;
}
}  // namespace

void resize_forward(const ResizeSpec& s, const float* x, float* y) {
  const Geometry g = geometry(s);
  const int64_t rows = s.batch * s.out_height, ow = s.out_width, c = s.channels;
  const float fill = s.fill;
#pragma omp parallel for schedule(static) if (rows * ow * c >= kSerialElements)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / s.out_height, oy = r % s.out_height;
    const Tap& ty = g.ys[static_cast<size_t>(oy)];
    const float* img = x + n * g.image;
    float* out = y + n * g.out_image + oy * ow * g.out_pixel;
    for (int64_t ox = 0; ox < ow; ++ox) {
      const Tap& tx = g.xs[static_cast<size_t>(ox)];
      auto at = [&](int64_t yy, int64_t xx) -> const float* {
        return yy < 0 || xx < 0 ? nullptr : img + (yy * s.width + xx) * g.pixel;
      };
      const float *tl = at(ty.lo, tx.lo), *tr = at(ty.lo, tx.hi), *bl = at(ty.hi, tx.lo), *br = at(ty.hi, tx.hi);
      float* o = out + ox * g.out_pixel;
      for (int64_t ch = 0; ch < c; ++ch) {
        const int64_t ic = ch * g.channel;
        const float a = tl ? tl[ic] : fill, b = tr ? tr[ic] : fill, d = bl ? bl[ic] : fill, e = br ? br[ic] : fill;
        const float top = a + (b - a) * tx.lerp, bottom = d + (e - d) * tx.lerp;
        o[ch * g.out_channel] = top + (bottom - top) * ty.lerp;
      }
    }
  }
}

void resize_backward(const ResizeSpec& s, const float* dy, float* dx, bool accumulate) {
  const Geometry g = geometry(s);
  const int64_t oh = s.out_height, ow = s.out_width, c = s.channels;
  // Samples are independent, so each thread owns whole samples of dx and the sums keep one order.
#pragma omp parallel for schedule(static) if (s.batch * oh * ow * c >= kSerialElements)
  for (int64_t n = 0; n < s.batch; ++n) {
    float* img = dx + n * g.image;
    if (!accumulate) std::fill(img, img + g.image, 0.0f);
    const float* grad = dy + n * g.out_image;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const Tap& ty = g.ys[static_cast<size_t>(oy)];
      for (int64_t ox = 0; ox < ow; ++ox) {
        const Tap& tx = g.xs[static_cast<size_t>(ox)];
        const float* go = grad + (oy * ow + ox) * g.out_pixel;
        const float wy[2] = {1.0f - ty.lerp, ty.lerp}, wx[2] = {1.0f - tx.lerp, tx.lerp};
        const int64_t yy[2] = {ty.lo, ty.hi}, xx[2] = {tx.lo, tx.hi};
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) {
            if (yy[i] < 0 || xx[j] < 0) continue;
            const float w = wy[i] * wx[j];
            if (w == 0.0f) continue;
            float* p = img + (yy[i] * s.width + xx[j]) * g.pixel;
            for (int64_t ch = 0; ch < c; ++ch) p[ch * g.channel] += w * go[ch * g.out_channel];
          }
      }
    }
  }
}

}  // namespace soma::kernels

#pragma once
// Projective image transforms, as TensorFlow's ImageProjectiveTransformV3 (what Keras 3's
// ops.image.affine_transform runs behind RandomTranslation, RandomRotation and RandomZoom). Each image has
// 8 numbers (a0 a1 a2 b0 b1 b2 c0 c1): output pixel (x, y) reads the input at
// ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, mapped into the image by the fill
// mode and read with nearest or bilinear interpolation; points outside read fill_value. Images are
// (N, H, W, C), or (N, C, H, W) when channels_first.
#include <cstdint>

namespace soma::kernels {

enum class FillMode { reflect, wrap, constant, nearest };
enum class Interpolation { nearest, bilinear };

struct AffineSpec {
  int64_t n = 0, h = 0, w = 0, c = 0;
  bool channels_first = false;
  Interpolation interpolation = Interpolation::bilinear;
  FillMode fill_mode = FillMode::reflect;
  float fill_value = 0.0f;
};

// y from x; `transforms` holds n rows of 8.
void affine_transform(const AffineSpec& spec, const float* x, const float* transforms, float* y);
// dx (written) from dy: the transform is linear in the image, so dx scatters each output's gradient back
// to the pixels it read, with the same weights. Images run in parallel; within one, in a fixed order.
void affine_transform_backward(const AffineSpec& spec, const float* dy, const float* transforms, float* dx);

}  // namespace soma::kernels

#pragma once
// Image resizing as TensorFlow's tf.image.resize (which Keras 3's Resizing, UpSampling2D(bilinear) and
// smart_resize use): half-pixel centres, no antialiasing. Bilinear: source = (out + 0.5) * in / out - 0.5,
// the two neighbours clamped to the image, lerp = source - floor(source). Nearest: floor((out + 0.5) *
// in / out), clamped. Positions are computed in float, as TensorFlow does.
// The image resized is a window of the input: rows [top, top + rows) and columns [left, left + cols),
// which may reach outside it (Keras' pad_to_aspect_ratio), where it reads `fill`; a window inside it is a
// crop (crop_to_aspect_ratio, CenterCrop's smart_resize).
#include <cstdint>

namespace soma::kernels {

struct ResizeSpec {
  int64_t batch = 1, channels = 1, height = 1, width = 1;  // the input
  int64_t out_height = 1, out_width = 1;
  bool channels_first = false;
  bool bilinear = true;  // else nearest
  int64_t top = 0, left = 0, rows = 0, cols = 0;  // the window; rows/cols 0: the whole input
  float fill = 0.0f;
};

void resize_forward(const ResizeSpec& s, const float* x, float* y);
// dx (+)= the transpose of the forward map applied to dy; the filled pixels take no gradient.
void resize_backward(const ResizeSpec& s, const float* dy, float* dx, bool accumulate);

}  // namespace soma::kernels

#pragma once
// Resizes a batch of images (batch, height, width, channels), or channels first, to out_height x
// out_width: Keras' Resizing, UpSampling2D(interpolation="bilinear") and CenterCrop on small images. The
// kernels (kernels/resize.hpp) follow tf.image.resize; a window of the input may be cropped or padded
// first. Differentiable in x.
#include <cstdint>

#include "soma/autograd/tape.hpp"

namespace soma::autograd {

struct ResizeParams {
  int64_t out_height = 1, out_width = 1;
  bool channels_first = false;
  bool bilinear = true;  // else nearest
  // The window resized, in input pixels; rows/cols 0: the whole image. It may reach outside the image,
  // which reads `fill` there.
  int64_t top = 0, left = 0, rows = 0, cols = 0;
  float fill = 0.0f;
};

class ResizeOp final : public Node {
 public:
  Variable& forward(Tape* tape, Variable& x, const ResizeParams& p);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  ResizeParams p_;
};

}  // namespace soma::autograd

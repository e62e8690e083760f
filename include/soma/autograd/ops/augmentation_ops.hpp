#pragma once
// The ops behind the image augmentation layers. Each is the identity at inference (training == false
// returns x itself) and draws its random transformation from the generator it is given, so a layer can
// pass its own seeded generator or soma's global one.
#include <cstdint>
#include <random>
#include <vector>

#include "soma/autograd/tape.hpp"

namespace soma::autograd {

// Per sample, with probability 1/2, reverses the width axis (horizontal) and/or the height axis
// (vertical) of a (batch, height, width, channels) image, or (batch, channels, height, width) when
// channels_first. One draw per sample decides both flips, as in Keras 3. A flip is a permutation of the
// pixels, so the gradient is the incoming gradient flipped the same way.
class RandomFlipOp final : public Node {
 public:
  struct Mode {
    bool horizontal = true;
    bool vertical = true;
    bool channels_first = false;
  };
  Variable& forward(Tape* tape, Variable& x, Mode mode, bool training, std::mt19937_64& generator);
  void backward(Tape& tape) override;
  // 1 for each sample of the latest training call that was flipped, else 0.
  const std::vector<uint8_t>& flipped() const { return flipped_; }
  Variable out;

 private:
  Variable* x_ = nullptr;
  Mode mode_;
  std::vector<uint8_t> flipped_;
};

// A projective transform per image (kernels/affine_transform.hpp: TensorFlow's ImageProjectiveTransformV3
// semantics), the op behind RandomTranslation, RandomRotation and RandomZoom: the layer draws the 8
// numbers per image, this op applies them. Linear in the image, so backward scatters the gradient back
// through the same interpolation weights.
class AffineTransformOp final : public Node {
 public:
  struct Mode {
    bool bilinear = true;                // else nearest
    int fill = 0;                        // 0 reflect, 1 wrap, 2 constant, 3 nearest
    float fill_value = 0.0f;
    bool channels_first = false;
  };
  // `transforms` holds 8 numbers per sample of x (batch, height, width, channels).
  Variable& forward(Tape* tape, Variable& x, const std::vector<float>& transforms, Mode mode);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  Mode mode_;
  std::vector<float> transforms_;
  Tensor scratch_;
};

// Per image i and channel c: y = clip(f_i x + (1 - f_i) m_ic + d_i, low, high), m_ic the mean of channel c
// over the image's pixels: RandomContrast (f drawn, d = 0) and RandomBrightness (f = 1, d drawn). The
// gradient passes where the value was not clipped: dx = f g + (1 - f) mean(g) per channel.
class ImageAdjustOp final : public Node {
 public:
  struct Mode {
    float low = 0.0f, high = 255.0f;
    bool channels_first = false;
  };
  // factors and deltas: one per sample of x (batch, height, width, channels).
  Variable& forward(Tape* tape, Variable& x, const std::vector<float>& factors, const std::vector<float>& deltas,
                    Mode mode);
  void backward(Tape& tape) override;
  Variable out;

 private:
  Variable* x_ = nullptr;
  Mode mode_;
  std::vector<float> factors_;
  std::vector<uint8_t> inside_;  // 1 where the unclipped value lay within [low, high]
  Tensor scratch_;
};

}  // namespace soma::autograd

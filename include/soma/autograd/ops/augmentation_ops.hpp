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

}  // namespace soma::autograd

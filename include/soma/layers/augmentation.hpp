#pragma once
// Keras' image augmentation layers: a random transformation per sample in training (fit), the identity
// at inference (predict, evaluate), so the model that is saved and served sees images as they come.
// Each takes Keras' `seed`: given, the layer draws from its own generator seeded with it (restarted when
// the model is loaded or cloned); absent, from soma's global generator, which set_seed controls and
// model files keep.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "soma/autograd/ops/augmentation_ops.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct RandomFlipOptions {
  std::string mode = "horizontal_and_vertical";  // "horizontal", "vertical" or "horizontal_and_vertical"
  std::optional<int64_t> seed = std::nullopt;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.RandomFlip: input (batch, height, width, channels), or (batch, channels, height, width)
// with data_format "channels_first". Each sample is flipped with probability 1/2; in
// "horizontal_and_vertical" mode that one draw flips both axes (a half turn), as Keras 3 does.
class RandomFlip final : public Layer {
 public:
  SOMA_LAYER(RandomFlip)
  explicit RandomFlip(const char* mode) : RandomFlip(RandomFlipOptions{.mode = mode}) {}
  explicit RandomFlip(RandomFlipOptions options = {});
  std::string type() const override { return "RandomFlip"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const RandomFlipOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  RandomFlipOptions options_;
  autograd::RandomFlipOp::Mode mode_;
  std::optional<std::mt19937_64> generator_;  // set when options_.seed is
  struct Ops {
    autograd::RandomFlipOp op;
  };
};

}  // namespace soma::layers

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
#include "soma/autograd/ops/resize_op.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct RandomCropOptions {
  int64_t height = 0;
  int64_t width = 0;
  std::optional<int64_t> seed = std::nullopt;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.RandomCrop: in training, a height x width window at a random offset, one offset for the
// whole batch (as Keras 3 draws it). In inference, and in training when the image is not larger than
// the target on both axes, Keras' smart_resize: the largest centred window of the target's aspect ratio,
// resized bilinearly to height x width.
class RandomCrop final : public Layer {
 public:
  SOMA_LAYER(RandomCrop)
  explicit RandomCrop(RandomCropOptions options);
  std::string type() const override { return "RandomCrop"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const RandomCropOptions& options() const { return options_; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x, bool training) override;

 private:
  RandomCropOptions options_;
  bool channels_first_ = false;
  std::optional<std::mt19937_64> generator_;
  struct Ops {
    autograd::ResizeOp op;
  };
};

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

// The geometric augmentations: each draws a projective transform per sample (TensorFlow's 8-number form)
// and applies it with autograd::AffineTransformOp. A factor is Keras': one number f for (-|f|, |f|), or
// a (lower, upper) pair. fill_mode "reflect" (d c b a | a b c d | d c b a), "wrap", "constant"
// (fill_value) or "nearest"; interpolation "bilinear" or "nearest".
class RandomAffine : public Layer {
 public:
  Shape output_shape(const Shape& input_shape) const override;

 protected:
  struct Common {
    const std::string& fill_mode;
    const std::string& interpolation;
    float fill_value;
    const std::optional<int64_t>& seed;
    const std::string& data_format;
  };
  RandomAffine(const std::string& prefix, const std::string& name, const std::vector<int64_t>& input_shape);
  // The concrete constructor's (who() needs the final type).
  void resolve(const Common& c);
  // (lower, upper) from Keras' factor forms; each bound within [minimum, maximum].
  std::pair<double, double> factor_range(const std::vector<float>& factor, const char* arg, double minimum,
                                         double maximum) const;
  // Appends 8 numbers for each of `batch` images of height h and width w.
  virtual void draw(std::vector<float>& transforms, int64_t batch, int64_t h, int64_t w,
                    std::mt19937_64& generator) const = 0;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  autograd::AffineTransformOp::Mode mode_;
  std::optional<std::mt19937_64> generator_;
  struct Ops {
    autograd::AffineTransformOp op;
    std::vector<float> transforms;
  };
};

struct RandomTranslationOptions {
  std::vector<float> height_factor = {};  // fraction of the height: {f} for (-f, f), or {lower, upper}
  std::vector<float> width_factor = {};
  std::string fill_mode = "reflect";
  std::string interpolation = "bilinear";
  std::optional<int64_t> seed = std::nullopt;
  float fill_value = 0.0f;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.RandomTranslation: each image shifted by uniform(lower, upper) * height rows and
// uniform(lower, upper) * width columns (fractional shifts interpolate).
class RandomTranslation final : public RandomAffine {
 public:
  SOMA_LAYER(RandomTranslation)
  explicit RandomTranslation(RandomTranslationOptions options);
  std::string type() const override { return "RandomTranslation"; }
  Config get_config() const override;
  const RandomTranslationOptions& options() const { return options_; }

 protected:
  void draw(std::vector<float>& transforms, int64_t batch, int64_t h, int64_t w,
            std::mt19937_64& generator) const override;

 private:
  RandomTranslationOptions options_;
  std::pair<double, double> height_, width_;
};

struct RandomZoomOptions {
  std::vector<float> height_factor = {};  // zoom 1 + uniform(lower, upper); positive zooms out
  std::vector<float> width_factor = {};   // empty: Keras' None, the height's zoom (aspect kept)
  std::string fill_mode = "reflect";
  std::string interpolation = "bilinear";
  std::optional<int64_t> seed = std::nullopt;
  float fill_value = 0.0f;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.RandomZoom: each image scaled about its center by 1 + uniform(lower, upper) per axis.
class RandomZoom final : public RandomAffine {
 public:
  SOMA_LAYER(RandomZoom)
  explicit RandomZoom(RandomZoomOptions options);
  std::string type() const override { return "RandomZoom"; }
  Config get_config() const override;
  const RandomZoomOptions& options() const { return options_; }

 protected:
  void draw(std::vector<float>& transforms, int64_t batch, int64_t h, int64_t w,
            std::mt19937_64& generator) const override;

 private:
  RandomZoomOptions options_;
  std::pair<double, double> height_, width_;
};

struct RandomRotationOptions {
  std::vector<float> factor = {};  // fraction of a full turn: {f} for (-f, f), or {lower, upper}
  std::string fill_mode = "reflect";
  std::string interpolation = "bilinear";
  std::optional<int64_t> seed = std::nullopt;
  float fill_value = 0.0f;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.RandomRotation: each image rotated about its center by uniform(lower, upper) * 360
// degrees, positive counter-clockwise.
class RandomRotation final : public RandomAffine {
 public:
  SOMA_LAYER(RandomRotation)
  explicit RandomRotation(RandomRotationOptions options);
  std::string type() const override { return "RandomRotation"; }
  Config get_config() const override;
  const RandomRotationOptions& options() const { return options_; }

 protected:
  void draw(std::vector<float>& transforms, int64_t batch, int64_t h, int64_t w,
            std::mt19937_64& generator) const override;

 private:
  RandomRotationOptions options_;
  std::pair<double, double> angle_;
};

// RandomContrast and RandomBrightness: a per-image factor or offset (autograd::ImageAdjustOp), the result
// clipped to value_range, as Keras 3's layers of those names.
class RandomImageAdjust : public Layer {
 public:
  Shape output_shape(const Shape& input_shape) const override;

 protected:
  RandomImageAdjust(const std::string& prefix, const std::string& name, const std::vector<int64_t>& input_shape);
  void resolve(const std::vector<float>& value_range, const std::optional<int64_t>& seed,
               const std::string& data_format);
  // Draws one contrast factor and one brightness offset per image.
  virtual void draw(std::vector<float>& factors, std::vector<float>& deltas, int64_t batch,
                    std::mt19937_64& generator) const = 0;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;
  autograd::ImageAdjustOp::Mode mode_;

 private:
  std::optional<std::mt19937_64> generator_;
  struct Ops {
    autograd::ImageAdjustOp op;
    std::vector<float> factors, deltas;
  };
};

struct RandomContrastOptions {
  std::vector<float> factor = {};  // {f}: contrast in [1 - f, 1 + f]; {lower, upper}: [1 - lower, 1 + upper]
  std::vector<float> value_range = {0.0f, 255.0f};
  std::optional<int64_t> seed = std::nullopt;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.RandomContrast: (x - mean) * c + mean per image and channel, c = uniform(1 - lower, 1 + upper).
class RandomContrast final : public RandomImageAdjust {
 public:
  SOMA_LAYER(RandomContrast)
  explicit RandomContrast(RandomContrastOptions options);
  std::string type() const override { return "RandomContrast"; }
  Config get_config() const override;
  const RandomContrastOptions& options() const { return options_; }

 protected:
  void draw(std::vector<float>& factors, std::vector<float>& deltas, int64_t batch,
            std::mt19937_64& generator) const override;

 private:
  RandomContrastOptions options_;
  std::pair<double, double> range_;
};

struct RandomBrightnessOptions {
  std::vector<float> factor = {};  // fraction of the value range: {f} for (-f, f), or {lower, upper}
  std::vector<float> value_range = {0.0f, 255.0f};
  std::optional<int64_t> seed = std::nullopt;
  std::string data_format = "channels_last";
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// keras.layers.RandomBrightness: x + uniform(lower, upper) * (high - low) per image.
class RandomBrightness final : public RandomImageAdjust {
 public:
  SOMA_LAYER(RandomBrightness)
  explicit RandomBrightness(RandomBrightnessOptions options);
  std::string type() const override { return "RandomBrightness"; }
  Config get_config() const override;
  const RandomBrightnessOptions& options() const { return options_; }

 protected:
  void draw(std::vector<float>& factors, std::vector<float>& deltas, int64_t batch,
            std::mt19937_64& generator) const override;

 private:
  RandomBrightnessOptions options_;
  std::pair<double, double> range_;
};

}  // namespace soma::layers

#pragma once
// The Keras 3 activation layers: ReLU(max_value, negative_slope, threshold), LeakyReLU(negative_slope),
// PReLU (a trainable slope), ELU(alpha), Softmax(axis). Each keeps the input's shape and passes its mask on.
#include <optional>
#include <string>
#include <vector>

#include "soma/autograd/ops/activation_op.hpp"
#include "soma/autograd/ops/mask_ops.hpp"
#include "soma/autograd/ops/relu_ops.hpp"
#include "soma/layers/layer.hpp"

namespace soma::layers {

struct ReLUOptions {
  std::optional<float> max_value = std::nullopt;  // None: no ceiling
  float negative_slope = 0.0f;
  float threshold = 0.0f;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// x > threshold: min(x, max_value); otherwise negative_slope * (x - threshold). All three must be >= 0.
class ReLU final : public Layer {
 public:
  SOMA_LAYER(ReLU)
  explicit ReLU(ReLUOptions options = {});
  std::string type() const override { return "ReLU"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  ReLUOptions options_;
  // Plain relu, leaky relu and relu6 run on oneDNN; a threshold or another ceiling on the general loop.
  std::optional<activations::Activation> fast_;
  struct Ops {
    autograd::ActivationOp act;
    autograd::ReluOp relu;
  };
};

struct LeakyReLUOptions {
  float negative_slope = 0.3f;  // Keras 3's layer default (keras.activations.leaky_relu's is 0.2)
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

class LeakyReLU final : public Layer {
 public:
  SOMA_LAYER(LeakyReLU)
  explicit LeakyReLU(LeakyReLUOptions options = {});
  std::string type() const override { return "LeakyReLU"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  LeakyReLUOptions options_;
  struct Ops {
    autograd::ActivationOp op;
  };
};

struct PReLUOptions {
  initializers::Initializer alpha_initializer = "zeros";
  regularizers::Regularizer alpha_regularizer = {};
  constraints::Constraint alpha_constraint = {};
  // Axes (1 = the first after the batch) along which one alpha is shared, e.g. {1, 2} for one per channel
  // of an image. Empty: one alpha per input element (Keras' None).
  std::vector<int64_t> shared_axes = {};
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// x > 0: x; otherwise alpha * x, alpha a weight of the per-sample shape with 1 along the shared axes.
class PReLU final : public Layer {
 public:
  SOMA_LAYER(PReLU)
  explicit PReLU(PReLUOptions options = {});
  std::string type() const override { return "PReLU"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  autograd::Variable& alpha() { return *alpha_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  PReLUOptions options_;
  autograd::Variable* alpha_ = nullptr;
  struct Ops {
    autograd::PReluOp op;
  };
};

struct ELUOptions {
  float alpha = 1.0f;
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// x > 0: x; otherwise alpha * (exp(x) - 1).
class ELU final : public Layer {
 public:
  SOMA_LAYER(ELU)
  explicit ELU(ELUOptions options = {});
  std::string type() const override { return "ELU"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  ELUOptions options_;
  struct Ops {
    autograd::ActivationOp op;
  };
};

struct SoftmaxOptions {
  int axis = -1;  // of the batched input: -1 the last, 1 the first after the batch
  std::vector<int64_t> input_shape = {};
  std::string name = "";
};

// With a mask of the input's shape on the input (Variable::mask), as Keras' Softmax(inputs, mask): masked
// positions are pushed to -1e9 before and zeroed after, so a row's unmasked entries sum to 1. A mask of
// another shape (a (batch, steps) sequence mask on a rank-3 input) is a ShapeError: Keras' addition would
// not broadcast either.
class Softmax final : public Layer {
 public:
  SOMA_LAYER(Softmax)
  explicit Softmax(SoftmaxOptions options = {});
  std::string type() const override { return "Softmax"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;

 protected:
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  SoftmaxOptions options_;
  struct Ops {
    autograd::ActivationOp op;
    autograd::MaskOp before, after;
  };
};

}  // namespace soma::layers

#pragma once
// keras.layers.Dense: output = activation(dot(input, kernel) + bias), kernel (in, units).
#include <string>
#include <vector>

#include "soma/activations.hpp"
#include "soma/autograd/ops/activation_op.hpp"
#include "soma/autograd/ops/linear_op.hpp"
#include "soma/layers/layer.hpp"
#include "soma/mixed_precision.hpp"

namespace soma::layers {

struct DenseOptions {
  int64_t units = 0;
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  regularizers::Regularizer activity_regularizer = {};  // a penalty on the output (after the activation)
  constraints::Constraint kernel_constraint = {};       // applied after each update in fit()
  constraints::Constraint bias_constraint = {};
  // Per-sample input shape of a first layer, e.g. {784}; input_dim = n is the same as {n}.
  std::vector<int64_t> input_shape = {};
  int64_t input_dim = 0;
  std::string name = "";
  // The dtype policy ("float32", "mixed_bfloat16"); empty: mixed_precision::global_policy() at construction.
  std::string dtype = "";
};

class Dense final : public Layer {
 public:
  SOMA_LAYER(Dense)
  explicit Dense(DenseOptions options);
  std::string type() const override { return "Dense"; }
  Config get_config() const override;
  Shape output_shape(const Shape& input_shape) const override;
  const DenseOptions& options() const { return options_; }
  autograd::Variable& kernel() { return *kernel_; }
  autograd::Variable* bias() { return bias_; }
  mixed_precision::Policy dtype_policy() const { return policy_; }

 protected:
  void build_weights(const Shape& input_shape) override;
  autograd::Variable& forward(CallFrame& frame, autograd::Tape* tape, autograd::Variable& x,
                              bool training) override;

 private:
  DenseOptions options_;
  activations::Activation activation_;
  mixed_precision::Policy policy_;
  autograd::Variable* kernel_ = nullptr;
  autograd::Variable* bias_ = nullptr;
  struct Ops {
    autograd::LinearOp linear;
    autograd::ActivationOp act;
  };
};

}  // namespace soma::layers
